"""The square's live chart and the facade calibration page in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from jingzhi.cameras.models import CameraSnapshot
from jingzhi.sensing.models import Device
from jingzhi.sensing.services.ingest import Incoming, ingest_batch
from jingzhi.squares.models import Square
from tests import factories as f
from tests.browser.test_case_flow import _page
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_square_page_draws_todays_curve_against_the_limit(browser: Any, live_server: Any, world: World) -> None:
    meter, _t = f.device(world.a.community, "sq-meter", "noise_meter")
    square = Square(name="甲社区中心广场", place=world.a.community, meter=meter, windows="00:00-23:59")
    square.save()
    now = timezone.now().replace(second=0, microsecond=0)
    # The curve is today's (local time): the last 30 minutes, but none before midnight (in the first
    # half hour of a day there are fewer; and a device may not report minutes still to come).
    midnight = timezone.localtime(now).replace(hour=0, minute=0)
    first = max(now - dt.timedelta(minutes=29), midnight)
    minutes = int((now - first).total_seconds() // 60) + 1
    items = []
    for n in range(minutes):
        at = first + dt.timedelta(minutes=n)
        doc = {
            "event_id": f"m{n}",
            "device": "sq-meter",
            "type": "noise.level",
            "occurred_at": at.isoformat(),
            "payload": {"laeq": 55.0 + n / 3, "lafmax": 70.0, "period_s": 60},
        }
        items.append(Incoming("mqtt", json.dumps(doc).encode(), device_code="sq-meter"))
    assert ingest_batch(items).count("stored") == minutes
    page = _page(browser, live_server, "community_staff_a")
    page.goto(live_server.url + f"/squares/{square.pk}/")
    page.wait_for_selector("#curve canvas")
    page.wait_for_function(f"Number(document.getElementById('curve').dataset.points) >= {minutes}")
    page.goto(live_server.url + "/squares/")
    assert "甲社区中心广场" in page.locator(f"[data-square='{square.pk}']").inner_text()
    page.context.close()


def test_facade_calibration_by_clicking_the_corners(browser: Any, live_server: Any, world: World) -> None:
    device, _t = f.device(world.a.building, "cam-b3", "camera", location="3幢立面")
    frame = np.full((360, 640, 3), 180, np.uint8)
    cv2.rectangle(frame, (160, 40), (480, 330), (90, 90, 90), -1)
    ok, jpeg = cv2.imencode(".jpg", frame)
    assert ok
    snapshot = CameraSnapshot(device=device)
    snapshot.image.save("ref.jpg", ContentFile(jpeg.tobytes()), save=True)

    page = _page(browser, live_server, "community_secretary_a")
    page.goto(live_server.url + "/cameras/cam-b3/calibrate/")
    image = page.locator("#ref")
    image.wait_for(state="visible")
    page.wait_for_function("document.getElementById('ref').naturalWidth === 640")
    box = image.bounding_box()
    assert box is not None
    scale = box["width"] / 640
    for x, y in ((160, 40), (480, 40), (480, 330), (160, 330)):
        page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)
    page.fill("#f-floors", "11")
    page.fill("#f-columns", "3")
    page.fill("#f-width", "24")
    page.fill("input[name=source]", "rtsp://10.0.0.5/main")
    facade = json.loads(page.input_value("textarea[name=facade]"))
    assert len(facade["corners"]) == 4
    for (x, y), (want_x, want_y) in zip(facade["corners"], ((160, 40), (480, 40), (480, 330), (160, 330)), strict=True):
        assert abs(x - want_x) <= 2 and abs(y - want_y) <= 2
    assert page.locator("#overlay line.grid").count() == 10 + 2  # floors - 1 and columns - 1
    page.click("#calibration-form button[type=submit]")
    page.wait_for_selector(".messages li.success")
    device.refresh_from_db()
    saved = Device.objects.get(pk=device.pk).config
    assert saved["facade"]["floors"] == 11 and saved["facade"]["columns"] == 3
    assert saved["source"] == "rtsp://10.0.0.5/main"
    page.context.close()
