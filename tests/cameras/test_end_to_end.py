"""End to end: a thrown object in a simulated camera stream, analysed by `jingzhi vision run`
(the real worker, over HTTP against the live platform), becomes a case with the floor, the
window, the snapshot and the clip."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import av
import pytest

from jingzhi.cameras.models import CameraLease, EventClip
from jingzhi.cameras.services import worker_add
from jingzhi.cases.models import Case
from jingzhi.sensing.models import Event
from jingzhi.vision.synth import ThrowSpec
from jingzhi.vision.worker import Worker
from tests import factories as f
from tests.vision.conftest import render_clip


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin")
def test_thrown_object_in_a_camera_stream_becomes_a_case(live_server: Any, tmp_path: Path) -> None:
    from jingzhi.core.choices import PlaceKind, Role

    sub = f.place(PlaceKind.SUBDISTRICT, None, "320505407", "科技城")
    community = f.community(sub, "320505407001", "甲社区", "张甲一", "甲花苑")
    worker_user = f.user("grid_a", role=Role.GRID_WORKER, at=community.grid)
    clip = render_clip(
        tmp_path / "scene",
        seed=21,
        duration_s=6.0,
        throws=[ThrowSpec(kind="bottle", floor=5, column=2, release_s=2.4, luma=30.0)],
    )
    camera, _token = f.device(community.building, "cam-b3", "camera", location="3幢立面")
    camera.config = {"source": str(clip.video), "facade": json.loads(clip.facade.read_text())}
    camera.save()
    _vision, token = worker_add("box-1")

    worker = Worker(live_server.url, token, name="box-1", once=True, fast=True, max_cameras=2)
    worker.run(threading.Event())

    event = Event.objects.get(device=camera, type="throw.detected")
    assert abs(event.payload["floor"] - 5) <= 1 and event.payload["column"] == 2
    assert event.media and event.media.read(3) == b"\xff\xd8\xff"  # the JPEG snapshot
    case = Case.objects.get(pk=event.case_id)
    assert case.category.code == "thrown_object" and case.priority == "urgent"
    assert case.assignee == worker_user
    assert str(event.payload["floor"]) in case.title
    stored = EventClip.objects.get(event=event)
    with av.open(stored.file.path) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(stream))
    assert frames >= 4 * 25  # from 3 s before the release to 2 s after the alarm (clip permitting)
    assert not CameraLease.objects.exists()  # released at the end
