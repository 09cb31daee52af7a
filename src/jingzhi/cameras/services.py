"""Vision workers: tokens, camera leases (several workers on several machines share the cameras),
reference snapshots and event clips."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jingzhi.cameras.models import CameraLease, CameraSnapshot, EventClip, VisionWorker
from jingzhi.core.crypto import keyring
from jingzhi.sensing.choices import DeviceKind
from jingzhi.sensing.models import Device, Event
from jingzhi.sensing.services.retention import retention_days

LEASE_S = 60
MAX_CLIP_BYTES = 16 * 1024 * 1024
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024


def _digest(token: str) -> str:
    return keyring().digest(token, purpose="cameras.worker_token")


def worker_add(name: str) -> tuple[VisionWorker, str]:
    """Register a worker; returns it with its token (shown once)."""
    token = secrets.token_urlsafe(32)
    worker = VisionWorker.objects.create(name=name.strip(), token_digest=_digest(token))
    return worker, token


def worker_for(token: str | None) -> VisionWorker | None:
    if not token:
        return None
    worker = VisionWorker.objects.filter(token_digest=_digest(token), active=True).first()
    if worker is not None:
        VisionWorker.objects.filter(pk=worker.pk).update(last_seen_at=timezone.now())
    return worker


def worker_may_send(device: Device, token: str) -> bool:
    """Ingest hook: a worker may send events for the cameras it holds a live lease on."""
    return CameraLease.objects.filter(
        device=device, worker__token_digest=_digest(token), worker__active=True, expires_at__gt=timezone.now()
    ).exists()


def analysable_cameras() -> Any:
    """Cameras a worker can analyse: active, with a stream source and a facade calibration."""
    return Device.objects.filter(kind=DeviceKind.CAMERA, active=True, config__has_key="facade").filter(
        config__has_key="source"
    )


def lease(worker: VisionWorker, max_cameras: int, *, now: dt.datetime | None = None) -> list[CameraLease]:
    """Renew the worker's leases and take free (or expired) cameras up to ``max_cameras``."""
    now = now or timezone.now()
    until = now + dt.timedelta(seconds=LEASE_S)
    eligible = analysable_cameras()
    with transaction.atomic():
        CameraLease.objects.filter(worker=worker).exclude(device__in=eligible).delete()
        mine = list(CameraLease.objects.filter(worker=worker).order_by("device__code"))
        for extra in mine[max_cameras:]:
            extra.delete()
        mine = mine[:max_cameras]
        CameraLease.objects.filter(pk__in=[m.pk for m in mine]).update(expires_at=until)
        need = max_cameras - len(mine)
        if need > 0:
            taken = CameraLease.objects.filter(expires_at__gt=now).values("device_id")
            for device in eligible.exclude(pk__in=taken).order_by("code")[: need * 2]:
                if need <= 0:
                    break
                # Take an expired lease only if nobody renewed or took it meanwhile.
                got = (
                    CameraLease.objects.filter(device=device)
                    .filter(Q(expires_at__lte=now) | Q(worker=worker))
                    .update(worker=worker, expires_at=until, acquired_at=now)
                )
                if not got:
                    try:
                        with transaction.atomic():
                            CameraLease.objects.create(device=device, worker=worker, expires_at=until, acquired_at=now)
                            got = 1
                    except IntegrityError:
                        got = 0
                need -= got
    return list(CameraLease.objects.filter(worker=worker).select_related("device").order_by("device__code"))


def release(worker: VisionWorker, codes: list[str]) -> int:
    deleted, _rows = CameraLease.objects.filter(worker=worker, device__code__in=codes).delete()
    return deleted


def leased(worker: VisionWorker, code: str) -> Device | None:
    found = (
        CameraLease.objects.filter(worker=worker, device__code=code, expires_at__gt=timezone.now())
        .select_related("device")
        .first()
    )
    return found.device if found is not None else None


def _check_upload(upload: UploadedFile, types: tuple[str, ...], limit: int, field: str) -> None:
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in types:
        raise ValidationError(
            f"{field}: {content_type or 'unknown'} is not one of {', '.join(types)}", code="media_type"
        )
    if (upload.size or 0) > limit:
        raise ValidationError(f"{field}: {upload.size} bytes exceed {limit}", code="media_too_large")


def snapshot_save(device: Device, upload: UploadedFile) -> CameraSnapshot:
    """Keep the camera's latest reference frame (the previous one is deleted)."""
    _check_upload(upload, ("image/jpeg", "image/png"), MAX_SNAPSHOT_BYTES, "image")
    with transaction.atomic():
        old = CameraSnapshot.objects.filter(device=device).first()
        if old is not None:
            old.image.delete(save=False)
            old.delete()
        snapshot = CameraSnapshot(device=device, at=timezone.now())
        snapshot.image.save("reference.jpg", upload, save=False)
        snapshot.save()
    return snapshot


def clip_attach(device: Device, event_id: str, upload: UploadedFile) -> tuple[EventClip, bool]:
    """Attach a clip to the device's event; a second upload of the same clip is a no-op.
    Returns (clip, created)."""
    _check_upload(upload, ("video/mp4",), MAX_CLIP_BYTES, "clip")
    event = Event.objects.filter(device=device, event_id=event_id).first()
    if event is None:
        raise Event.DoesNotExist(event_id)
    existing = EventClip.objects.filter(event=event).first()
    if existing is not None:
        return existing, False
    clip = EventClip(event=event, expires_at=timezone.now() + dt.timedelta(days=retention_days(event.type)))
    clip.file.save("clip.mp4", upload, save=False)
    try:
        with transaction.atomic():
            clip.save()
    except IntegrityError:
        clip.file.delete(save=False)
        return EventClip.objects.get(event=event), False
    return clip, True


def purge_expired_clips(*, now: dt.datetime | None = None) -> int:
    """Delete clips whose retention ran out (the event and its case stay)."""
    now = now or timezone.now()
    purged = 0
    for clip in EventClip.objects.filter(expires_at__lte=now).iterator():
        clip.file.delete(save=False)
        clip.delete()
        purged += 1
    return purged
