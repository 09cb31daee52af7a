"""The long distractor-only streams of ``bench/vision/run.py --fa-minutes`` (no rendering here)."""

from __future__ import annotations

from types import ModuleType

import pytest

from .conftest import load_bench


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return load_bench("run")


def test_fa_streams_fill_the_minutes_asked_with_the_splits_families(run: ModuleType) -> None:
    cases = run.make_fa_cases("tune", 2.5, 320, 240)
    assert [c.spec.duration_s for c in cases] == [60.0, 60.0, 30.0]
    assert all(c.group == "distractor" and not c.spec.throws for c in cases)
    assert all(1 <= len(c.families) <= 3 and set(c.families) <= set(run.TUNE_FAMILIES) for c in cases)
    # Seeded apart from the split's own clips, and the same on every run.
    assert [c.spec.seed for c in cases] == [c.spec.seed for c in run.make_fa_cases("tune", 2.5, 320, 240)]
    own = {c.spec.seed for c in run.make_cases("tune", False, 320, 240, repeats=1)}
    assert not own & {c.spec.seed for c in cases}


def test_poisson_upper_bound(run: ModuleType) -> None:
    # Zero events: the familiar "rule of three"; more events, a higher bound above the count.
    assert run.poisson_upper(0) == pytest.approx(2.996, abs=1e-3)
    assert run.poisson_upper(4) == pytest.approx(9.154, abs=1e-3)


def test_floor_row_counts_and_does_not_round_across_the_target(run: ModuleType) -> None:
    # 70 detected throws, one of them two floors off: 98.6 %, which whole percents would show as 99 %.
    def clip(i: int, floor_seen: int) -> object:
        path = [(0.04 * k, 100.0, 50.0 + 4.0 * k) for k in range(10)]
        gt = {"kind": "box", "floor": 5, "column": 2, "size_px": 5.0, "contrast": 60.0, "observable": True}
        case = run.Case(f"throw{i:02d}", run.SceneSpec(), "throw", ())
        det = run.Det(0.0, 0.36, floor_seen, 2, 0.2, path)
        truth = {"duration_s": 6.0, "throws": [{**gt, "trajectory": path, "rule_s": 0.1}]}
        return run.ClipResult(case, truth, [det], [], 150, 1.0, 0.2, 0.5)

    results = [clip(i, 5) for i in range(69)] + [clip(69, 7)]
    ours = run.score(results, "ours")
    assert ours["floor_all"] == (69, 69, 70)
    assert run.pct(69, 70, 1) == "98.6% (69/70)"
