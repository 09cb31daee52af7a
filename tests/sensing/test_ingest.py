"""The ingest pipeline through HTTP: idempotency, rejections kept, passes matched, cases opened."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from jingzhi.cases.choices import CaseState
from jingzhi.cases.models import Case
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import CredentialKind
from jingzhi.registry.services.credentials import credential_issue
from jingzhi.sensing.contract import MAX_MEDIA_BYTES
from jingzhi.sensing.models import AccessPass, Device, DeviceCommand, Event, Presence, RejectedEvent
from tests import factories as f
from tests.sensing.helpers import doc

URL = "/api/v1/ingest/events"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 500


def post(token: str | None, body: object, **extra: str) -> object:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(URL, raw, content_type="application/json", **headers, **extra)


@pytest.fixture
def camera(world):  # type: ignore[no-untyped-def]
    return f.device(world.a.building, "cam-a-3", "camera", location="3幢立面")


def test_event_stored_once_and_redelivery_acknowledged(world, camera) -> None:  # type: ignore[no-untyped-def]
    device, token = camera
    event = doc("cam-a-3", event_id="t-1")
    first = post(token, event)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "stored"
    again = post(token, event)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert Event.objects.filter(device=device, event_id="t-1").count() == 1
    stored = Event.objects.get(event_id="t-1")
    assert stored.community_id == world.a.community.pk and stored.estate_id == world.a.estate.pk
    device.refresh_from_db()
    assert device.online and device.last_seen_at is not None


@pytest.mark.parametrize(
    ("body", "token", "status", "code"),
    [
        (b"{not json", "good", 422, "malformed_json"),
        ("unknown", "good", 404, "unknown_device"),
        ("wrong-token", "bad", 401, "bad_token"),
        ("skew", "good", 422, "clock_skew"),
        ("naive", "good", 422, "naive_time"),
        ("bad-type", "good", 422, "unknown_type"),
        ("bad-payload", "good", 422, "invalid_payload"),
        ("big-media", "good", 413, "media_too_large"),
    ],
)
def test_rejections_are_answered_and_kept(world, camera, body, token, status, code) -> None:  # type: ignore[no-untyped-def]
    _device, good = camera
    event = doc("cam-a-3")
    if body == "unknown":
        event["device"] = "no-such-device"
    elif body == "skew":
        event["occurred_at"] = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    elif body == "naive":
        event["occurred_at"] = "2026-11-26T08:00:00"
    elif body == "bad-type":
        event["type"] = "throw.maybe"
    elif body == "bad-payload":
        event["payload"] = {"floor": "twelve", "confidence": 0.9}
    elif body == "big-media":
        event["media"] = {
            "content_type": "image/jpeg",
            "data": base64.b64encode(b"\xff" * (MAX_MEDIA_BYTES + 1)).decode(),
        }
    payload = body if isinstance(body, bytes) else event
    response = post(good if token == "good" else "not-the-token", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    kept = RejectedEvent.objects.get()
    assert kept.code == code and kept.body_bytes > 0
    assert Event.objects.count() == 0


def test_multipart_snapshot_stored_with_retention(world, camera) -> None:  # type: ignore[no-untyped-def]
    _device, token = camera
    event = doc("cam-a-3", "litter.detected", event_id="l-1")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(
        URL,
        {"event": json.dumps(event), "media": SimpleUploadedFile("snap.jpg", JPEG, content_type="image/jpeg")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    stored = Event.objects.get(event_id="l-1")
    assert stored.media.name.endswith(".jpg")
    assert stored.media.read() == JPEG
    assert stored.media_expires_at is not None
    assert (stored.media_expires_at - stored.received_at).days == 90


def test_thrown_object_opens_urgent_case_for_grid_worker_and_repeats_attach(world, camera) -> None:  # type: ignore[no-untyped-def]
    _device, token = camera
    first = post(token, doc("cam-a-3")).json()
    case = Case.objects.get(pk=first["case"])
    assert case.category.code == "thrown_object"
    assert case.priority == "urgent"
    assert case.assignee == world.users["grid_worker_a"]
    assert case.state == CaseState.ASSIGNED
    second = post(token, doc("cam-a-3")).json()
    assert second["case"] == case.pk
    case.refresh_from_db()
    assert case.repeats == 1
    assert Case.objects.count() == 1
    assert Event.objects.filter(case=case).count() == 2


def test_low_confidence_detection_is_recorded_without_case(world, camera) -> None:  # type: ignore[no-untyped-def]
    _device, token = camera
    body = post(token, doc("cam-a-3", "litter.detected", confidence=0.2)).json()
    assert body["status"] == "stored" and body["case"] is None
    assert Case.objects.count() == 0


def test_a_throw_opens_a_case_however_unsure_its_window(world, camera) -> None:  # type: ignore[no-untyped-def]
    # A throw's confidence is about the floor and window it came from, not about whether it fell.
    _device, token = camera
    body = post(token, doc("cam-a-3", confidence=0.3)).json()
    assert body["case"] is not None
    assert Case.objects.count() == 1


def test_gate_pass_matched_to_resident_or_kept_unknown(world) -> None:  # type: ignore[no-untyped-def]
    _gate, token = f.device(world.a.estate, "gate-a-s", "gate", location="南门")
    credential_issue(actor=Actor.system(), resident=world.a.resident, kind=CredentialKind.CARD, reference="CARD-0001")
    post(token, doc("gate-a-s", "access.pass", credential_kind="card", credential_ref="CARD-0001"))
    post(token, doc("gate-a-s", "access.pass", direction="out", credential_kind="card", credential_ref="X-9"))
    post(token, doc("gate-a-s", "access.pass"))
    kinds = sorted(AccessPass.objects.values_list("person_kind", flat=True))
    assert kinds == ["resident", "unknown", "visitor"]
    matched = AccessPass.objects.get(person_kind="resident")
    assert matched.resident == world.a.resident
    assert Presence.objects.get(resident=world.a.resident).direction == "in"
    unknown = AccessPass.objects.get(person_kind="unknown")
    assert unknown.credential_digest and "X-9" not in unknown.credential_digest


def test_ebike_in_elevator_commands_hold_door_and_cases_only_repeats(world) -> None:  # type: ignore[no-untyped-def]
    _lift, token = f.device(world.a.unit, "lift-a-3-2", "elevator", location="3幢2单元电梯")
    for _ in range(2):
        assert post(token, doc("lift-a-3-2", "ebike.elevator")).json()["case"] is None
    assert DeviceCommand.objects.filter(name="hold_door").count() == 2
    third = post(token, doc("lift-a-3-2", "ebike.elevator")).json()
    assert third["case"] is not None
    case = Case.objects.get(pk=third["case"])
    assert case.category.code == "ebike_elevator"
    assert case.assignee == world.users["property_manager_a"]
    # The elevator polls its commands over HTTP and acknowledges one through the contract.
    polled = Client().get("/api/v1/ingest/commands", {"device": "lift-a-3-2"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert polled.status_code == 200
    commands = polled.json()
    assert len(commands) == 3 and commands[0]["name"] == "hold_door"
    ack = doc("lift-a-3-2", "command.ack", command_id=commands[0]["command_id"], ok=True)
    assert post(token, ack).status_code == 201
    assert DeviceCommand.objects.get(command_id=commands[0]["command_id"]).status == "acked"


def test_deactivated_device_rejected(world, camera) -> None:  # type: ignore[no-untyped-def]
    device, token = camera
    Device.objects.filter(pk=device.pk).update(active=False)
    response = post(token, doc("cam-a-3"))
    assert response.status_code == 403
    assert response.json()["code"] == "device_inactive"


def test_oversized_request_refused_and_recorded(world, camera) -> None:  # type: ignore[no-untyped-def]
    _device, token = camera
    response = post(token, b"{" + b" " * (5 * 1024 * 1024) + b"}")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert RejectedEvent.objects.get().code == "too_large"


def test_last_gate_pass_on_the_resident_page_and_devices_on_the_place_page(world) -> None:  # type: ignore[no-untyped-def]
    _gate, token = f.device(world.a.estate, "gate-a-n", "gate", location="北门", name="甲花苑北门")
    credential_issue(actor=Actor.system(), resident=world.a.resident, kind=CredentialKind.CARD, reference="CARD-7")
    post(token, doc("gate-a-n", "access.pass", direction="out", credential_kind="card", credential_ref="CARD-7"))
    page = world.client("community_staff_a").get(f"/register/residents/{world.a.resident.pk}/").content.decode()
    assert "甲花苑北门" in page
    assert "甲花苑北门" in world.client("community_staff_a").get(f"/places/{world.a.estate.pk}/").content.decode()
    # A volunteer sees neither (no device capability).
    assert "甲花苑北门" not in world.client("volunteer_a").get(f"/places/{world.a.estate.pk}/").content.decode()


def test_staff_register_a_device_and_rotate_its_token(world) -> None:  # type: ignore[no-untyped-def]
    staff = world.client("community_staff_a")
    assert "/devices/new/" in staff.get(f"/places/{world.a.building.pk}/").content.decode()
    form = {"code": "cam-new", "name": "3幢立面", "kind": "camera", "location": "", "vendor": "generic"}
    form |= {"vendor_key": "", "heartbeat_s": "60", "offline_allowance_s": "600"}
    page = staff.post(f"/devices/new/{world.a.building.pk}/", form)
    assert page.status_code == 200
    token = page.content.decode().split('id="device-token">')[1].split("<")[0]
    assert post(token, doc("cam-new", confidence=0.3)).status_code == 201
    assert staff.post(f"/devices/new/{world.a.building.pk}/", form).status_code == 200  # duplicate code: form again
    assert Device.objects.filter(code="cam-new").count() == 1
    rotated = staff.post("/devices/cam-new/token/").content.decode().split('id="device-token">')[1].split("<")[0]
    assert rotated != token
    assert post(token, doc("cam-new", confidence=0.3)).status_code == 401
    assert post(rotated, doc("cam-new", confidence=0.3)).status_code == 201
    assert world.client("grid_worker_a").post(f"/devices/new/{world.a.grid.pk}/", form).status_code == 404
    assert world.client("community_staff_b").post("/devices/cam-new/token/").status_code == 404
