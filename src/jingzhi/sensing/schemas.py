"""API schemas of devices and events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class DeviceOut(Schema):
    code: str
    name: str
    kind: str
    place_id: int
    location: str
    vendor: str
    online: bool
    last_seen_at: dt.datetime | None
    heartbeat_s: int


class EventOut(Schema):
    id: int
    device: str
    event_id: str
    type: str
    occurred_at: dt.datetime
    received_at: dt.datetime
    transport: str
    payload: dict[str, Any]
    has_media: bool
    case_id: int | None

    @staticmethod
    def resolve_device(obj: Any) -> str:
        return str(obj.device.code)

    @staticmethod
    def resolve_has_media(obj: Any) -> bool:
        return bool(obj.media)


class RejectedOut(Schema):
    id: int
    received_at: dt.datetime
    transport: str
    device_code: str
    code: str
    detail: str
    content_type: str
    body_bytes: int
    body: str
