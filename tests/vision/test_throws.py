"""The detector on clips from the generator, after H.264, and the physics gate on exact tracks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jingzhi.vision.config import ChangeConfig, GateConfig, ThrowConfig
from jingzhi.vision.decode import open_luma
from jingzhi.vision.facade import Facade, FacadeCalibration, load_facade
from jingzhi.vision.physics_gate import judge, origin_of
from jingzhi.vision.synth import DistractorSpec, ThrowSpec
from jingzhi.vision.synth.camera import frame_facade
from jingzhi.vision.throws import ThrowDetector, ThrowEvent
from jingzhi.vision.tracker import TrackPoint

from .conftest import Clip, render_clip


def detect(clip: Clip) -> list[ThrowEvent]:
    facade = load_facade(clip.facade)
    info, frames = open_luma(clip.video)
    det = ThrowDetector(facade, (info.height, info.width), info.fps)
    events: list[ThrowEvent] = []
    for t, luma in frames:
        events.extend(det.process(luma, t))
    return events + det.finish()


def test_finds_a_thrown_bottle_and_names_floor_and_column(bottle_clip: Clip) -> None:
    truth = json.loads(bottle_clip.truth.read_text())["throws"][0]
    events = detect(bottle_clip)
    assert len(events) == 1
    ev = events[0]
    assert abs(ev.floor - truth["floor"]) <= 1
    assert ev.column == truth["column"]
    assert ev.start_s == pytest.approx(truth["release_s"], abs=0.6)
    assert 0.0 < ev.confidence <= 1.0
    # The track follows the true trajectory.
    gt = {round(t, 2): (x, y) for t, x, y in truth["trajectory"]}
    d = [np.hypot(x - gt[round(t, 2)][0], y - gt[round(t, 2)][1]) for t, x, y in ev.track if round(t, 2) in gt]
    assert len(d) >= 8 and float(np.median(d)) < 4.0


def test_alarm_is_raised_while_the_object_still_falls(bottle_clip: Clip) -> None:
    facade = load_facade(bottle_clip.facade)
    info, frames = open_luma(bottle_clip.video)
    det = ThrowDetector(facade, (info.height, info.width), info.fps)
    alarms: list[tuple[float, ThrowEvent]] = []
    events: list[ThrowEvent] = []
    for t, luma in frames:
        events.extend(det.process(luma, t))
        alarms.extend((t, a) for a in det.take_alarms())
    events.extend(det.finish())
    assert det.take_alarms() == []  # each alarm is handed out once
    assert len(alarms) == 1 and len(events) == 1
    (raised_at, alarm), event = alarms[0], events[0]
    # Raised on the frame that met the rule, before the track ended, and named like the event.
    assert alarm.alarm_s == raised_at == alarm.end_s
    assert alarm.end_s < event.end_s and len(alarm.track) < len(event.track)
    assert event.alarm_id == alarm.alarm_id > 0
    assert (alarm.floor, alarm.column) == (event.floor, event.column)


def test_finds_a_falling_fruit_in_the_rain(tmp_path: Path) -> None:
    clip = render_clip(
        tmp_path,
        seed=21,
        throws=[ThrowSpec(kind="fruit", floor=5, column=2, release_s=0.4, luma=230.0, scale=1.5)],
        distractors=[DistractorSpec(family="rain", level=0.7)],
    )
    events = detect(clip)
    assert [(e.floor, e.column) for e in events] in ([(5, 2)], [(4, 2)], [(6, 2)])


@pytest.mark.parametrize(
    "families",
    [
        ("birds",),
        ("leaves",),
        ("rain",),
        ("exposure",),
        ("cloud_shadows",),
        ("shake",),
        ("insects",),
        ("birds", "leaves", "rain", "exposure"),
    ],
)
def test_no_alarm_on_distractors(tmp_path: Path, families: tuple[str, ...]) -> None:
    clip = render_clip(
        tmp_path,
        seed=100 + len(families) * 7 + sum(map(len, families)),
        duration_s=5.0,
        distractors=[DistractorSpec(family=f, level=1.5) for f in families],  # type: ignore[arg-type]
    )
    assert detect(clip) == []


@pytest.mark.parametrize("seed", [1, 3])
def test_a_shaking_camera_stays_compensated_and_is_not_taken_for_rain(tmp_path: Path, seed: int) -> None:
    """A shake that passes through sub-pixel offsets against the reference: compensated as long as it
    shakes (``shake_keep_px`` 0), the wall's edges leave no residue that would clutter the frame or
    count as rain streaks (which would put the gate's rain rules on a dry scene)."""
    clip = render_clip(
        tmp_path, seed=seed, duration_s=6.0, distance_m=30.0, distractors=[DistractorSpec(family="shake", level=1.5)]
    )
    facade = load_facade(clip.facade)

    def stats(config: ThrowConfig) -> dict[str, int]:
        info, frames = open_luma(clip.video)
        det = ThrowDetector(facade, (info.height, info.width), info.fps, config)
        for t, luma in frames:
            det.process(luma, t)
        return det.stats

    kept = stats(ThrowConfig())
    assert kept["cluttered"] == 0 and kept["rain_frames"] == 0
    # Compensated only above the 0.3 px that starts a compensation (the default until session 18),
    # with every thin vertical blob counted as a rain streak (the rule until session 19): residue, "rain".
    before = stats(ThrowConfig(change=ChangeConfig(shake_keep_px=0.3, streak_edge_range=256)))
    assert before["cluttered"] > 0 and before["rain_frames"] > 20
    # That residue lies along the wall's edges: not counting thin blobs there takes rain frames away.
    on_edges = stats(ThrowConfig(change=ChangeConfig(shake_keep_px=0.3)))
    assert on_edges["rain_frames"] < before["rain_frames"]


# -- the physics gate on exact, hand-made tracks -------------------------------------------------
FLAT = Facade(
    FacadeCalibration(
        corners=[(0.0, 0.0), (200.0, 0.0), (200.0, 300.0), (0.0, 300.0)], floors=10, columns=4, width_m=20.0
    )
)  # 10 px per metre, image y grows downward
PPM = 10.0


def track(fn: object, duration: float = 1.6, fps: float = 25.0, start: float = 0.0) -> list[TrackPoint]:
    pts = []
    for i in range(int(duration * fps)):
        t = start + i / fps
        u, v = fn(t)  # type: ignore[operator]
        x, y = FLAT.to_image([[u, v]])[0]
        pts.append(TrackPoint(i, t, float(x), float(y), 4, 3, -1))
    return pts


def test_gate_accepts_free_fall_and_names_the_window() -> None:
    pts = track(lambda t: (7.5, 22.2 - 0.5 * 9.81 * t * t))  # dropped from floor 8, column 2
    assert judge(pts, FLAT, GateConfig(), PPM).passed
    origin = origin_of(pts, FLAT, GateConfig(), PPM)
    assert origin is not None and (origin.floor, origin.column) == (8, 2)
    assert origin.confidence > 0.8  # seen from the release on, 1.2 m from the floor's edge


def test_gate_back_extrapolates_a_late_first_sighting() -> None:
    # Thrown up at 2 m/s from floor 9 (release at 25.3 m) and first seen 0.5 s later.
    pts = [p for p in track(lambda t: (12.0, 25.3 + 2.0 * t - 0.5 * 9.81 * t * t), duration=2.0) if p.t >= 0.5]
    origin = origin_of(pts, FLAT, GateConfig(), PPM)
    assert origin is not None and (origin.floor, origin.column) == (9, 3)


def test_an_object_seen_rising_comes_from_where_it_was_first_seen() -> None:
    # Thrown up at 3.5 m/s from 23.4 m (floor 8 of 3 m floors) and seen from the release on: it
    # rises 0.62 m, into floor 9, before it falls; the window it came from is on floor 8.
    pts = track(lambda t: (12.0, 23.4 + 3.5 * t - 0.5 * 9.81 * t * t), duration=1.6)
    origin = origin_of(pts, FLAT, GateConfig(), PPM)
    assert origin is not None and (origin.floor, origin.column) == (8, 3)
    assert origin.v == pytest.approx(23.4, abs=0.05) and origin.release_offset_s == 0.0


def test_gate_accepts_a_drag_limited_descent() -> None:
    pts = track(lambda t: (5.0, 25.0 - 8.0 * t), duration=1.2)  # a box at its terminal 8 m/s
    assert judge(pts, FLAT, GateConfig(), PPM).passed
    # First seen at a steady speed, mid-column: it may have fallen for any time before, so the
    # origin found is only a lower bound of the release (here ~0.9 without the cap), and the
    # confidence says so.
    steady = track(lambda t: (7.5, 22.0 - 8.0 * t), duration=1.2)
    origin = origin_of(steady, FLAT, GateConfig(), PPM)
    assert origin is not None and origin.confidence <= 0.5


def _seen_from_20_m(
    velocity: tuple[float, float, float], accel: float = 9.81, start: float = 1.3
) -> tuple[list[TrackPoint], Facade]:
    """A fall from floor 18 (52 m up) of a 20-floor, 24 m wide facade, seen for 1.6 s from ``start``
    seconds after its release by a 1080p camera 20 m in front of the wall at 1.6 m height; ``velocity``
    (sideways, up, outwards) m/s, released 0.8 m in front of the wall."""
    cam = frame_facade(width=1920, height=1080, facade_width_m=24.0, facade_height_m=60.0, distance_m=20.0)
    corners, _ = cam.project([[0.0, 60.0, 0.0], [24.0, 60.0, 0.0], [24.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    facade = Facade(
        FacadeCalibration(corners=[(float(x), float(y)) for x, y in corners], floors=20, columns=6, width_m=24.0)
    )
    pts = []
    for i in range(40):
        t = start + i / 25.0
        world = np.array([10.0, 52.0, 0.8]) + np.array(velocity) * t - np.array([0.0, 0.5 * accel * t * t, 0.0])
        x, y = cam.project(world[None, :])[0][0]
        pts.append(TrackPoint(i, t, float(x), float(y), 6, 3, -1))
    return pts, facade


def test_a_throw_away_from_the_wall_seen_from_near_is_still_a_fall() -> None:
    """Coming nearer a camera 20 m away, an object thrown out at 2.5 m/s grows in the image as it falls:
    in facade metres its free fall reads about 1.6 g. The camera's position from the calibration lets
    the free-fall limit allow for it; without it, or with ``max_outward_mps`` 0, it is refused."""
    pts, facade = _seen_from_20_m((0.0, 1.9, 2.5))
    camera = facade.camera_centre((1080, 1920))
    assert camera is not None and camera[2] == pytest.approx(20.0, abs=0.5)
    plain = judge(pts, facade, GateConfig(), 30.0)
    assert not plain.passed and plain.reason == "faster than free fall" and plain.accel_g > 1.5
    assert judge(pts, facade, GateConfig(), 30.0, camera=camera).passed
    assert judge(pts, facade, GateConfig(max_outward_mps=0.0), 30.0, camera=camera).reason == "faster than free fall"
    # What falls faster than the allowance explains is still refused: 3 g straight down the wall.
    fast, _ = _seen_from_20_m((0.0, 0.0, 0.0), accel=3.0 * 9.81, start=0.2)
    assert judge(fast, facade, GateConfig(), 30.0, camera=camera).reason == "faster than free fall"


def test_a_steady_descent_that_drifts_sideways_faster_than_it_falls_is_a_glider() -> None:
    # A bird gliding down at a steady 3.5 m/s while flying 4.5 m/s sideways: slow enough sideways
    # for the side-speed limit, and a steady descent like a light object's at its terminal speed.
    bird = track(lambda t: (2.0 + 4.5 * t, 25.0 - 3.5 * t), duration=1.6)
    result = judge(bird, FLAT, GateConfig(), PPM)
    assert not result.passed and result.reason == "glides sideways"
    assert judge(bird, FLAT, GateConfig(glide_side_ratio=0.0), PPM).passed  # the rule is what refuses it
    # A bag at its terminal 4 m/s drifting 1.5 m/s sideways, and a bottle thrown out at 5 m/s while it
    # accelerates (the rule is only for steady descents): both are falls.
    bag = track(lambda t: (5.0 + 1.5 * t, 25.0 - 4.0 * t), duration=1.6)
    assert judge(bag, FLAT, GateConfig(), PPM).passed
    bottle = track(lambda t: (3.0 + 5.0 * t, 28.0 - 0.5 * 9.81 * t * t), duration=1.2)
    assert judge(bottle, FLAT, GateConfig(), PPM).passed


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (lambda t: (5.0, 25.0 - 1.2 * t - 0.3 * np.sin(6 * t)), "short descent"),  # a leaf: too slow to span floors
        (lambda t: (5.0, 25.0 - 2.9 * t), "too slow"),  # paper at 2.9 m/s: just below the slowest thrown object
        (lambda t: (2.0 + 10.0 * t, 20.0 - 5.0 * t), "sideways"),  # gliding bird
        (lambda t: (5.0, 5.0 + 6.0 * t), "downward"),  # climbing bird
        (lambda t: (5.0, 28.0 - 0.5 * 25.0 * t * t), "faster than free fall"),
        (lambda t: (5.0 + 1.5 * np.sin(9 * t), 28.0 - 0.5 * 9.81 * t * t), "erratic"),  # insect-like zig-zag
    ],
)
def test_gate_rejects_what_does_not_fall_like_a_thrown_object(path: object, reason: str) -> None:
    result = judge(track(path), FLAT, GateConfig(), PPM)
    assert not result.passed
    assert reason in result.reason


def test_in_rain_a_chain_of_specks_is_not_a_fall() -> None:
    # Free fall, but every detection a 1-2 px speck: in rain that is a chance chain of raindrops.
    fall = track(lambda t: (7.5, 22.2 - 0.5 * 9.81 * t * t))
    specks = [TrackPoint(p.frame, p.t, p.x, p.y, 1 + p.frame % 2, 1, -1) for p in fall]
    assert judge(specks, FLAT, GateConfig(), PPM).passed  # dry weather: small objects count
    result = judge(specks, FLAT, GateConfig(), PPM, strict=True)
    assert not result.passed and "specks" in result.reason
    assert judge(fall, FLAT, GateConfig(), PPM, strict=True).passed  # 4 px blobs: an object


def test_a_hovering_flicker_chained_to_specks_below_is_not_a_fall() -> None:
    # Seen on tuning streams without rain (birds, leaves, cloud shadows): a 1 px flicker that
    # stands at one spot for 0.2 s, then specks picked across 7- and 9-frame gaps below it. Fitted
    # whole, it accelerates and only just fits a parabola (0.83 of the residual allowance).
    hops = [(0, 0, 0), (1, 1, 2), (2, 2, 5), (3, 1, 2), (4, 2, 5), (5, 0, 0), (12, 3, 24), (13, 3, 24)]
    hops += [(22, 14, 60), (23, 15, 63), (26, 19, 65)]  # (frame, dx, dy) in pixels
    flicker = [TrackPoint(f, f / 25.0, 80.0 + dx, 60.0 + dy, 1, 1, -1) for f, dx, dy in hops]
    result = judge(flicker, FLAT, GateConfig(), PPM)
    assert not result.passed and result.reason == "erratic path of specks"
    assert judge(flicker, FLAT, GateConfig(speck_residual_share=1.0), PPM).passed
    blobs = [TrackPoint(p.frame, p.t, p.x, p.y, 4, 2, -1) for p in flicker]
    assert judge(blobs, FLAT, GateConfig(), PPM).passed  # an object's centroid may wander that much
    # A real speck-sized fall, its centroid rounded to whole pixels, keeps to its parabola.
    fall = track(lambda t: (7.5, 22.2 - 0.5 * 9.81 * t * t))
    specks = [TrackPoint(p.frame, p.t, round(p.x), round(p.y), 1, 1, -1) for p in fall[::2]]
    assert judge(specks, FLAT, GateConfig(), PPM).passed


def test_in_rain_a_steady_drop_found_again_after_a_gap_is_not_a_fall() -> None:
    # A raindrop's steady 8 m/s for 0.8 s, lost for 0.44 s, then "found" again 2 m lower than its
    # speed takes it: another drop. Fitted whole, the track accelerates.
    drop = track(lambda t: (5.0, 28.0 - 8.0 * t), duration=0.8)
    again = TrackPoint(30, 1.2, drop[-1].x, float(FLAT.to_image([[5.0, 28.0 - 8.0 * 1.2 - 2.0]])[0][1]), 4, 3, -1)
    pts = [*drop, again]
    whole = judge(pts, FLAT, GateConfig(), PPM)
    assert whole.passed  # in dry weather nothing tells it apart
    result = judge(pts, FLAT, GateConfig(), PPM, strict=True)
    assert not result.passed and "then a gap" in result.reason
    # A bottle's free fall with the same gap still passes in rain: it accelerated before the gap too.
    fall = track(lambda t: (5.0, 28.0 - 0.5 * 9.81 * t * t), duration=1.2)
    gappy = [p for p in fall if not 0.6 < p.t < 1.0]
    assert judge(gappy, FLAT, GateConfig(), PPM, strict=True).passed


def test_in_rain_a_steady_drop_led_by_a_splash_is_not_a_fall() -> None:
    # A new track took the blob nearest its start: a splash (big, slow), then a raindrop's steady
    # 11 m/s. Fitted whole, the track accelerates at 0.8 g, and the splash's area lifts the median
    # above the specks' limit. Seen in rain on tuning streams (two alarms on one one-minute stream).
    def point(frame: int, t: float, v: float, area: int, extent: int) -> TrackPoint:
        x, y = FLAT.to_image([[5.0, v]])[0]
        return TrackPoint(frame, t, float(x), float(y), area, extent, 1)

    splash = [point(0, 0.0, 28.0, 12, 4), point(2, 0.08, 27.8, 170, 12)]
    drop = [point(4 + i, 0.16 + 0.04 * i, 27.2 - 11.0 * 0.04 * i, 3, 3) for i in range(14)]
    pts = splash + drop
    assert judge(pts, FLAT, GateConfig(), PPM).passed  # in dry weather nothing tells it apart
    assert judge(pts, FLAT, GateConfig(), PPM, strict=True, trim=False).passed
    result = judge(pts, FLAT, GateConfig(), PPM, strict=True)
    assert not result.passed and result.reason == "steady descent in rain, without its first points"
    off = GateConfig(rain_trim_points=0, rain_steady_share=0.0)
    assert judge(pts, FLAT, off, PPM, strict=True).passed
    # Mostly one steady drop: the stretch rule (next test) rejects it too.
    assert (
        judge(pts, FLAT, GateConfig(rain_trim_points=0), PPM, strict=True).reason == "mostly a steady descent in rain"
    )
    # A free fall passes in rain with any of its first points dropped ...
    fall = track(lambda t: (5.0, 28.0 - 0.5 * 9.81 * (t + 0.6) ** 2), duration=0.9)
    assert judge(fall, FLAT, GateConfig(), PPM, strict=True).passed
    # ... and one too short to be judged without them waits for more points.
    short = track(lambda t: (5.0, 28.0 - 0.5 * 9.81 * (t + 1.2) ** 2), duration=0.4)
    assert judge(short, FLAT, GateConfig(), PPM).passed
    assert judge(short, FLAT, GateConfig(), PPM, strict=True).reason == "too few points in rain"


FINE = Facade(
    FacadeCalibration(
        corners=[(0.0, 0.0), (1000.0, 0.0), (1000.0, 1500.0), (0.0, 1500.0)], floors=10, columns=4, width_m=20.0
    )
)  # 50 px per metre: a camera 20 m from the facade


def _fine(frame: int, u: float, v: float, area: int = 10) -> TrackPoint:
    x, y = FINE.to_image([[u, v]])[0]
    return TrackPoint(frame, frame / 25.0, float(x), float(y), area, 10, 1)


def test_in_rain_a_track_that_is_mostly_one_steady_drop_is_not_a_fall() -> None:
    # Seen in rain on tuning streams at 1080p (two alarms in 20 minutes), both a raindrop's steady
    # 9 m/s with a few other points that bend the fitted parabola into an acceleration: (a) picked
    # up again 0.44 s later, lower than its speed takes it (the part before the gap spans less than
    # 1.5 floors, too short for the gap's rule); (b) led by a flicker that stood at the top of the
    # facade for 0.6 s.
    # (frame, u, v) of the two alarmed tracks, as the detector saw them (at 53-55 px per metre).
    again = [(2, 13.75, 12.81), (3, 13.69, 12.45), (4, 13.63, 12.09), (5, 13.56, 11.69), (6, 13.48, 11.30)]
    again += [(8, 13.35, 10.57), (9, 13.28, 10.20), (10, 13.21, 9.80), (11, 13.15, 9.48), (12, 13.09, 9.12)]
    again += [(13, 13.02, 8.75), (24, 12.45, 2.79)]
    led = [(691, 0.0, 17.88), (693, 0.01, 17.87), (694, 0.01, 17.87), (698, 0.35, 17.98), (707, 0.56, 17.93)]
    led += [(708, 0.54, 17.60), (710, 0.51, 16.88), (711, 0.49, 16.54), (712, 0.48, 16.14), (713, 0.46, 15.81)]
    led += [(714, 0.44, 15.44), (715, 0.43, 15.08), (716, 0.40, 14.75), (717, 0.39, 14.39), (719, 0.35, 13.68)]
    led += [(720, 0.34, 13.34), (722, 0.30, 12.64)]
    for path in (again, led):
        pts = [_fine(f, u, v) for f, u, v in path]
        assert judge(pts, FINE, GateConfig(), 50.0).passed  # in dry weather nothing tells it apart
        assert judge(pts, FINE, GateConfig(rain_steady_share=0.0), 50.0, strict=True).passed
        result = judge(pts, FINE, GateConfig(), 50.0, strict=True)
        assert not result.passed and result.reason == "mostly a steady descent in rain"
    # Falls still pass in rain: free fall, with a gap, and a box speeding up towards its 8 m/s.
    fall = [_fine(i, 10.0, 28.0 - 0.5 * 9.81 * (i / 25.0) ** 2) for i in range(28)]
    assert judge(fall, FINE, GateConfig(), 50.0, strict=True).passed
    assert judge(fall[:12] + fall[20:], FINE, GateConfig(), 50.0, strict=True).passed
    box = [_fine(i, 10.0, 28.0 - 8.0**2 / 9.81 * np.log(np.cosh(9.81 * i / 25.0 / 8.0))) for i in range(28)]
    assert judge(box, FINE, GateConfig(), 50.0, strict=True).passed
    # An object held out of a window, then dropped: standing still is not a steady descent.
    held = [_fine(i, 10.0, 28.0) for i in range(12)]
    held += [_fine(12 + i, 10.0, 28.0 - 0.5 * 9.81 * (i / 25) ** 2) for i in range(28)]
    assert judge(held, FINE, GateConfig(), 50.0, strict=True).passed


# -- metamorphic checks: a mirrored or brighter scene must give the mirrored / same verdict ------
def _run_frames(facade: Facade, frames: list[tuple[float, np.ndarray]]) -> list[ThrowEvent]:
    det = ThrowDetector(facade, frames[0][1].shape, 25.0)
    events: list[ThrowEvent] = []
    for t, luma in frames:
        events.extend(det.process(luma, t))
    return events + det.finish()


def _decoded(clip: Clip) -> list[tuple[float, np.ndarray]]:
    _, frames = open_luma(clip.video)
    return [(t, f.copy()) for t, f in frames]


def test_mirrored_scene_gives_the_mirrored_column(bottle_clip: Clip) -> None:
    facade = load_facade(bottle_clip.facade)
    frames = _decoded(bottle_clip)
    width = frames[0][1].shape[1]
    tl, tr, br, bl = facade.calibration.corners
    mirror = lambda p: (width - p[0], p[1])  # noqa: E731
    cal = facade.calibration.model_copy(
        update={
            "corners": [mirror(tr), mirror(tl), mirror(bl), mirror(br)],
            "masks": [
                m.model_copy(update={"polygon": [mirror(p) for p in m.polygon]}) for m in facade.calibration.masks
            ],
        }
    )
    events = _run_frames(Facade(cal), [(t, np.ascontiguousarray(f[:, ::-1])) for t, f in frames])
    original = detect(bottle_clip)
    assert len(events) == len(original) == 1
    assert events[0].floor == original[0].floor
    assert events[0].column == cal.columns + 1 - original[0].column


def test_brighter_scene_gives_the_same_verdict(bottle_clip: Clip) -> None:
    facade = load_facade(bottle_clip.facade)
    frames = [(t, np.clip(f.astype(np.int16) + 25, 0, 255).astype(np.uint8)) for t, f in _decoded(bottle_clip)]
    events = _run_frames(facade, frames)
    original = detect(bottle_clip)
    assert [(e.floor, e.column) for e in events] == [(e.floor, e.column) for e in original]


def test_camera_position_is_recovered_from_the_calibration(tmp_path: Path) -> None:
    from jingzhi.vision.synth import Scene, SceneSpec

    scene = Scene(SceneSpec(width=1280, height=720, duration_s=0.1, distance_m=40.0, camera_offset_m=4.0, floors=12))
    centre = Facade(scene.calibration()).camera_centre((720, 1280))
    assert centre is not None
    assert np.allclose(centre, scene.camera.position, atol=0.05)


# -- chance chains in dense change: drawn frames, no codec -------------------------------------
def _flashes(clutter: bool, seed: int = 3) -> list[tuple[float, np.ndarray]]:
    """A 3×3 dot falling freely from 25 m on FLAT, drawn on every third frame only (as the codec
    leaves a small object), optionally with two 2×2 flashes a frame somewhere within 30 px of it:
    the dense, flickering change a passing shadow leaves at window edges."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(60):
        t = i / 25.0
        img = np.full((400, 320), 90, np.uint8)
        fall = max(t - 0.4, 0.0)
        x, y = FLAT.to_image([[8.0, 25.0 - 0.5 * 9.81 * fall * fall]])[0]
        if i % 3 == 0:
            img[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2] = 200
        if clutter:
            for _ in range(2):
                dx = int(rng.choice([-1, 1])) * int(rng.integers(10, 28))
                dy = int(rng.integers(-25, 26))
                img[int(y) + dy : int(y) + dy + 2, int(x) + dx : int(x) + dx + 2] = 200
        frames.append((t, img))
    return frames


def _alarms(frames: list[tuple[float, np.ndarray]], config: object = None) -> list[ThrowEvent]:
    det = ThrowDetector(FLAT, frames[0][1].shape, 25.0, config)  # type: ignore[arg-type]
    out: list[ThrowEvent] = []
    for t, luma in frames:
        det.process(luma, t)
        out.extend(det.take_alarms())
    det.finish()
    return out


def test_a_sparse_chain_among_dense_flicker_needs_more_points() -> None:
    from jingzhi.vision.config import ThrowConfig

    # Alone, the sparse chain is a fall from floor 9 (it is one: the rule is not about the path).
    alone = _alarms(_flashes(clutter=False))
    assert len(alone) == 1 and alone[0].floor == 9
    # Among flicker, a chain with a third of its frames detected is what chance links together:
    # with two other blobs near it on every frame, it would need 8 × (1 + 2) points.
    assert _alarms(_flashes(clutter=True)) == []
    # ... and that rule is what holds it back.
    lax = ThrowConfig(gate=GateConfig(clutter_weight=0.0))
    assert len(_alarms(_flashes(clutter=True), lax)) == 1


# -- a small object the codec erased for a while: earlier pieces of the fall ---------------------
def _litter(lost_at_u: float = 8.0, gap: tuple[float, float] = (0.5, 1.7)) -> list[tuple[float, np.ndarray]]:
    """A 3×3 dot with a terminal speed of 4 m/s dropped at 0.4 s from 24.6 m (floor 9, column 2)
    on FLAT, not drawn from ``gap[0]`` to ``gap[1]`` s after its release (as H.264 erases a speck
    of litter for a while); the piece before the gap is drawn at ``lost_at_u`` metres across."""
    vt = 4.0
    frames = []
    for i in range(130):
        t = i / 25.0
        img = np.full((400, 320), 90, np.uint8)
        fall = max(t - 0.4, 0.0)
        drop = vt * vt / 9.81 * np.log(np.cosh(9.81 * fall / vt))
        if not gap[0] <= fall < gap[1]:
            u = lost_at_u if fall < gap[0] else 8.0
            x, y = FLAT.to_image([[u, 24.6 - drop]])[0]
            img[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2] = 200
        frames.append((t, img))
    return frames


def test_a_fall_first_seen_falling_steadily_takes_up_its_lost_beginning() -> None:
    from jingzhi.vision.config import ThrowConfig

    # Seen again 5.7 m lower at its terminal 4 m/s, the fall alone says little of where it began
    # (its back-extrapolation puts the release 1.3 m above, on floor 7); the lost piece above it
    # says floor 9.
    alarms = _alarms(_litter())
    assert len(alarms) == 1
    assert (alarms[0].floor, alarms[0].column) == (9, 2)
    assert alarms[0].start_s < 1.0  # the track includes the lost piece (drawn from 0.4 s to 0.9 s)
    # Without looking back: the back-extrapolation of the part seen after the gap.
    blind = ThrowConfig(gate=GateConfig(lookback_s=0.0))
    alone = _alarms(_litter(), blind)
    assert len(alone) == 1 and (alone[0].floor, alone[0].column) == (7, 2) and alone[0].start_s > 2.0
    # A piece that cannot be the same fall (4 m to the side) is not taken up.
    aside = _alarms(_litter(lost_at_u=12.0))
    assert len(aside) == 1 and (aside[0].floor, aside[0].column) == (7, 2) and aside[0].start_s > 2.0
