"""Vision workers on the platform: camera leases shared between workers, events sent under a lease,
clips and reference frames, and the facade calibration page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingzhi.cameras.models import CameraLease, CameraSnapshot, EventClip
from jingzhi.cameras.services import lease, worker_add
from jingzhi.core.models import AuditEntry
from jingzhi.sensing.models import Device, Event
from tests import factories as f
from tests.conftest import World
from tests.sensing.helpers import doc

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 400
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 400
FACADE = {"corners": [[100, 50], [600, 60], [610, 700], [90, 690]], "floors": 18, "columns": 4, "width_m": 24}


@pytest.fixture
def cameras(world: World) -> list[Device]:
    out = []
    for n in range(3):
        device, _token = f.device(world.a.building, f"cam-{n}", "camera", location=f"{n}号立面")
        device.config = {"facade": FACADE, "source": f"rtsp://10.0.0.{n}/stream"}
        device.save()
        out.append(device)
    f.device(world.a.estate, "cam-garbage", "camera")  # no facade: never leased
    return out


def _post(token: str, path: str, body: dict[str, object]) -> object:
    return Client().post(path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_workers_share_cameras_and_take_over_expired_leases(world: World, cameras: list[Device]) -> None:
    _one, token_one = worker_add("box-1")
    two, token_two = worker_add("box-2")
    first = _post(token_one, "/api/v1/vision/lease", {"max_cameras": 2}).json()
    assert [c["device"] for c in first["cameras"]] == ["cam-0", "cam-1"]
    assert first["cameras"][0]["facade"]["floors"] == 18 and first["cameras"][0]["source"].startswith("rtsp://")
    second = _post(token_two, "/api/v1/vision/lease", {"max_cameras": 2}).json()
    assert [c["device"] for c in second["cameras"]] == ["cam-2"]  # the garbage-room camera has no facade
    # Renewal keeps the same cameras.
    assert [c["device"] for c in _post(token_one, "/api/v1/vision/lease", {"max_cameras": 2}).json()["cameras"]] == [
        "cam-0",
        "cam-1",
    ]
    # Worker one dies: after its leases expire, worker two takes its cameras over.
    later = timezone.now() + dt.timedelta(minutes=5)
    taken = lease(two, 3, now=later)
    assert sorted(ls.device.code for ls in taken) == ["cam-0", "cam-1", "cam-2"]
    assert set(CameraLease.objects.values_list("worker__name", flat=True)) == {"box-2"}
    assert _post(token_two, "/api/v1/vision/release", {"devices": ["cam-0"]}).json() == {"released": 1}
    assert _post("wrong", "/api/v1/vision/lease", {"max_cameras": 1}).status_code == 401


def test_events_under_a_lease_then_clip_and_reference_frame(world: World, cameras: list[Device]) -> None:
    _worker, token = worker_add("box-1")
    _other, other_token = worker_add("box-2")
    _post(token, "/api/v1/vision/lease", {"max_cameras": 1})
    event = doc("cam-0", "throw.detected", event_id="vw-1", floor=12, column=3, confidence=0.9)
    answer = Client().post(
        "/api/v1/ingest/events",
        {"event": json.dumps(event), "media": SimpleUploadedFile("s.jpg", JPEG, content_type="image/jpeg")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 201, answer.content
    case_id = answer.json()["case"]
    # Another worker, or the first one for a camera it does not hold, is refused.
    for bad_token, code in ((other_token, "cam-0"), (token, "cam-1")):
        refused = Client().post(
            "/api/v1/ingest/events",
            json.dumps(doc(code, "throw.detected", confidence=0.9)),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bad_token}",
        )
        assert refused.status_code == 401
    clip = {"device": "cam-0", "event_id": "vw-1", "clip": SimpleUploadedFile("c.mp4", MP4, content_type="video/mp4")}
    assert Client().post("/api/v1/ingest/clips", clip, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 201
    clip["clip"] = SimpleUploadedFile("c.mp4", MP4, content_type="video/mp4")
    assert Client().post("/api/v1/ingest/clips", clip, HTTP_AUTHORIZATION=f"Bearer {token}").json() == {
        "status": "duplicate"
    }
    stored = EventClip.objects.get(event__event_id="vw-1")
    assert stored.file.read() == MP4 and stored.expires_at > timezone.now() + dt.timedelta(days=100)
    missing = {
        "device": "cam-0",
        "event_id": "nope",
        "clip": SimpleUploadedFile("c.mp4", MP4, content_type="video/mp4"),
    }
    assert Client().post("/api/v1/ingest/clips", missing, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404
    frame = {"image": SimpleUploadedFile("f.jpg", JPEG, content_type="image/jpeg")}
    assert (
        Client().post("/api/v1/vision/snapshot/cam-0", frame, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    )
    assert CameraSnapshot.objects.get(device__code="cam-0").image.read() == JPEG

    # The case page shows the floor, the window, the snapshot and the clip.
    staff = world.client("community_staff_a")
    page = staff.get(f"/cases/{case_id}/").content.decode()
    event_pk = Event.objects.get(event_id="vw-1").pk
    assert f"/devices/events/{event_pk}/media/" in page and f"/cameras/clips/{event_pk}/" in page
    assert staff.get(f"/cameras/clips/{event_pk}/").status_code == 200
    assert AuditEntry.objects.filter(action="event.clip").count() == 1
    assert world.client("community_staff_b").get(f"/cameras/clips/{event_pk}/").status_code == 404


def test_calibration_page_validates_saves_and_downloads(world: World, cameras: list[Device]) -> None:
    secretary = world.client("community_secretary_a")
    url = "/cameras/cam-0/calibrate/"
    assert secretary.get(url).status_code == 200
    bad = {**FACADE, "corners": [[1, 2], [3, 4]]}
    response = secretary.post(url, {"source": "rtsp://x", "facade": json.dumps(bad)})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    good = {**FACADE, "floors": 20, "masks": [{"kind": "tree", "polygon": [[0, 600], [80, 600], [80, 720]]}]}
    response = secretary.post(
        url,
        {
            "source": "rtsp://10.0.0.9/main",
            "facade": json.dumps(good),
            "photo": SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    device = Device.objects.get(code="cam-0")
    assert device.config["facade"]["floors"] == 20 and device.config["source"] == "rtsp://10.0.0.9/main"
    assert device.config["facade"]["masks"][0]["kind"] == "tree"
    assert secretary.get("/cameras/cam-0/reference.jpg").status_code == 200
    assert secretary.get("/cameras/cam-0/facade.json").json()["floors"] == 20
    assert AuditEntry.objects.filter(action="camera.calibrate").count() == 1
    assert world.client("grid_worker_a").get(url).status_code == 403
    assert world.client("community_secretary_b").get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_expired_clips_are_deleted_and_the_event_stays(world: World, cameras: list[Device]) -> None:
    from django.core.files.base import ContentFile

    from jingzhi.cameras.services import purge_expired_clips

    device = cameras[0]
    event = Event(
        device=device,
        event_id="e1",
        type="throw.detected",
        occurred_at=timezone.now(),
        transport="http",
        payload={"confidence": 0.9},
        place=device.place,
    )
    event.fill_scope(device.place)
    event.save()
    clip = EventClip(event=event, expires_at=timezone.now() + dt.timedelta(days=180))
    clip.file.save("c.mp4", ContentFile(MP4), save=True)
    path = clip.file.path
    assert purge_expired_clips() == 0
    assert purge_expired_clips(now=timezone.now() + dt.timedelta(days=181)) == 1
    assert not EventClip.objects.exists() and Event.objects.filter(pk=event.pk).exists()
    import os

    assert not os.path.exists(path)


def test_oversized_or_wrong_clip_is_refused_with_its_code(world: World, cameras: list[Device]) -> None:
    from jingzhi.cameras import services

    _worker, token = worker_add("box-1")
    _post(token, "/api/v1/vision/lease", {"max_cameras": 1})
    event = doc("cam-0", "throw.detected", event_id="vw-9", floor=3, confidence=0.9)
    Client().post(
        "/api/v1/ingest/events",
        json.dumps(event),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    wrong = {
        "device": "cam-0",
        "event_id": "vw-9",
        "clip": SimpleUploadedFile("c.gif", b"GIF89a", content_type="image/gif"),
    }
    answer = Client().post("/api/v1/ingest/clips", wrong, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 422 and answer.json()["code"] == "media_type"
    limit, services.MAX_CLIP_BYTES = services.MAX_CLIP_BYTES, 100
    try:
        big = {
            "device": "cam-0",
            "event_id": "vw-9",
            "clip": SimpleUploadedFile("c.mp4", MP4, content_type="video/mp4"),
        }
        answer = Client().post("/api/v1/ingest/clips", big, HTTP_AUTHORIZATION=f"Bearer {token}")
    finally:
        services.MAX_CLIP_BYTES = limit
    assert answer.status_code == 413 and answer.json()["code"] == "media_too_large"
