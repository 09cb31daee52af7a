"""Square-dance noise control on the platform: a simulated evening through the ingest pipeline,
complaints joined with the measured levels, and the square pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from jingzhi.cases.models import Case, CaseActivity, Category
from jingzhi.cases.services import resident_report
from jingzhi.sensing.models import DeviceCommand
from jingzhi.sensing.services.ingest import Incoming, ingest_batch
from jingzhi.squares.models import NoiseComplaint, NoiseDecision, NoiseMinute, Square
from tests import factories as f
from tests.conftest import World


@pytest.fixture
def square(world: World) -> Square:
    meter, _t = f.device(world.a.community, "sq-a-meter", "noise_meter", location="中心广场")
    speaker, _t = f.device(world.a.community, "sq-a-speaker", "speaker", location="中心广场")
    sq = Square(
        name="甲社区中心广场",
        place=world.a.community,
        meter=meter,
        speaker=speaker,
        zone="1",
        windows="19:00-21:00",
        volume_cap_db=65,
    )
    sq.save()
    return sq


def _speaker_level(base: float, volume: int) -> float:
    import math

    if not base or volume == 0:
        return 50.0
    music = base + 20 * math.log10(volume / 100)
    return 10 * math.log10(10 ** (music / 10) + 10 ** (50 / 10))


def _play(start: dt.datetime, end: dt.datetime, profile: list[tuple[dt.time, float]], period: int = 5) -> None:
    """The meter reports every ``period`` s; the speaker obeys the platform's last command."""
    at, volume, n = start, 100, 0
    while at < end:
        batch = []
        for _ in range(12):
            if at >= end:
                break
            base = 0.0
            for t, level in profile:
                if timezone.localtime(at).time() >= t:
                    base = level
            doc = {
                "event_id": f"m{n}",
                "device": "sq-a-meter",
                "type": "noise.level",
                "occurred_at": at.isoformat(),
                "payload": {"laeq": round(_speaker_level(base, volume), 2), "lafmax": 80.0, "period_s": period},
            }
            batch.append(Incoming("mqtt", json.dumps(doc).encode(), device_code="sq-a-meter"))
            at += dt.timedelta(seconds=period)
            n += 1
        result = ingest_batch(batch, now=at)
        assert result.count("stored") == len(batch), result.outcomes[:3]
        for command in result.commands:
            volume = 0 if command.name == "mute" else command.params["volume"]


def test_simulated_evening_lowers_in_steps_mutes_once_and_opens_one_case(world: World, square: Square) -> None:
    day = timezone.localdate() - dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(18, 55)))
    end = timezone.make_aware(dt.datetime.combine(day, dt.time(21, 10)))
    _play(start, end, [(dt.time(19, 0), 72.0), (dt.time(20, 0), 80.0), (dt.time(21, 0), 0.0)])

    commands = list(DeviceCommand.objects.filter(device=square.speaker).order_by("id"))
    assert [(c.name, c.params.get("volume")) for c in commands] == [
        ("set_volume", 80),
        ("set_volume", 60),
        ("set_volume", 45),
        ("set_volume", 30),
        ("mute", None),
    ]
    decisions = list(NoiseDecision.objects.filter(square=square).order_by("at"))
    assert [d.action for d in decisions] == ["lower", "lower", "lower", "lower", "mute"]
    assert all(d.laeq >= d.limit == 65 and "GB 3096-2008" in d.basis for d in decisions)
    assert decisions[-1].command == commands[-1] and decisions[-1].case is not None
    cases = Case.objects.filter(category__code="noise")
    assert cases.count() == 1
    case = cases.get()
    assert (case.place == world.a.community and case.assignee == world.users["grid_worker_a"]) or case.assignee is None
    assert "LAeq" in case.description and ":" in case.description  # the level curve per minute
    minutes = NoiseMinute.objects.filter(square=square)
    assert minutes.count() == 135  # 18:55–21:10
    over = [m for m in minutes if m.allowed and m.laeq > m.limit]
    assert over and all(dt.time(19, 0) <= timezone.localtime(m.minute).time() < dt.time(21, 0) for m in over)
    square.refresh_from_db()
    assert square.last_laeq == pytest.approx(50.0, abs=0.1)


def test_noise_complaint_joins_the_square_with_the_measured_levels(world: World, square: Square) -> None:
    now = timezone.now().replace(microsecond=0)
    _play(now - dt.timedelta(minutes=6), now, [(dt.time(0, 0), 62.0)], period=10)
    case, _joined = resident_report(
        user=world.users["resident_a"],
        category=Category.objects.get(code="noise"),
        place=world.a.building,
        description="广场音乐太吵了",
    )
    complaint = NoiseComplaint.objects.get(square=square, case=case)
    assert complaint.laeq_5min is not None and 55 < complaint.laeq_5min < 70
    assert CaseActivity.objects.filter(case=case, note__contains="LAeq").exists()


def test_square_pages_show_levels_chart_data_and_keep_other_communities_out(world: World, square: Square) -> None:
    now = timezone.now().replace(microsecond=0)
    _play(now - dt.timedelta(minutes=3), now, [(dt.time(0, 0), 60.0)], period=10)
    staff = world.client("community_staff_a")
    page = staff.get("/squares/")
    assert page.status_code == 200 and "甲社区中心广场" in page.content.decode()
    assert staff.get("/squares/", HTTP_HX_REQUEST="true").content.decode().count("data-square=") == 1
    detail = staff.get(f"/squares/{square.pk}/")
    assert detail.status_code == 200 and 'id="curve"' in detail.content.decode()
    data = staff.get(f"/squares/{square.pk}/curve.json").json()
    assert len(data["minutes"]) >= 3 and len(data["laeq"]) == len(data["limit"]) == len(data["minutes"])
    for persona in ("community_staff_b", "community_secretary_b", "grid_worker_b"):
        assert world.client(persona).get(f"/squares/{square.pk}/").status_code == 404
    assert "甲社区中心广场" not in world.client("community_staff_b").get("/squares/").content.decode()
    assert Client().get("/squares/").status_code == 302


def test_manager_settings_are_validated_and_audited(world: World, square: Square) -> None:
    from jingzhi.core.models import AuditEntry

    staff = world.client("community_staff_a")
    form = {
        "name": "甲社区中心广场",
        "zone": "1",
        "standard": "gb3096",
        "windows": "07:00-08:30, 19:30-21:00",
        "volume_cap_db": "62",
        "position": "square",
        "meter_distance_m": "10",
        "facade_distance_m": "40",
        "volumes": "100,75,50,30",
        "window_s": "300",
        "hold_s": "60",
        "hysteresis_db": "5",
        "recover_s": "300",
        "manager": "居委会 王主任",
    }
    assert staff.post(f"/squares/{square.pk}/edit/", {**form, "windows": "7点到8点"}).status_code == 200
    assert staff.post(f"/squares/{square.pk}/edit/", {**form, "volumes": "50,100"}).status_code == 200
    assert staff.post(f"/squares/{square.pk}/edit/", {**form, "meter_distance_m": "80"}).status_code == 200
    response = staff.post(f"/squares/{square.pk}/edit/", form)
    assert response.status_code == 302
    square.refresh_from_db()
    assert square.windows == "07:00-08:30,19:30-21:00" and square.volume_cap_db == 62
    assert AuditEntry.objects.filter(action="square.update").exists()
    assert world.client("auditor").get(f"/squares/{square.pk}/").status_code == 200  # sees it
    assert world.client("auditor").post(f"/squares/{square.pk}/edit/", form).status_code == 403  # may not change it
    # The square belongs to the whole community, above any one grid: a grid worker does not see it.
    assert world.client("grid_worker_a").post(f"/squares/{square.pk}/edit/", form).status_code == 404
