"""Hikvision ISAPI event notifications → the event contract.

Covers the "HTTP listening" push (JSON, XML, or ``multipart/form-data`` with an
``event_log`` part and a ``Picture`` JPEG) and the ``multipart/mixed`` alert stream.
Access-controller events (major 5) become ``access.pass`` / ``access.denied``;
everything else becomes ``camera.alarm`` with the vendor codes kept raw. Framework-free:
the caller fills ``device`` (it knows which registered device ``device_key`` is) and
caps the request body size. Every returned document passes ``contract.parse_event``.
"""

from __future__ import annotations

import email
import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any

from jingzhi.sensing.contract import MAX_BODY_BYTES, ContractError, Media, check_media, parse_event

#: cardReaderNo → direction when the caller has no per-device mapping.
DEFAULT_READER_DIRECTIONS: Mapping[int, str] = {1: "in", 2: "out"}
ACCESS_MAJOR = 5
#: Access "pass" minors → credential kind (HCNetSDK MINOR_* constants).
PASS_MINORS: Mapping[int, str] = {
    0x01: "card",  # LEGAL_CARD_PASS
    0x02: "card",  # CARD_AND_PSW_PASS
    0x26: "fingerprint",  # FINGERPRINT_COMPARE_PASS
    0x28: "card",  # CARD_FINGERPRINT_VERIFY_PASS
    0x4B: "face",  # FACE_VERIFY_PASS
    0x4D: "face",  # EMPLOYEENO_AND_FACE_VERIFY_PASS
    0x65: "password",  # EMPLOYEENO_AND_PW_PASS
    0x9C: "qr",  # QRCODE_VERIFY_PASS
    0xB5: "password",  # PASSWD_VERIFY_PASS
    0x400: "remote",  # REMOTE_OPEN_DOOR_PASS
}
#: Access "fail" minors → (credential kind, reason).
FAIL_MINORS: Mapping[int, tuple[str, str]] = {
    0x06: ("card", "no permission"),
    0x09: ("card", "unknown card"),
    0x27: ("fingerprint", "fingerprint mismatch"),
    0x4C: ("face", "face mismatch"),
    0x50: ("face", "stranger"),
    0x96: ("password", "wrong password"),
    0x97: ("password", "wrong password"),
    0x9D: ("qr", "invalid QR code"),
}
_JSON_TYPES = ("application/json", "text/json")
_XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True)
class IsapiEvent:
    """One translated notification. ``document`` has ``device`` set to ``""``; None for a heartbeat."""

    device_key: str
    heartbeat: bool
    document: dict[str, Any] | None
    media: Media | None = None


def _malformed(detail: str) -> ContractError:
    return ContractError("adapter_malformed", detail[:200])


def translate(
    content_type: str, body: bytes, *, reader_directions: Mapping[int, str] | None = None
) -> list[IsapiEvent]:
    """Translate one ISAPI HTTP body into events, or raise :class:`ContractError`."""
    directions = DEFAULT_READER_DIRECTIONS if reader_directions is None else reader_directions
    mime = content_type.split(";", 1)[0].strip().lower()
    alerts: list[tuple[dict[str, Any], Media | None]]
    if mime in _JSON_TYPES:
        alerts = [(_load_json(body), None)]
    elif mime in _XML_TYPES:
        alerts = [(_load_xml(body), None)]
    elif mime in ("multipart/form-data", "multipart/mixed"):
        alerts = _multipart_alerts(content_type, body, form=mime == "multipart/form-data")
    else:
        raise ContractError("adapter_unsupported", f"content type {mime or '(none)'!r} is not an ISAPI notification")
    return [_translate_alert(alert, directions, media) for alert, media in alerts]


# --- parsing -------------------------------------------------------------------------------


def _load_json(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise _malformed(f"event document of {len(raw)} bytes is too large")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _malformed(f"JSON: {exc}") from None
    if isinstance(data, dict) and len(data) == 1 and isinstance(data.get("EventNotificationAlert"), dict):
        data = data["EventNotificationAlert"]
    if not isinstance(data, dict):
        raise _malformed("the JSON event must be an object")
    return data


def _local(tag: str) -> str:
    """``{http://www.hikvision.com/ver20/XMLSchema}eventType`` → ``eventType``."""
    return tag.rsplit("}", 1)[-1]


def _xml_dict(elem: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in elem:
        out.setdefault(_local(child.tag), _xml_dict(child) if len(child) else (child.text or "").strip())
    return out


def _load_xml(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise _malformed(f"event document of {len(raw)} bytes is too large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _malformed("XML is not UTF-8") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise _malformed("XML with a DTD is refused")
    try:
        root = ET.fromstring(text)  # noqa: S314 -- no DTD, hence no entity expansion
    except ET.ParseError as exc:
        raise _malformed(f"XML: {exc}") from None
    return _xml_dict(root)


def _load_event(data: bytes, ctype: str) -> dict[str, Any]:
    if ctype in _JSON_TYPES or (ctype not in _XML_TYPES and data.lstrip().startswith(b"{")):
        return _load_json(data)
    return _load_xml(data)


def _multipart_alerts(content_type: str, body: bytes, *, form: bool) -> list[tuple[dict[str, Any], Media | None]]:
    """Event parts with their picture. form-data: one event (``event_log`` or the first
    JSON/XML part) and its first image; mixed (alert stream): each JSON/XML part is an
    event and an image part belongs to the event before it."""
    if "\r" in content_type or "\n" in content_type or not content_type.isascii():
        raise _malformed("bad content type header")
    msg = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts = msg.get_payload()
    if not msg.is_multipart() or msg.defects or not isinstance(parts, list):
        raise _malformed("unparseable multipart body (boundary missing or not found)")
    events: list[tuple[bytes, str, str]] = []  # (data, content type, part name)
    images: dict[int, Media] = {}  # index in events of the event before → its picture
    for part in parts:
        if not isinstance(part, Message) or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data.strip():
            continue
        ctype = part.get_content_type()
        raw_name = part.get_param("name", header="content-disposition")
        name = raw_name if isinstance(raw_name, str) else ""
        if ctype.startswith("image/") or name.lower() == "picture" or data.startswith(b"\xff\xd8\xff"):
            if data.startswith(b"\xff\xd8\xff") and not ctype.startswith("image/"):
                ctype = "image/jpeg"
            media = check_media(ctype, data)
            images.setdefault(0 if form else len(events) - 1, media)
        elif ctype in _JSON_TYPES + _XML_TYPES or data.lstrip()[:1] in (b"{", b"<"):
            events.append((data, ctype, name))
    if form:
        chosen = [e for e in events if e[2] == "event_log"] or events
        events = chosen[:1]
    if not events:
        raise _malformed("no JSON or XML event part in the multipart body")
    return [(_load_event(data, ctype), images.get(i)) for i, (data, ctype, _) in enumerate(events)]


# --- mapping -------------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _device_key(alert: Mapping[str, Any]) -> str:
    mac = _text(alert.get("macAddress")).lower().replace("-", ":")
    key = mac or _text(alert.get("ipAddress")) or _text(alert.get("ipv6Address"))
    if not key:
        raise _malformed("the event names neither macAddress nor ipAddress")
    return key


def _find(data: Mapping[str, Any], key: str) -> str:
    """The first non-empty ``key`` anywhere in a nested event (``targetType`` sits at varying depths)."""
    if _text(data.get(key)):
        return _text(data.get(key))
    for value in data.values():
        found = _find(value, key) if isinstance(value, Mapping) else ""
        if found:
            return found
    return ""


def _credential_ref(ace: Mapping[str, Any]) -> str | None:
    for key in ("cardNo", "employeeNoString", "employeeNo"):
        if _text(ace.get(key)):
            return _text(ace.get(key))
    return None


def _access(
    ace: Mapping[str, Any], directions: Mapping[int, str], state: str, channel: int | None
) -> tuple[str, dict[str, Any]]:
    major, minor = _as_int(ace.get("majorEventType")), _as_int(ace.get("subEventType"))
    if major is None or minor is None:
        raise _malformed("AccessControllerEvent lacks an integer majorEventType/subEventType")
    reader = _as_int(ace.get("cardReaderNo"))
    verify_mode = _text(ace.get("currentVerifyMode")) or None
    vendor = {"major": major, "minor": minor, "reader": reader, "verify_mode": verify_mode}
    direction = directions.get(reader, "in") if reader is not None else "in"
    if direction not in ("in", "out"):
        raise ValueError(f"reader_directions[{reader}] must be 'in' or 'out', not {direction!r}")
    common = {"direction": direction, "credential_ref": _credential_ref(ace), "vendor": vendor}
    if major == ACCESS_MAJOR and minor in PASS_MINORS:
        return "access.pass", {**common, "credential_kind": PASS_MINORS[minor]}
    if major == ACCESS_MAJOR and minor in FAIL_MINORS:
        kind, reason = FAIL_MINORS[minor]
        return "access.denied", {**common, "credential_kind": kind, "reason": reason}
    # Door locked/unlocked, alarms, exceptions, operations and minors we do not know yet.
    door = _as_int(ace.get("doorNo"))
    return "camera.alarm", {
        "vendor_type": f"AccessControllerEvent:{major}:{minor}",
        "state": state,
        "channel": door if door is not None else channel,
        "vendor": vendor,
    }


def _translate_alert(alert: Mapping[str, Any], directions: Mapping[int, str], media: Media | None) -> IsapiEvent:
    device_key = _device_key(alert)
    event_type = _text(alert.get("eventType"))
    if not event_type:
        raise _malformed("the event has no eventType")
    state = "inactive" if _text(alert.get("eventState")).lower() == "inactive" else "active"
    if event_type.lower() == "videoloss" and state == "inactive" and _as_int(alert.get("activePostCount")) == 0:
        return IsapiEvent(device_key=device_key, heartbeat=True, document=None)

    occurred_at = _text(alert.get("dateTime"))
    try:
        when = datetime.fromisoformat(occurred_at)
    except ValueError:
        raise _malformed(f"dateTime {occurred_at!r} is not ISO 8601") from None
    if when.tzinfo is None:
        raise _malformed(f"dateTime {occurred_at!r} has no UTC offset")
    channel = _as_int(alert.get("channelID"))
    if channel is None:
        channel = _as_int(alert.get("dynChannelID"))

    serial: int | None = None
    id_parts = [device_key, occurred_at, event_type, "" if channel is None else str(channel), state]
    if event_type == "AccessControllerEvent":
        ace = alert.get("AccessControllerEvent")
        if not isinstance(ace, Mapping):
            raise _malformed("AccessControllerEvent body is missing")
        type_, payload = _access(ace, directions, state, channel)
        serial = _as_int(ace.get("serialNo"))
        id_parts += [_text(ace.get("majorEventType")), _text(ace.get("subEventType"))]
    else:
        type_ = "camera.alarm"
        payload = {"vendor_type": event_type[:60], "state": state, "channel": channel}
        if target := _find(alert, "targetType"):
            payload["target_type"] = target
    if serial is not None and serial >= 0:
        event_id = f"hik-{serial}"
    else:  # a redelivered push hashes to the same id
        event_id = "hik-h" + hashlib.sha1("|".join(id_parts).encode(), usedforsecurity=False).hexdigest()[:20]

    document: dict[str, Any] = {
        "event_id": event_id,
        "device": "",
        "type": type_,
        "occurred_at": occurred_at,
        "payload": payload,
    }
    try:  # the same checks the ingest applies, so no half-valid document leaves this module
        parse_event({**document, "device": device_key[:64]}, now=when)
    except ContractError as exc:
        raise _malformed(f"translated event is invalid: {exc.detail}") from None
    return IsapiEvent(device_key=device_key, heartbeat=False, document=document, media=media)
