"""The square's policy (GB 3096 limits, windows, distance correction) and its volume controller,
driven through a simulated evening at a square."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from zoneinfo import ZoneInfo

import pytest

from jingzhi.acoustics.controller import ControllerState, VolumeController
from jingzhi.acoustics.policy import SquarePolicy, Window

TZ = ZoneInfo("Asia/Shanghai")


def test_gb3096_limits_day_night_and_distance_correction() -> None:
    policy = SquarePolicy(zone="1", meter_distance_m=10, facade_distance_m=40)
    day, night = policy.limit(dt.time(20, 0)), policy.limit(dt.time(22, 30))
    assert day.national_db == 55 and night.national_db == 45 and night.night and not day.night
    assert day.correction_db == pytest.approx(20 * math.log10(4), abs=0.01)
    assert day.db == pytest.approx(55 + 12.04, abs=0.05)
    assert SquarePolicy(zone="4b", position="facade").limit(dt.time(23, 0)).db == 60
    assert SquarePolicy(zone="2", standard="gb22337", position="facade").limit(dt.time(12, 0)).db == 60
    capped = SquarePolicy(zone="1", volume_cap_db=65)
    assert capped.limit(dt.time(20, 0)).db == 65 and "cap" in capped.limit(dt.time(20, 0)).basis
    assert policy.allowed(dt.time(19, 30)) and not policy.allowed(dt.time(21, 0))
    assert Window.parse("21:30-01:00").contains(dt.time(0, 30))
    with pytest.raises(ValueError):
        SquarePolicy(zone="5")


def _music_db(base: float, volume: int, background: float = 50.0) -> float:
    """The plant: the meter hears the speaker at ``base`` dB scaled by its volume, plus background."""
    if volume == 0:
        return background
    music = base + 20 * math.log10(volume / 100)
    return 10 * math.log10(10 ** (music / 10) + 10 ** (background / 10))


def _evening(controller: VolumeController, profile: list[tuple[dt.time, float]]) -> list[tuple[dt.datetime, object]]:
    """Run 18:50–21:30 second by second; the music's base level follows ``profile`` (time → base dB;
    0 = no music). Returns (time, decision) pairs."""
    state = ControllerState()
    at = dt.datetime(2026, 11, 26, 18, 50, tzinfo=TZ)
    end = dt.datetime(2026, 11, 26, 21, 30, tzinfo=TZ)
    volume = 100
    out = []
    while at < end:
        base = 0.0
        for start, level in profile:
            if at.time() >= start:
                base = level
        measured = _music_db(base, volume) if base else 50.0
        for decision in controller.feed(state, at, measured):
            out.append((at, decision))
            volume = decision.volume
        at += dt.timedelta(seconds=1)
    return out


def test_simulated_evening_steps_down_mutes_once_and_never_pumps() -> None:
    policy = SquarePolicy(zone="1", volume_cap_db=65, windows=(Window(dt.time(19, 0), dt.time(21, 0)),))
    controller = VolumeController(policy)
    # 19:00 the dance starts loud (72 dB at the meter); 20:00 the dancers turn their own amplifier
    # up by 8 dB; 21:00 the window ends and the square is quiet.
    decisions = _evening(controller, [(dt.time(19, 0), 72.0), (dt.time(20, 0), 80.0), (dt.time(21, 0), 0.0)])
    actions = [d.action for _at, d in decisions]
    assert actions == ["lower", "lower", "lower", "lower", "mute"]
    assert [d.volume for _at, d in decisions] == [80, 60, 45, 30, 0]
    assert sum(d.open_case for _at, d in decisions) == 1
    mute_at, mute = decisions[-1]
    assert mute.reason == "still_over" and dt.time(20, 0) < mute_at.time() < dt.time(20, 5)
    # Each step waited for fresh evidence: at least min_s and hold_s apart.
    times = [at for at, _d in decisions]
    assert all((b - a).total_seconds() >= 60 for a, b in itertools.pairwise(times))
    assert all(d.laeq >= d.limit for _at, d in decisions)  # (LAeq rounded to 0.1 dB)


def test_quiet_after_steps_raises_back_slowly_without_oscillation() -> None:
    policy = SquarePolicy(zone="1", volume_cap_db=65)
    controller = VolumeController(policy)
    # Loud at first (68 dB), then the dancers lower their own amplifier (base 60 dB).
    decisions = _evening(controller, [(dt.time(19, 0), 68.0), (dt.time(19, 20), 60.0), (dt.time(21, 0), 0.0)])
    actions = [d.action for _at, d in decisions]
    assert actions[:2] == ["lower", "lower"]  # 68 → 66.1 at 80 % → 63.6 at 60 %: under 65
    assert "mute" not in actions
    # After they turned down, the controller gives the volume back one step at a time, each after
    # five quiet minutes, and never steps down again: no pumping.
    later = [d for at, d in decisions if at.time() >= dt.time(19, 20)]
    assert later and all(d.action == "raise" for d in later)
    raises = [at for at, d in decisions if d.action == "raise"]
    assert all((b - a).total_seconds() >= 300 for a, b in itertools.pairwise(raises))


def test_music_outside_the_window_is_muted_and_new_window_resets() -> None:
    policy = SquarePolicy(zone="1", volume_cap_db=65, windows=(Window(dt.time(19, 0), dt.time(21, 0)),))
    controller = VolumeController(policy)
    state = ControllerState()
    at = dt.datetime(2026, 11, 26, 21, 10, tzinfo=TZ)
    out = []
    for n in range(60):
        out += controller.feed(state, at + dt.timedelta(seconds=n), 68.0)
    assert [d.action for d in out] == ["mute"] and out[0].reason == "outside_window" and out[0].open_case
    # The next evening's window starts at full volume again.
    out = controller.feed(state, dt.datetime(2026, 11, 27, 19, 0, tzinfo=TZ), 55.0)
    assert [d.action for d in out] == ["reset"] and not state.muted and state.step == 0


def test_state_survives_serialisation() -> None:
    state = ControllerState(step=2, muted=False, changed_at=10.0, seconds=[(9.0, 60.0)], session="x")
    assert ControllerState.from_dict(state.as_dict()) == state
    assert ControllerState.from_dict(None) == ControllerState()
