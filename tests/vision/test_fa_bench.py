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


def test_fresh_fa_streams_by_seed(run: ModuleType) -> None:
    default = run.make_fa_cases("tune", 2.0, 320, 240)
    assert [c.spec.seed for c in default] == [c.spec.seed for c in run.make_fa_cases("tune", 2.0, 320, 240, seed=1001)]
    fresh = run.make_fa_cases("tune", 2.0, 320, 240, seed=2401)
    assert not {c.spec.seed for c in fresh} & {c.spec.seed for c in default}


def _case(run: ModuleType, name: str, seed: int, throw: bool) -> object:
    """A 3 s clip at 320×240 with birds, and a box thrown from floor 9 where ``throw``."""
    from jingzhi.vision.synth import DistractorSpec, SceneSpec, ThrowSpec

    spec = SceneSpec(
        seed=seed,
        width=320,
        height=240,
        duration_s=3.0,
        distance_m=20.0,
        throws=[ThrowSpec(kind="box", floor=9, column=3, release_s=0.3)] if throw else [],
        distractors=[DistractorSpec(family="birds", level=1.0)],
    )
    return run.Case(name, spec, "throw" if throw else "distractor", ("birds",))


def test_clips_run_side_by_side_give_what_they_give_one_by_one(run: ModuleType, tmp_path: object) -> None:
    import importlib
    from pathlib import Path

    # Under its plain name, which the spawned processes import it by (the fixture's is private).
    run = importlib.import_module("run")

    cases = [_case(run, "a", 1, True), _case(run, "b", 2, False), _case(run, "c", 3, True)]
    one = list(run.run_clips(cases, Path(str(tmp_path)), 2.0, jobs=1))
    two = list(run.run_clips(cases, Path(str(tmp_path)), 2.0, jobs=2))
    assert [r.case.name for r in two] == ["a", "b", "c"]
    assert [(r.frames, r.ours, r.naive) for r in two] == [(r.frames, r.ours, r.naive) for r in one]
    assert len(one[0].ours) == 1  # something to compare: the box is found


def test_alarmed_clips_are_kept_for_study_and_the_baseline_can_be_skipped(run: ModuleType, tmp_path: object) -> None:
    from pathlib import Path

    tmp = Path(str(tmp_path))
    keep = tmp / "kept"
    (work := tmp / "work").mkdir()
    results = list(
        run.run_clips([_case(run, "a", 1, True), _case(run, "b", 2, False)], work, 2.0, naive_too=False, keep=keep)
    )
    assert [len(r.ours) for r in results] == [1, 0]
    assert all(r.naive == [] for r in results)
    # The clip with an alarm moved into the keep folder whole (video, truth, facade); the other is gone.
    assert sorted(p.name for p in keep.iterdir()) == ["a"]
    assert {p.suffix for p in (keep / "a").iterdir()} >= {".mp4", ".json"}
    assert list(work.iterdir()) == []


def test_variations_change_only_what_they_name(run: ModuleType) -> None:
    cases = run.make_cases("tune", True, 320, 240)
    streams = run.make_fa_cases("tune", 3.0, 320, 240)
    # No option: the very same cases (the held-out clips render as they always did).
    assert run.vary(cases) == cases and run.vary(streams) == streams

    slow = run.vary(cases, fps=10.0)
    assert all(c.spec.fps == 10.0 for c in slow)
    assert [c.spec.model_copy(update={"fps": 25.0}) for c in slow] == [c.spec for c in cases]

    rainy = run.vary(cases, throws_in=("rain", 2.0))
    for before, after in zip(cases, rainy, strict=True):
        if before.group == "throw":
            assert [(d.family, d.level) for d in after.spec.distractors] == [("rain", 2.0)]
            assert after.families == ("rain",) and after.spec.throws == before.spec.throws
        else:
            assert after is before  # the distractor-only clips keep theirs

    stressed = run.vary(streams, level_scale=4.0, with_family="rain")
    for before, after in zip(streams, stressed, strict=True):
        levels = {d.family: d.level for d in after.spec.distractors}
        for d in before.spec.distractors:
            assert levels[d.family] == pytest.approx(min(d.level * 4.0, 5.0))
        assert "rain" in levels and "rain" in after.families
        assert after.spec.seed == before.spec.seed


def test_family_level_option_is_checked(run: ModuleType) -> None:
    import argparse

    assert run._family_level("rain:2.5") == ("rain", 2.5)
    assert run._family_level("birds") == ("birds", 1.0)
    for bad in ("hail:1", "rain:x", "rain:0", "rain:9"):
        with pytest.raises(argparse.ArgumentTypeError):
            run._family_level(bad)
