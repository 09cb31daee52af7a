"""The one event contract every device speaks (see DESIGN.md, "Events").

An event is a JSON object::

    {"event_id": "…", "device": "…", "type": "access.pass",
     "occurred_at": "2026-11-26T08:00:00+08:00", "payload": {…},
     "media": {"content_type": "image/jpeg", "data": "<base64>"}}   # media optional

This module has no Django imports: the vision and acoustics workers, the
simulators and the vendor adapters build and check events with it too.
Validation failures raise :class:`ContractError` with a stable ``code``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: Largest accepted snapshot/clip, in bytes (after base64 decoding).
MAX_MEDIA_BYTES = 2 * 1024 * 1024
#: Largest accepted JSON document, in bytes (media inline in base64 included).
MAX_BODY_BYTES = MAX_MEDIA_BYTES * 4 // 3 + 64 * 1024
#: How far in the future a device clock may be before the event is refused.
MAX_FUTURE_SKEW = timedelta(minutes=5)
#: How old a buffered event may be (a device that was offline uploads its backlog).
MAX_AGE = timedelta(days=30)
MEDIA_TYPES = ("image/jpeg", "image/png", "video/mp4")


class ContractError(ValueError):
    """An event that does not satisfy the contract; ``code`` is stable, ``detail`` readable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


CredentialKindName = Literal["card", "face", "qr", "password", "fingerprint", "remote", "plate"]


class AccessPass(_Payload):
    """A person passed a gate. ``credential_ref`` is the card number or the device-side face id."""

    direction: Literal["in", "out"]
    credential_kind: CredentialKindName | None = None
    credential_ref: str | None = Field(default=None, max_length=64)
    score: float | None = Field(default=None, ge=0, le=1)


class AccessDenied(_Payload):
    direction: Literal["in", "out"] = "in"
    credential_kind: CredentialKindName | None = None
    credential_ref: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=120)


class ThrowDetected(_Payload):
    floor: int | None = Field(default=None, ge=-5, le=200)
    column: int | None = Field(default=None, ge=0, le=100)
    confidence: float = Field(ge=0, le=1)


class LitterDetected(_Payload):
    confidence: float = Field(ge=0, le=1)
    zone: str = Field(default="", max_length=60)


class EbikeElevator(_Payload):
    confidence: float = Field(ge=0, le=1)
    floor: int | None = Field(default=None, ge=-5, le=200)


class NoiseLevel(_Payload):
    """Per-period levels from a sound-level meter (``jingzhi noise meter`` or a commercial one)."""

    laeq: float = Field(ge=0, le=160)
    lafmax: float | None = Field(default=None, ge=0, le=170)
    period_s: float = Field(default=1.0, gt=0, le=3600)


class NoiseExceeded(_Payload):
    laeq: float = Field(ge=0, le=160)
    limit: float = Field(ge=0, le=160)
    window_s: float = Field(default=300, gt=0, le=86400)


class CameraAlarm(_Payload):
    """A vendor camera alarm without a more specific meaning (motion, line crossing, tamper …)."""

    vendor_type: str = Field(max_length=60)
    state: Literal["active", "inactive"] = "active"
    channel: int | None = None


class CommandAck(_Payload):
    command_id: str = Field(min_length=1, max_length=64)
    ok: bool
    detail: str = Field(default="", max_length=200)


#: Every event type the platform accepts, with its payload schema.
EVENT_TYPES: dict[str, type[_Payload]] = {
    "access.pass": AccessPass,
    "access.denied": AccessDenied,
    "throw.detected": ThrowDetected,
    "litter.detected": LitterDetected,
    "ebike.elevator": EbikeElevator,
    "noise.level": NoiseLevel,
    "noise.exceeded": NoiseExceeded,
    "camera.alarm": CameraAlarm,
    "command.ack": CommandAck,
}


class _Media(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: str
    data: str


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
    device: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=40)
    occurred_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)
    media: _Media | None = None


@dataclass(frozen=True)
class Media:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Event:
    """A contract-valid event."""

    event_id: str
    device: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]
    media: Media | None = None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "event"
    return f"{where}: {err.get('msg', 'invalid')}"


def decode_json(raw: bytes | str) -> dict[str, Any]:
    """Parse a JSON document into a dict, raising ``ContractError`` for anything else."""
    if len(raw) > MAX_BODY_BYTES:
        raise ContractError("too_large", f"document of {len(raw)} bytes exceeds {MAX_BODY_BYTES}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContractError("malformed_json", str(exc)[:200]) from None
    if not isinstance(data, dict):
        raise ContractError("malformed_json", "an event must be a JSON object")
    return data


def check_media(content_type: str, data: bytes) -> Media:
    if content_type not in MEDIA_TYPES:
        raise ContractError("media_type", f"media type {content_type!r} is not one of {', '.join(MEDIA_TYPES)}")
    if len(data) > MAX_MEDIA_BYTES:
        raise ContractError("media_too_large", f"media of {len(data)} bytes exceeds {MAX_MEDIA_BYTES}")
    if not data:
        raise ContractError("media_empty", "media is empty")
    return Media(content_type=content_type, data=data)


def parse_event(data: Mapping[str, Any], *, now: datetime) -> Event:
    """Validate an event document. ``now`` (aware) bounds the accepted clock skew."""
    try:
        env = _Envelope.model_validate(data)
    except ValidationError as exc:
        raise ContractError("invalid_event", _first_error(exc)) from None
    if env.occurred_at.tzinfo is None:
        raise ContractError("naive_time", "occurred_at must carry a UTC offset (ISO 8601, e.g. +08:00)")
    if env.occurred_at - now > MAX_FUTURE_SKEW:
        raise ContractError(
            "clock_skew", f"occurred_at is {(env.occurred_at - now).total_seconds():.0f} s ahead of the server clock"
        )
    if now - env.occurred_at > MAX_AGE:
        raise ContractError("too_old", f"occurred_at is older than {MAX_AGE.days} days")
    schema = EVENT_TYPES.get(env.type)
    if schema is None:
        raise ContractError("unknown_type", f"event type {env.type!r} is not one of {', '.join(sorted(EVENT_TYPES))}")
    try:
        payload = schema.model_validate(env.payload).model_dump(mode="json")
    except ValidationError as exc:
        raise ContractError("invalid_payload", _first_error(exc)) from None
    media = None
    if env.media is not None:
        try:
            blob = base64.b64decode(env.media.data, validate=True)
        except (binascii.Error, ValueError):
            raise ContractError("media_encoding", "media.data is not valid base64") from None
        media = check_media(env.media.content_type, blob)
    return Event(
        event_id=env.event_id,
        device=env.device,
        type=env.type,
        occurred_at=env.occurred_at,
        payload=payload,
        media=media,
    )


def event_document(
    *,
    event_id: str,
    device: str,
    type: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    media: Media | None = None,
) -> dict[str, Any]:
    """The JSON document for an event (what a device or worker sends)."""
    doc: dict[str, Any] = {
        "event_id": event_id,
        "device": device,
        "type": type,
        "occurred_at": occurred_at.isoformat(),
        "payload": dict(payload),
    }
    if media is not None:
        doc["media"] = {"content_type": media.content_type, "data": base64.b64encode(media.data).decode()}
    return doc


def events_topic(device: str) -> str:
    return f"jingzhi/v1/{device}/events"


def status_topic(device: str) -> str:
    return f"jingzhi/v1/{device}/status"


def commands_topic(device: str) -> str:
    return f"jingzhi/v1/{device}/commands"


def device_from_topic(topic: str) -> tuple[str, str] | None:
    """``jingzhi/v1/<device>/<kind>`` → (device, kind); None for anything else."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "jingzhi" or parts[1] != "v1" or not parts[2]:
        return None
    return parts[2], parts[3]
