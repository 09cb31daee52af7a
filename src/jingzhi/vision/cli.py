"""``vision throws VIDEO --facade FACADE.json [--jsonl]``: report thrown objects in a video file.

Framework-free; the platform wires it as ``jingzhi vision``. ``argv`` starts at the sub-command.
"""

from __future__ import annotations

import argparse
import json
import sys

from jingzhi.vision.decode import VideoError, open_luma
from jingzhi.vision.facade import load_facade
from jingzhi.vision.throws import ThrowDetector, ThrowEvent

EXIT_USAGE = 2

_THROWS_HELP = """\
Detect objects thrown or dropped from the facade (高空抛物) in VIDEO.

Output: one JSON object per detected throw with the keys
  start_s, end_s  seconds from the start of the video (first and last sighting),
  floor           floor of origin (1 = bottom floor),
  column          window column of origin (1 = leftmost),
  confidence      0..1, how surely the origin lies in that floor and column,
  track           list of [t, x, y]: time in seconds and image position in pixels.
By default the objects are printed as one JSON array; with --jsonl, one object per line.
Exit status: 0 on success (also when nothing was found), 2 on a missing or undecodable
video or an invalid facade file.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vision", description="Framework-free video analytics.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    throws = sub.add_parser(
        "throws",
        help="detect objects thrown from a facade in a video file",
        description=_THROWS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    throws.add_argument("video", metavar="VIDEO", help="video file (any format FFmpeg/PyAV decodes)")
    throws.add_argument(
        "--facade",
        required=True,
        metavar="FACADE.json",
        help='calibration: {"corners": [[x,y]×4 TL,TR,BR,BL], "floors": N, "columns": M, '
        '"floor_height_m": 3.0, "width_m": W, "masks": [...]}',
    )
    throws.add_argument("--jsonl", action="store_true", help="print one JSON object per line instead of a JSON array")
    return parser


def detect_file(video: str, facade_path: str) -> list[ThrowEvent]:
    """Run the detector over a whole file (raises ``ValueError`` subclasses on bad input)."""
    facade = load_facade(facade_path)
    info, frames = open_luma(video)
    detector = ThrowDetector(facade, (info.height, info.width), info.fps)
    events: list[ThrowEvent] = []
    for t, luma in frames:
        events.extend(detector.process(luma, t))
    events.extend(detector.finish())
    return sorted(events, key=lambda e: e.start_s)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command != "throws":  # pragma: no cover - argparse enforces the choice
        parser.error(f"unknown command {args.command}")
    try:
        events = detect_file(args.video, args.facade)
    except VideoError as exc:
        print(f"vision throws: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"vision throws: {exc}", file=sys.stderr)
        return EXIT_USAGE
    payload = [e.as_json() for e in events]
    if args.jsonl:
        for obj in payload:
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
