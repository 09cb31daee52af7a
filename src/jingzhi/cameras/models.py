"""Camera analytics on the platform: vision workers, the camera leases they hold, reference
snapshots for calibration, and the clips attached to events."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisionWorker(models.Model):
    """A ``jingzhi vision run`` process (or a machine of them), authenticated by its token."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("vision worker")
        verbose_name_plural = _("vision workers")

    def __str__(self) -> str:
        return self.name


class CameraLease(models.Model):
    """Which worker analyses a camera, until when. Expired leases are taken over by others."""

    device = models.OneToOneField("sensing.Device", on_delete=models.CASCADE, related_name="lease")
    worker = models.ForeignKey(VisionWorker, on_delete=models.CASCADE, related_name="leases")
    acquired_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.device_id} → {self.worker_id}"


def _snapshot_path(instance: CameraSnapshot, filename: str) -> str:
    return f"cameras/{instance.device_id}/reference-{timezone.now():%Y%m%d%H%M%S}.jpg"


class CameraSnapshot(models.Model):
    """The latest reference frame of a camera: what the facade is calibrated on."""

    device = models.OneToOneField("sensing.Device", on_delete=models.CASCADE, related_name="snapshot")
    image = models.FileField(upload_to=_snapshot_path, max_length=200)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.device_id} {self.at:%Y-%m-%d %H:%M}"


def _clip_path(instance: EventClip, filename: str) -> str:
    return f"clips/{timezone.now():%Y/%m/%d}/{instance.event_id}.mp4"


class EventClip(models.Model):
    """The video clip of an event (3 s before to 2 s after a thrown object), kept like its snapshot."""

    event = models.OneToOneField("sensing.Event", on_delete=models.CASCADE, related_name="clip")
    file = models.FileField(upload_to=_clip_path, max_length=200)
    at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"clip {self.event_id}"
