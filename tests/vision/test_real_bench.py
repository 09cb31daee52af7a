"""The compositing math of ``bench/vision/real.py`` on a synthetic flat frame (no video files needed)."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from .conftest import load_bench


@pytest.fixture(scope="module")
def real() -> ModuleType:
    return load_bench("real")


def test_virtual_facade_fills_the_frame_at_a_plausible_scale(real: ModuleType) -> None:
    for width, height in ((1280, 720), (768, 576), (176, 144)):
        vf = real.virtual_facade(width, height)
        corners = np.asarray(vf.facade.calibration.corners)
        assert corners[:, 0].min() >= 0 and corners[:, 0].max() <= width
        assert corners[:, 1].min() >= 0 and corners[:, 1].max() <= height
        assert corners[:, 1].max() - corners[:, 1].min() > 0.75 * height
        assert 20.0 <= vf.distance_m <= 40.0
        assert 50.0 <= vf.hfov_deg <= 80.0
        centre = vf.facade.camera_centre((height, width))
        assert centre is not None and abs(centre[2] - vf.distance_m) < 0.5


def test_composited_fall_lands_on_its_ground_truth(real: ModuleType) -> None:
    width, height, fps = 640, 480, 25.0
    vf = real.virtual_facade(width, height)
    plan = real.FallPlan(
        kind="bag",
        floor=5,
        column=3,
        release_s=0.2,
        release_m=((3 - 0.5) * vf.width_m / vf.columns, 4 * 3.0 + 1.2, 0.5),
        velocity_mps=(0.0, 0.0, 0.5),
        spin_hz=1.0,
        sign=-1,
        contrast_target=80.0,
        luma=40.0,
    )
    times = np.arange(40) / fps
    path = real._fall_path(plan, times, real.EXPOSURE_FRACTION / fps)
    real._prepare_truth(plan, path, vf, times, (height, width))
    assert plan.trajectory and plan.rule_s is not None
    # Falls: image y grows, and the release is drawn at the right floor and column of the facade.
    ys = [y for _, _, y in plan.trajectory]
    assert ys[-1] > ys[0] + 50
    _, x0, y0 = plan.trajectory[0]
    cell = vf.facade.floor_column(x0, y0)
    assert (cell.floor, cell.column) == (5, 3)
    flat = np.full((height, width), 120, dtype=np.uint8)
    for t, x, y in plan.trajectory[::5]:
        i = round(t * fps)
        out = real.composite_frame(flat, [plan], [path], i, t, vf.camera)
        diff = 120.0 - out.astype(np.float64)
        assert diff.max() > 20  # drawn, darker than the background
        yy, xx = np.nonzero(diff > 5)
        w = diff[yy, xx]
        cx, cy = float((xx * w).sum() / w.sum()) + 0.5, float((yy * w).sum() / w.sum()) + 0.5
        # The blur is centred on the mid-exposure position, which the trajectory records.
        assert abs(cx - x) < 2.0 and abs(cy - y) < 2.0 + 0.1 * (ys[-1] - ys[0]) / len(ys)
        assert (out == 120).sum() > 0.99 * out.size  # nothing else touched


def test_matching_uses_shared_frame_times(real: ModuleType) -> None:
    plan = real.FallPlan("bottle", 3, 1, 0.0, (1.0, 7.0, 0.5), (0.0, 0.0, 0.0), 1.0, 1, 50.0, size_px=3.0)
    plan.trajectory = [(i / 25.0, 100.0, 100.0 + 5 * i) for i in range(20)]
    near = real.Det("ours", 0.0, 0.76, 0.5, 3, 1, [(i / 25.0, 103.0, 101.0 + 5 * i) for i in range(20)])
    far = real.Det("ours", 0.0, 0.76, 0.5, 3, 1, [(i / 25.0, 150.0, 100.0 + 5 * i) for i in range(20)])
    late = real.Det("ours", 5.0, 5.76, 5.5, 3, 1, [(5 + i / 25.0, 100.0, 100.0 + 5 * i) for i in range(20)])
    assert real.match(near, plan)
    assert not real.match(far, plan)
    assert not real.match(late, plan)
    score, unmatched = real.score_hybrid([plan], [far, near])
    assert score.hits == 1 and score.floor_exact == 1 and unmatched == [0]
