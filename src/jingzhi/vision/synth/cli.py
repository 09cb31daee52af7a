"""``python -m jingzhi.vision.synth OUTDIR [...]``: render a scene to H.264 + facade JSON + ground truth JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from jingzhi.vision.facade import save_facade
from jingzhi.vision.synth.distractors import FAMILIES
from jingzhi.vision.synth.encode import encode_h264, equivalent_bitrate
from jingzhi.vision.synth.scene import DistractorSpec, Scene, SceneSpec, ThrowSpec


def _throw(text: str) -> ThrowSpec:
    # KIND:FLOOR:COLUMN:RELEASE_S, e.g. bottle:7:3:1.0
    try:
        kind, floor, column, release = text.split(":")
        return ThrowSpec(kind=kind, floor=int(floor), column=int(column), release_s=float(release))  # type: ignore[arg-type]
    except (ValueError, ValidationError) as exc:
        raise argparse.ArgumentTypeError(f"bad --throw {text!r} (want KIND:FLOOR:COLUMN:RELEASE_S): {exc}") from exc


def write_scene(
    spec: SceneSpec, out_dir: Path, *, mbps_at_1080p: float = 4.0, bitrate: int | None = None
) -> dict[str, Path]:
    """Render ``spec`` into ``out_dir``; returns the paths of scene.mp4, facade.json and truth.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scene = Scene(spec)
    video = out_dir / "scene.mp4"
    rate = bitrate or equivalent_bitrate(spec.width, spec.height, spec.fps, mbps_at_1080p)
    encode_h264(scene.frames(), video, width=spec.width, height=spec.height, fps=spec.fps, bitrate=rate)
    facade = out_dir / "facade.json"
    save_facade(scene.calibration(), facade)
    truth = out_dir / "truth.json"
    gt = scene.ground_truth()
    gt["bitrate"] = rate
    truth.write_text(json.dumps(gt, indent=1) + "\n", encoding="utf-8")
    return {"video": video, "facade": facade, "truth": truth}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m jingzhi.vision.synth", description="Render a synthetic facade camera clip."
    )
    p.add_argument("out", type=Path, help="output folder (scene.mp4, facade.json, truth.json)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="960x540", help="WIDTHxHEIGHT (even numbers)")
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--duration", type=float, default=6.0, help="seconds")
    p.add_argument("--floors", type=int, default=12)
    p.add_argument("--columns", type=int, default=6)
    p.add_argument("--width-m", type=float, default=24.0)
    p.add_argument("--distance", type=float, default=30.0, help="camera distance from the facade (m)")
    p.add_argument("--throw", type=_throw, action="append", default=[], help="KIND:FLOOR:COLUMN:RELEASE_S (repeatable)")
    p.add_argument("--distractor", action="append", default=[], choices=FAMILIES, help="distractor family (repeatable)")
    p.add_argument("--mbps", type=float, default=4.0, help="bitrate as its 1080p25 equivalent (scaled by pixel rate)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        spec = SceneSpec(
            seed=args.seed,
            width=w,
            height=h,
            fps=args.fps,
            duration_s=args.duration,
            floors=args.floors,
            columns=args.columns,
            width_m=args.width_m,
            distance_m=args.distance,
            throws=args.throw,
            distractors=[DistractorSpec(family=f) for f in args.distractor],
        )
        paths = write_scene(spec, args.out, mbps_at_1080p=args.mbps)
    except (ValueError, ValidationError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: str(v) for k, v in paths.items()}))
    return 0
