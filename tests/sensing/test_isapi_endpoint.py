"""The Hikvision ISAPI listening endpoint: authentication, translation into events, refusals kept."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jingzhi.core.scope import Actor
from jingzhi.registry.choices import CredentialKind
from jingzhi.registry.services.credentials import credential_issue
from jingzhi.sensing.models import AccessPass, Device, Event, Presence, RejectedEvent
from tests import factories as f
from tests.conftest import World
from tests.sensing.test_hikvision import JPEG, access_event, alert_xml, as_json, form_part, multipart

MAC = "aa:bb:cc:dd:ee:ff"


def _now() -> str:
    """The device's clock, in China time as the devices send it."""
    return timezone.now().astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0).isoformat()


def face_pass(employee: str = "1001", serial: int = 1234) -> bytes:
    doc = access_event(75, employeeNoString=employee, serialNo=serial)
    doc["dateTime"] = _now()
    return as_json(doc)


def basic(code: str, token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{code}:{token}".encode()).decode()}


@pytest.fixture
def door(world: World) -> tuple[Device, str]:
    device, token = f.device(world.a.estate, "door-a-1", "gate", vendor="hikvision", location="南门")
    assert isinstance(device, Device)
    return device, token


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def push(body: bytes, content_type: str, *, code: str = "door-a-1", query: str = "", **headers: Any) -> Any:
    return Client().post(f"/api/v1/ingest/isapi/{code}{query}", body, content_type=content_type, **headers)


def test_face_pass_matched_to_the_resident(world: World, door: tuple[Device, str]) -> None:
    device, token = door
    credential_issue(
        actor=Actor.system(),
        resident=world.a.resident,
        kind=CredentialKind.FACE,
        reference="1001",
        consent_at=timezone.now(),
    )
    response = push(face_pass(), "application/json; charset=utf-8", **basic("door-a-1", token))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "stored": 1, "duplicate": 0}
    event = Event.objects.get()
    assert (event.device, event.type, event.event_id, event.transport) == (device, "access.pass", "hik-1234", "isapi")
    assert event.payload["credential_kind"] == "face"
    passed = AccessPass.objects.get()
    assert passed.person_kind == "resident" and passed.resident == world.a.resident
    assert passed.estate_id == world.a.estate.pk
    assert Presence.objects.get(resident=world.a.resident).device == device
    device.refresh_from_db()
    assert device.online


def test_token_in_the_query_string(door: tuple[Device, str]) -> None:
    _device, token = door
    response = push(face_pass(employee="2002"), "application/json", query=f"?token={token}")
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert AccessPass.objects.get().person_kind == "unknown"  # a face the register does not know


def test_multipart_push_with_picture(door: tuple[Device, str], media_root: Path) -> None:
    _device, token = door
    content_type, body = multipart(
        "form-data",
        [
            form_part("event_log", "application/json", face_pass(serial=77)),
            form_part("Picture", "image/jpeg", JPEG, filename="Picture.jpg"),
        ],
    )
    response = push(body, content_type, **basic("door-a-1", token))
    assert response.status_code == 200 and response.json()["stored"] == 1
    event = Event.objects.get(event_id="hik-77")
    assert event.media.name.endswith(".jpg")
    with event.media.open("rb") as handle:
        assert handle.read() == JPEG
    assert event.media_expires_at is not None
    assert (event.media_expires_at - event.received_at).days == 7  # gate photos are kept a week


def test_xml_motion_alarm_becomes_camera_alarm(world: World) -> None:
    _cam, token = f.device(world.a.building, "cam-hik", "camera", vendor="hikvision")
    body = alert_xml(date=_now())
    response = push(body, "application/xml; charset=UTF-8", code="cam-hik", **basic("cam-hik", token))
    assert response.status_code == 200 and response.json()["stored"] == 1
    event = Event.objects.get()
    assert event.type == "camera.alarm"
    assert event.payload == {"vendor_type": "VMD", "state": "active", "channel": 1}
    assert event.case_id is None


def test_heartbeat_marks_online_and_stores_nothing(door: tuple[Device, str]) -> None:
    device, token = door
    assert not device.online
    heartbeat = alert_xml(event_type="videoloss", state="inactive", posts=0, date=_now())
    response = push(heartbeat, "application/xml", **basic("door-a-1", token))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "stored": 0, "duplicate": 0}
    device.refresh_from_db()
    assert device.online and device.last_seen_at is not None
    assert Event.objects.count() == 0 and RejectedEvent.objects.count() == 0


def test_the_same_push_twice_is_stored_once(door: tuple[Device, str]) -> None:
    _device, token = door
    body = face_pass(serial=555)
    first = push(body, "application/json", **basic("door-a-1", token))
    second = push(body, "application/json", **basic("door-a-1", token))
    assert first.json()["stored"] == 1
    assert second.status_code == 200 and second.json() == {"status": "ok", "stored": 0, "duplicate": 1}
    assert Event.objects.count() == 1 and AccessPass.objects.count() == 1


def test_wrong_token_refused_and_recorded(door: tuple[Device, str]) -> None:
    for headers, query in ((basic("door-a-1", "not-the-token"), ""), ({}, "?token=nope"), ({}, "")):
        response = push(face_pass(), "application/json", query=query, **headers)
        assert response.status_code == 401 and response.json()["code"] == "bad_token"
    kept = RejectedEvent.objects.filter(code="bad_token")
    assert kept.count() == 3
    assert {r.device_code for r in kept} == {"door-a-1"} and {r.transport for r in kept} == {"isapi"}
    assert Event.objects.count() == 0


def test_generic_device_cannot_use_the_isapi_endpoint(world: World) -> None:
    _device, token = f.device(world.a.estate, "gate-generic", "gate")
    response = push(face_pass(), "application/json", code="gate-generic", **basic("gate-generic", token))
    assert response.status_code == 401
    assert RejectedEvent.objects.get().code == "bad_token"


def test_unsupported_content_type_refused_and_recorded(door: tuple[Device, str]) -> None:
    device, token = door
    response = push(b"hello", "text/plain", **basic("door-a-1", token))
    assert response.status_code == 415 and response.json()["code"] == "adapter_unsupported"
    kept = RejectedEvent.objects.get()
    assert kept.code == "adapter_unsupported" and kept.device == device and kept.content_type == "text/plain"
    malformed = push(b'{"eventType": "VMD", ', "application/json", **basic("door-a-1", token))
    assert malformed.status_code == 422 and malformed.json()["code"] == "adapter_malformed"
    assert RejectedEvent.objects.filter(code="adapter_malformed", device=device).count() == 1


def test_push_from_another_box_refused_as_device_mismatch(door: tuple[Device, str]) -> None:
    device, token = door
    Device.objects.filter(pk=device.pk).update(vendor_key="11:22:33:44:55:66")
    response = push(face_pass(), "application/json", **basic("door-a-1", token))
    assert response.json()["stored"] == 0
    kept = RejectedEvent.objects.get()
    assert kept.code == "device_mismatch" and kept.device == device
    assert kept.community_id == device.community_id
    assert Event.objects.count() == 0
    Device.objects.filter(pk=device.pk).update(vendor_key=MAC)
    assert push(face_pass(), "application/json", **basic("door-a-1", token)).json()["stored"] == 1


def test_vendor_key_as_printed_on_the_label_matches(world: World) -> None:
    device, token = f.device(world.a.estate, "door-a-2", "gate", vendor="hikvision", vendor_key="AA-BB-CC-DD-EE-FF")
    assert isinstance(device, Device) and device.vendor_key == MAC
    response = push(face_pass(), "application/json", code="door-a-2", **basic("door-a-2", token))
    assert response.json()["stored"] == 1 and RejectedEvent.objects.count() == 0
    _other, _t = f.device(world.a.estate, "door-a-3", "gate", vendor="hikvision", vendor_key="aabbccddeeff")
    assert Device.objects.get(code="door-a-3").vendor_key == MAC


def test_reader_directions_from_the_device_config(door: tuple[Device, str]) -> None:
    device, token = door
    Device.objects.filter(pk=device.pk).update(config={"reader_directions": {"1": "out"}})
    assert push(face_pass(), "application/json", **basic("door-a-1", token)).json()["stored"] == 1
    assert AccessPass.objects.get().direction == "out"
