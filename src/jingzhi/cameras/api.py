"""Endpoints for vision workers (worker token) and the clip upload (device or leasing worker)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Router

from jingzhi.cameras import services
from jingzhi.cameras.models import VisionWorker
from jingzhi.sensing.api import device_by_token, request_token
from jingzhi.sensing.models import Event

router = Router(tags=["camera workers"])


def _respond(request: HttpRequest, body: object, status: int) -> HttpResponse:
    from jingzhi.api import api

    return api.create_response(request, body, status=status)


def _worker(request: HttpRequest) -> VisionWorker | None:
    return services.worker_for(request_token(request))


def _unauthorised(request: HttpRequest) -> HttpResponse:
    return _respond(request, {"code": "bad_token", "detail": "unknown worker or wrong token"}, 401)


@router.post("/vision/lease", auth=None, response={200: dict, 401: dict, 422: dict})
def lease(request: HttpRequest) -> HttpResponse:
    """Renew this worker's camera leases and take free cameras, up to ``max_cameras``.

    Body ``{"max_cameras": N}``; answers the cameras with their stream source and facade
    calibration. Leases last ``lease_s`` seconds: call again well before (every third of it).
    """
    import json

    worker = _worker(request)
    if worker is None:
        return _unauthorised(request)
    try:
        wanted = int(json.loads(request.body or b"{}").get("max_cameras", 4))
    except (ValueError, TypeError, AttributeError):
        return _respond(request, {"code": "invalid", "detail": 'send {"max_cameras": N}'}, 422)
    leases = services.lease(worker, max(0, min(wanted, 64)))
    cameras = [
        {
            "device": lease.device.code,
            "source": lease.device.config.get("source", ""),
            "facade": lease.device.config.get("facade"),
            "expires_at": lease.expires_at.isoformat(),
        }
        for lease in leases
    ]
    return _respond(request, {"lease_s": services.LEASE_S, "cameras": cameras}, 200)


@router.post("/vision/release", auth=None, response={200: dict, 401: dict})
def release(request: HttpRequest) -> HttpResponse:
    """Give cameras back (on shutdown): ``{"devices": [codes]}``."""
    import json

    worker = _worker(request)
    if worker is None:
        return _unauthorised(request)
    try:
        codes = [str(c) for c in json.loads(request.body or b"{}").get("devices", [])]
    except (ValueError, TypeError, AttributeError):
        codes = []
    return _respond(request, {"released": services.release(worker, codes)}, 200)


@router.post("/vision/snapshot/{code}", auth=None, response={200: dict, 401: dict, 404: dict, 413: dict, 422: dict})
def snapshot(request: HttpRequest, code: str) -> HttpResponse:
    """A reference frame (``image``, JPEG) of a camera this worker leases, for calibration."""
    worker = _worker(request)
    if worker is None:
        return _unauthorised(request)
    device = services.leased(worker, code)
    upload = request.FILES.get("image")
    if device is None:
        return _respond(request, {"code": "not_leased", "detail": f"{code} is not leased by this worker"}, 404)
    if upload is None:
        return _respond(request, {"code": "invalid", "detail": "send the frame as the file part 'image'"}, 422)
    try:
        services.snapshot_save(device, upload)
    except ValidationError as exc:
        return _respond(
            request,
            {"code": exc.code or "invalid", "detail": exc.messages},
            413 if exc.code == "media_too_large" else 422,
        )
    return _respond(request, {"status": "stored"}, 200)


@router.post("/ingest/clips", auth=None, response={200: dict, 201: dict, 401: dict, 404: dict, 413: dict, 422: dict})
def clip(request: HttpRequest) -> HttpResponse:
    """The clip of an event (multipart: ``device``, ``event_id``, file ``clip``, video/mp4, ≤ 16 MB),
    with the device's token or that of the worker leasing the camera."""
    code = request.POST.get("device", "")
    device = device_by_token(request, code)
    if device is None:
        return _unauthorised(request)
    upload = request.FILES.get("clip")
    if upload is None:
        return _respond(request, {"code": "invalid", "detail": "send the clip as the file part 'clip'"}, 422)
    try:
        _clip, created = services.clip_attach(device, request.POST.get("event_id", ""), upload)
    except Event.DoesNotExist:
        return _respond(request, {"code": "unknown_event", "detail": "no such event of this device"}, 404)
    except ValidationError as exc:
        return _respond(
            request,
            {"code": exc.code or "invalid", "detail": exc.messages},
            413 if exc.code == "media_too_large" else 422,
        )
    return _respond(request, {"status": "stored" if created else "duplicate"}, 201 if created else 200)
