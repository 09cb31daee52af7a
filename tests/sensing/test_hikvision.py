"""Hikvision ISAPI pushes → event contract (framework-free, no database)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from jingzhi.sensing import contract
from jingzhi.sensing.adapters.hikvision import IsapiEvent, translate

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\r\n\n\r--x" + bytes(range(256)) * 4 + b"\xff\xd9"
NAMESPACES = (
    "http://www.hikvision.com/ver20/XMLSchema",
    "urn:psialliance-org",
    "http://www.std-cgi.com/ver20/XMLSchema",
)


def access_event(minor: int, **ace: Any) -> dict[str, Any]:
    """The reference AccessControllerEvent JSON push, with its sub-event overridden."""
    body: dict[str, Any] = {
        "deviceName": "Entrance",
        "majorEventType": 5,
        "subEventType": minor,
        "name": "张三",
        "employeeNoString": "1001",
        "cardNo": "",
        "cardType": 1,
        "cardReaderNo": 1,
        "doorNo": 1,
        "serialNo": 1234,
        "userType": "normal",
        "currentVerifyMode": "cardOrFaceOrFp",
        "attendanceStatus": "checkIn",
        "label": "",
        "mask": "no",
        "picturesNumber": 1,
        "FaceRect": {"x": 0.4, "y": 0.3, "width": 0.2, "height": 0.3},
        "purePwdVerifyEnable": True,
    }
    body.update(ace)
    return {
        "ipAddress": "192.168.1.64",
        "portNo": 80,
        "protocol": "HTTP",
        "macAddress": "AA:BB:CC:DD:EE:FF",
        "channelID": 1,
        "dateTime": "2024-04-19T20:34:56+08:00",
        "activePostCount": 1,
        "eventType": "AccessControllerEvent",
        "eventState": "active",
        "eventDescription": "Access Controller Event",
        "AccessControllerEvent": body,
    }


def alert_xml(
    ns: str = NAMESPACES[0],
    *,
    event_type: str = "VMD",
    state: str = "active",
    channel: str = "<channelID>1</channelID>",
    extra: str = "",
    date: str = "2026-07-03T08:02:15+08:00",
    posts: int = 1,
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<EventNotificationAlert version="2.0" xmlns="{ns}">\n'
        "<ipAddress>192.168.1.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>\n"
        f"<macAddress>aa:bb:cc:dd:ee:ff</macAddress>{channel}\n"
        f"<dateTime>{date}</dateTime><activePostCount>{posts}</activePostCount>\n"
        f"<eventType>{event_type}</eventType><eventState>{state}</eventState>\n"
        f"<eventDescription>Motion alarm</eventDescription>{extra}\n"
        "</EventNotificationAlert>\n"
    ).encode()


HEARTBEAT = alert_xml(event_type="videoloss", state="inactive", posts=0, extra="")


def multipart(
    subtype: str, parts: list[tuple[dict[str, str], bytes]], boundary: str = "MIME_boundary"
) -> tuple[str, bytes]:
    out = b""
    for headers, data in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        out += f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/{subtype}; boundary={boundary}", out


def form_part(name: str, content_type: str, data: bytes, filename: str = "") -> tuple[dict[str, str], bytes]:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return {"Content-Disposition": disposition, "Content-Type": content_type, "Content-Length": str(len(data))}, data


def valid(event: IsapiEvent) -> contract.Event:
    """Every translated document passes the contract once the device is filled in."""
    assert not event.heartbeat and event.document is not None
    doc = event.document
    assert doc["device"] == ""
    assert set(doc) == {"event_id", "device", "type", "occurred_at", "payload"}
    now = datetime.fromisoformat(doc["occurred_at"]) + timedelta(minutes=1)
    return contract.parse_event({**doc, "device": "x"}, now=now)


def one(content_type: str, body: bytes, **kwargs: Any) -> contract.Event:
    events = translate(content_type, body, **kwargs)
    assert len(events) == 1
    return valid(events[0])


def as_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# --- access controller (JSON) ------------------------------------------------------------


def test_face_pass() -> None:
    [event] = translate("application/json; charset=utf-8", as_json(access_event(75)))
    assert event.device_key == "aa:bb:cc:dd:ee:ff"
    assert event.media is None
    ev = valid(event)
    assert ev.type == "access.pass"
    assert ev.event_id == "hik-1234"
    assert ev.occurred_at.isoformat() == "2024-04-19T20:34:56+08:00"
    assert ev.payload == {
        "direction": "in",
        "credential_kind": "face",
        "credential_ref": "1001",
        "score": None,
        "vendor": {"major": 5, "minor": 75, "reader": 1, "verify_mode": "cardOrFaceOrFp"},
    }


def test_card_pass_on_exit_reader() -> None:
    ev = one("application/json", as_json(access_event(1, cardNo="3055466183", cardReaderNo=2)))
    assert ev.type == "access.pass"
    assert ev.payload["direction"] == "out"
    assert ev.payload["credential_kind"] == "card"
    assert ev.payload["credential_ref"] == "3055466183"


@pytest.mark.parametrize(
    ("minor", "kind"),
    [
        (2, "card"),
        (0x26, "fingerprint"),
        (0x28, "card"),
        (0x4D, "face"),
        (0x65, "password"),
        (0x9C, "qr"),
        (0xB5, "password"),
        (0x400, "remote"),
    ],
)
def test_every_pass_minor(minor: int, kind: str) -> None:
    ev = one("application/json", as_json(access_event(minor)))
    assert (ev.type, ev.payload["credential_kind"]) == ("access.pass", kind)


def test_reader_directions_and_legacy_employee_no() -> None:
    doc = access_event(75, cardReaderNo=3, employeeNoString="", employeeNo=42)
    assert one("application/json", as_json(doc)).payload["direction"] == "in"  # unknown reader
    ev = one("application/json", as_json(doc), reader_directions={3: "out"})
    assert ev.payload["direction"] == "out"
    assert ev.payload["credential_ref"] == "42"


def test_stranger_is_denied() -> None:
    doc = access_event(0x50, employeeNoString="", name="", serialNo=77)
    ev = one("application/json", as_json(doc))
    assert ev.type == "access.denied"
    assert ev.event_id == "hik-77"
    assert ev.payload["reason"] == "stranger"
    assert ev.payload["credential_kind"] == "face"
    assert ev.payload["credential_ref"] is None


@pytest.mark.parametrize(
    ("minor", "reason"),
    [
        (6, "no permission"),
        (9, "unknown card"),
        (0x27, "fingerprint mismatch"),
        (0x4C, "face mismatch"),
        (0x96, "wrong password"),
        (0x97, "wrong password"),
        (0x9D, "invalid QR code"),
    ],
)
def test_every_fail_minor(minor: int, reason: str) -> None:
    ev = one("application/json", as_json(access_event(minor)))
    assert (ev.type, ev.payload["reason"]) == ("access.denied", reason)


@pytest.mark.parametrize(("major", "minor"), [(5, 0x99), (5, 0x15), (5, 0x16), (2, 39), (3, 0x400)])
def test_other_access_codes_are_kept_raw(major: int, minor: int) -> None:
    ev = one("application/json", as_json(access_event(minor, majorEventType=major, doorNo=2)))
    assert ev.type == "camera.alarm"
    assert ev.payload["vendor_type"] == f"AccessControllerEvent:{major}:{minor}"
    assert ev.payload["vendor"]["major"] == major
    assert ev.payload["vendor"]["minor"] == minor
    assert ev.payload["channel"] == 2  # the door
    assert ev.payload["state"] == "active"


def test_same_push_twice_same_event_id() -> None:
    body = as_json(access_event(75))
    assert translate("application/json", body) == translate("application/json", body)
    no_serial = access_event(75)
    del no_serial["AccessControllerEvent"]["serialNo"]
    first = one("application/json", as_json(no_serial))
    assert first.event_id == one("application/json", as_json(no_serial)).event_id
    assert first.event_id.startswith("hik-") and first.event_id != "hik-1234"
    unlock = access_event(0x15)
    del unlock["AccessControllerEvent"]["serialNo"]
    assert one("application/json", as_json(unlock)).event_id != first.event_id  # same second, other minor
    xml_ids = {one("application/xml", alert_xml()).event_id for _ in range(2)}
    assert len(xml_ids) == 1
    assert xml_ids != {one("application/xml", alert_xml(state="inactive")).event_id}


def test_wrapped_json_and_ip_fallback() -> None:
    doc = access_event(75)
    doc["macAddress"] = ""
    [event] = translate("application/json", as_json({"EventNotificationAlert": doc}))
    assert event.device_key == "192.168.1.64"
    valid(event)


# --- multipart/form-data (access controller with picture) --------------------------------


def test_form_data_with_picture() -> None:
    ctype, body = multipart(
        "form-data",
        [
            form_part("event_log", "application/json", as_json(access_event(75))),
            form_part("Picture", "image/jpeg", JPEG, filename="Picture.jpg"),
        ],
    )
    [event] = translate(ctype, body)
    ev = valid(event)
    assert ev.type == "access.pass"
    assert event.media == contract.Media(content_type="image/jpeg", data=JPEG)  # byte-exact


def test_form_data_camera_xml_with_octet_stream_image() -> None:
    ctype, body = multipart(
        "form-data",
        [
            form_part("linedetection", "application/xml", alert_xml(event_type="linedetection")),
            form_part("linedetectionImage", "application/octet-stream", JPEG, filename="x.jpg"),
        ],
    )
    [event] = translate(ctype, body)
    assert valid(event).payload["vendor_type"] == "linedetection"
    assert event.media is not None and event.media.content_type == "image/jpeg"


def test_oversized_picture() -> None:
    big = JPEG + b"\x00" * contract.MAX_MEDIA_BYTES
    ctype, body = multipart(
        "form-data",
        [
            form_part("event_log", "application/json", as_json(access_event(75))),
            form_part("Picture", "image/jpeg", big),
        ],
    )
    with pytest.raises(contract.ContractError) as exc:
        translate(ctype, body)
    assert exc.value.code == "media_too_large"


def test_form_data_without_event_part() -> None:
    ctype, body = multipart("form-data", [form_part("Picture", "image/jpeg", JPEG)])
    with pytest.raises(contract.ContractError) as exc:
        translate(ctype, body)
    assert exc.value.code == "adapter_malformed"


# --- camera XML ----------------------------------------------------------------------------


@pytest.mark.parametrize("ns", NAMESPACES)
def test_vmd_in_each_namespace(ns: str) -> None:
    [event] = translate("application/xml", alert_xml(ns))
    assert event.device_key == "aa:bb:cc:dd:ee:ff"
    ev = valid(event)
    assert ev.type == "camera.alarm"
    assert ev.payload == {"vendor_type": "VMD", "state": "active", "channel": 1}
    assert ev.event_id.startswith("hik-")


def test_dyn_channel_and_target_type() -> None:
    extra = (
        "<DetectionRegionList><DetectionRegionEntry><regionID>1</regionID>"
        "<targetType>human</targetType></DetectionRegionEntry></DetectionRegionList>"
    )
    body = alert_xml(
        event_type="fielddetection", state="inactive", channel="<dynChannelID>12</dynChannelID>", extra=extra
    )
    ev = one("text/xml; charset=UTF-8", body)
    assert ev.payload == {"vendor_type": "fielddetection", "state": "inactive", "channel": 12, "target_type": "human"}


def test_real_video_loss_is_an_alarm_not_a_heartbeat() -> None:
    ev = one("application/xml", alert_xml(event_type="videoloss", state="active"))
    assert ev.payload["vendor_type"] == "videoloss"


def test_heartbeat() -> None:
    [event] = translate("application/xml", HEARTBEAT)
    assert event == IsapiEvent(device_key="aa:bb:cc:dd:ee:ff", heartbeat=True, document=None, media=None)


# --- multipart/mixed alert stream ----------------------------------------------------------


def test_alert_stream() -> None:
    xml = "application/xml; charset=UTF-8"
    ctype, body = multipart(
        "mixed",
        [
            ({"Content-Type": xml}, alert_xml(event_type="linedetection")),
            ({"Content-Type": "image/jpeg"}, JPEG),
            ({"Content-Type": xml}, HEARTBEAT),
            ({"Content-Type": "application/json"}, as_json(access_event(1, cardNo="99", serialNo=5))),
        ],
        boundary="boundary",
    )
    first, beat, second = translate(ctype, body)
    assert valid(first).payload["vendor_type"] == "linedetection"
    assert first.media is not None and first.media.data == JPEG
    assert beat.heartbeat and beat.document is None
    assert valid(second).event_id == "hik-5"
    assert second.media is None


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"eventType": "VMD", '),  # truncated JSON
        ("application/json", b"[1, 2]"),
        ("application/json", as_json({k: v for k, v in access_event(75).items() if k != "AccessControllerEvent"})),
        ("application/json", as_json(access_event(75, majorEventType="five"))),
        ("application/json", as_json(access_event(1, cardNo="9" * 65))),  # would break the contract
        ("application/xml", alert_xml(event_type="")),  # missing eventType
        ("application/xml", alert_xml().replace(b"<eventType>VMD</eventType>", b"")),
        ("application/xml", alert_xml(date="2026-07-03T08:02:15")),  # no offset
        ("application/xml", alert_xml(date="yesterday")),
        ("application/xml", alert_xml()[:-30]),  # truncated XML
        (
            "application/xml",
            alert_xml()
            .replace(b"<macAddress>aa:bb:cc:dd:ee:ff</macAddress>", b"")
            .replace(b"<ipAddress>192.168.1.64</ipAddress>", b""),
        ),
        ("application/xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><EventNotificationAlert>&a;</EventNotificationAlert>'),
        ("multipart/form-data", b"no boundary here"),
        ("multipart/mixed; boundary=zzz", b"--other\r\n\r\n{}\r\n--other--\r\n"),
    ],
)
def test_malformed(content_type: str, body: bytes) -> None:
    with pytest.raises(contract.ContractError) as exc:
        translate(content_type, body)
    assert exc.value.code == "adapter_malformed"


@pytest.mark.parametrize("content_type", ["text/plain", "", "image/jpeg", "multipart/x-mixed-replace; boundary=b"])
def test_unsupported_content_type(content_type: str) -> None:
    with pytest.raises(contract.ContractError) as exc:
        translate(content_type, as_json(access_event(75)))
    assert exc.value.code == "adapter_unsupported"


def test_bad_reader_direction_config() -> None:
    with pytest.raises(ValueError, match="reader_directions"):
        translate("application/json", as_json(access_event(75)), reader_directions={1: "sideways"})
