"""Device-facing ingest endpoints (per-device token) and staff-facing device/event reads (session)."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from jingzhi.core.pagination import CappedPagination
from jingzhi.core.scope import Actor
from jingzhi.sensing import contract
from jingzhi.sensing.adapters import hikvision
from jingzhi.sensing.choices import Transport, Vendor
from jingzhi.sensing.models import Device
from jingzhi.sensing.schemas import DeviceOut, EventOut, RejectedOut
from jingzhi.sensing.selectors import devices_visible, events_visible, rejected_visible
from jingzhi.sensing.services import commands, devices
from jingzhi.sensing.services.ingest import Incoming, Outcome, ingest_batch, ingest_one, store_rejection, token_allows

router = Router(tags=["devices"])

#: HTTP status for each rejection code (the body always says which).
REJECT_STATUS = {
    "bad_token": 401,
    "unknown_device": 404,
    "device_inactive": 403,
    "device_mismatch": 403,
    "too_large": 413,
    "media_too_large": 413,
}


def request_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:]).decode().partition(":")[2]
        except ValueError:
            return None
    return request.headers.get("X-Device-Token") or request.GET.get("token")


def _remote(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _respond(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    from jingzhi.api import api

    if outcome.status == "stored":
        return api.create_response(
            request, {"status": "stored", "event": outcome.event, "case": outcome.case}, status=201
        )
    if outcome.status == "duplicate":
        return api.create_response(request, {"status": "duplicate"}, status=200)
    return api.create_response(
        request,
        {"status": "rejected", "code": outcome.code, "detail": outcome.detail},
        status=REJECT_STATUS.get(outcome.code, 422),
    )


def _body(request: HttpRequest) -> bytes | None:
    try:
        return request.body
    except RequestDataTooBig:
        return None


@router.post(
    "/ingest/events", auth=None, response={200: dict, 201: dict, 401: dict, 403: dict, 404: dict, 413: dict, 422: dict}
)
def ingest_event(request: HttpRequest) -> HttpResponse:
    """Receive one event of the contract: a JSON body, or multipart with an ``event`` JSON part and
    a ``media`` file part (JPEG/PNG/MP4, at most 2 MB). Authenticate with the device's token
    (``Authorization: Bearer <token>``). A redelivered event answers ``duplicate`` (200); a
    rejected one is kept for inspection and answers with its ``code``."""
    content_type = request.content_type or ""
    token = request_token(request)
    if content_type.startswith("multipart/"):
        try:
            raw = request.POST.get("event", "")
            upload = request.FILES.get("media")
        except RequestDataTooBig:
            raw, upload = None, None
        if raw is None:
            outcome = _too_large(request, content_type)
            return _respond(request, outcome)
        media = None
        if upload is not None:
            try:
                if (upload.size or 0) > contract.MAX_MEDIA_BYTES:
                    raise contract.ContractError(
                        "media_too_large", f"media of {upload.size} bytes exceeds {contract.MAX_MEDIA_BYTES}"
                    )
                media = contract.check_media((upload.content_type or "").split(";")[0], upload.read())
            except contract.ContractError as exc:
                item = Incoming(
                    Transport.HTTP, raw.encode(), token=token, content_type=content_type, remote=_remote(request)
                )
                store_rejection(item, exc.code, exc.detail)
                return _respond(request, Outcome("rejected", exc.code, exc.detail))
        item = Incoming(
            Transport.HTTP, raw.encode(), token=token, media=media, content_type=content_type, remote=_remote(request)
        )
        return _respond(request, ingest_one(item))
    body = _body(request)
    if body is None:
        return _respond(request, _too_large(request, content_type))
    item = Incoming(Transport.HTTP, body, token=token, content_type=content_type, remote=_remote(request))
    return _respond(request, ingest_one(item))


def _too_large(request: HttpRequest, content_type: str) -> Outcome:
    size = request.META.get("CONTENT_LENGTH", "?")
    detail = f"request of {size} bytes exceeds the limit"
    store_rejection(
        Incoming(Transport.HTTP, b"", content_type=content_type, remote=_remote(request)), "too_large", detail
    )
    return Outcome("rejected", "too_large", detail)


def device_by_token(request: HttpRequest, code: str) -> Device | None:
    """The active device, if the request carries its token (or one vouched for on it)."""
    device = Device.objects.filter(code=code, active=True).select_related("place").first()
    return device if device is not None and token_allows(device, request_token(request)) else None


@router.post("/ingest/status", auth=None, response={200: dict, 401: dict, 422: dict})
def ingest_status(request: HttpRequest) -> HttpResponse:
    """Heartbeat of an HTTP device: ``{"device": "<code>", "state": "online"}`` with its token."""
    from jingzhi.api import api

    try:
        data = json.loads(_body(request) or b"")
        code, state = (
            str(data["device"]),
            devices.parse_status(json.dumps({"state": data.get("state", "online")}).encode()),
        )
    except (ValueError, KeyError, TypeError):
        return api.create_response(
            request, {"code": "malformed_json", "detail": 'send {"device": …, "state": …}'}, status=422
        )
    if state is None:
        return api.create_response(
            request, {"code": "invalid_state", "detail": "state is online or offline"}, status=422
        )
    if device_by_token(request, code) is None:
        return api.create_response(
            request, {"code": "bad_token", "detail": "unknown device or wrong token"}, status=401
        )
    devices.set_status(code, state)
    return api.create_response(request, {"status": "ok"}, status=200)


@router.get("/ingest/commands", auth=None, response={200: list[dict], 401: dict})
def ingest_commands(request: HttpRequest, device: str) -> Any:
    """Commands waiting for an HTTP device (it polls; MQTT devices get them on their commands topic)."""
    from jingzhi.api import api

    found = device_by_token(request, device)
    if found is None:
        return api.create_response(
            request, {"code": "bad_token", "detail": "unknown device or wrong token"}, status=401
        )
    return Status(200, commands.poll(found))


@router.post("/ingest/isapi/{code}", auth=None, response={200: dict, 401: dict, 415: dict, 422: dict})
def ingest_isapi(request: HttpRequest, code: str) -> HttpResponse:
    """Hikvision ISAPI "HTTP listening" pushes (JSON, XML or multipart with the picture).

    Configure the device's listening host as ``/api/v1/ingest/isapi/<code>`` with the device token
    as the password (HTTP Basic) or ``?token=``. Answers 200 quickly so the device does not retry.
    """
    from jingzhi.api import api

    content_type = request.META.get("CONTENT_TYPE", "")
    body = _body(request) or b""
    item = Incoming(Transport.ISAPI, body, device_code=code, content_type=content_type, remote=_remote(request))
    device = device_by_token(request, code)
    if device is None or device.vendor != Vendor.HIKVISION:
        store_rejection(item, "bad_token", f"unknown Hikvision device {code!r} or wrong token")
        return api.create_response(
            request, {"code": "bad_token", "detail": "unknown device or wrong token"}, status=401
        )
    directions = {int(k): v for k, v in (device.config.get("reader_directions") or {}).items()}
    try:
        translated = hikvision.translate(content_type, body, reader_directions=directions or None)
    except contract.ContractError as exc:
        store_rejection(item, exc.code, exc.detail, device)
        status = 415 if exc.code == "adapter_unsupported" else 422
        return api.create_response(request, {"code": exc.code, "detail": exc.detail}, status=status)
    beat = False
    batch: list[Incoming] = []
    for isapi_event in translated:
        if device.vendor_key and isapi_event.device_key and isapi_event.device_key != device.vendor_key.lower():
            store_rejection(
                item, "device_mismatch", f"push from {isapi_event.device_key}, device is {device.vendor_key}", device
            )
            continue
        if isapi_event.heartbeat or isapi_event.document is None:
            beat = True
            continue
        batch.append(
            Incoming(
                Transport.ISAPI,
                {**isapi_event.document, "device": code},
                device_code=code,
                media=isapi_event.media,
                content_type=content_type,
                remote=item.remote,
            )
        )
    if beat:
        devices.set_status(code, True)
    result = ingest_batch(batch, on_commit=commands.dispatch_after_commit) if batch else None
    stored = result.count("stored") if result else 0
    duplicates = result.count("duplicate") if result else 0
    return api.create_response(request, {"status": "ok", "stored": stored, "duplicate": duplicates}, status=200)


@router.get("/devices", response=list[DeviceOut])
@paginate(CappedPagination)
def devices_list(request: HttpRequest, kind: str = "", online: bool | None = None) -> QuerySet[Device]:
    """Devices in the caller's scope, with their online state."""
    qs = devices_visible(Actor.from_request(request)).select_related("place").order_by("code")
    if kind:
        qs = qs.filter(kind=kind)
    if online is not None:
        qs = qs.filter(online=online)
    return qs


@router.get("/events", response=list[EventOut])
@paginate(CappedPagination)
def events_list(request: HttpRequest, type: str = "", device: str = "") -> Any:
    """Accepted events, newest first."""
    qs = events_visible(Actor.from_request(request)).select_related("device").order_by("-id")
    if type:
        qs = qs.filter(type=type)
    if device:
        qs = qs.filter(device__code=device)
    return qs


@router.get("/events/rejected", response=list[RejectedOut])
@paginate(CappedPagination)
def rejected_list(request: HttpRequest) -> Any:
    """Messages that were refused, with the reason (for those who manage devices)."""
    return rejected_visible(Actor.from_request(request)).order_by("-id")


@router.get("/devices/{code}", response=DeviceOut)
def device_detail(request: HttpRequest, code: str) -> Device:
    actor = Actor.from_request(request)
    return get_object_or_404(devices_visible(actor).select_related("place"), code=code)
