"""``vision throws VIDEO --facade FACADE.json [--jsonl]``: report thrown objects in a video file;
``vision run --url URL --token TOKEN [...]``: the camera worker (see :mod:`jingzhi.vision.worker`).

Framework-free; the platform wires it as ``jingzhi vision``. ``argv`` starts at the sub-command.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

import cv2

from jingzhi.vision.decode import VideoError, batch_size, open_luma, read_ahead
from jingzhi.vision.facade import load_facade
from jingzhi.vision.throws import ThrowDetector, ThrowEvent

EXIT_USAGE = 2
EXIT_AUTH = 1
TOKEN_ENV = "JINGZHI_WORKER_TOKEN"  # noqa: S105 - the name of the variable, not a secret

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


_RUN_HELP = f"""\
Run a camera worker: lease up to N cameras from the platform at URL (renewed every 20 s), decode
each (RTSP/HTTP streams, or video files), detect thrown objects, and post each one as a
throw.detected event with a picture, then its clip (3 s before the release to 2 s after the alarm).
File sources play in real time unless --fast. Stop with Ctrl-C or SIGTERM: the cameras are released.
The token may also come from ${TOKEN_ENV}.
Exit status: 0 when stopped (or done with --once), 1 when the platform refuses the token,
2 on a usage error.
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
    run = sub.add_parser(
        "run",
        help="camera worker: lease cameras from the platform, post thrown-object events and clips",
        description=_RUN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--url", required=True, help="platform base URL, e.g. https://jingzhi.example.org")
    run.add_argument("--token", default=None, help=f"worker token (default: ${TOKEN_ENV})")
    run.add_argument("--name", default=None, help="worker name for the logs (default: the host name)")
    run.add_argument("--max-cameras", type=int, default=4, metavar="N", help="cameras to lease at most (default 4)")
    run.add_argument("--fast", action="store_true", help="process file sources as fast as possible, not in real time")
    run.add_argument(
        "--once", action="store_true", help="process each leased file source to its end, post, release and exit"
    )
    run.add_argument(
        "--buffer-mb", type=int, default=256, metavar="MB", help="pre-roll buffer per camera (default 256 MB)"
    )
    run.add_argument("--timeout", type=float, default=10.0, metavar="S", help="HTTP and stream timeout (default 10 s)")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def detect_file(video: str, facade_path: str) -> list[ThrowEvent]:
    """Run the detector over a whole file (raises ``ValueError`` subclasses on bad input)."""
    facade = load_facade(facade_path)
    info, frames = open_luma(video)
    detector = ThrowDetector(facade, (info.height, info.width), info.fps)
    events: list[ThrowEvent] = []
    for t, luma in read_ahead(frames, batch_size(info.fps)):
        events.extend(detector.process(luma, t))
    events.extend(detector.finish())
    return sorted(events, key=lambda e: e.start_s)


def run_worker(args: argparse.Namespace) -> int:
    """``vision run``: the camera worker until stopped (SIGINT/SIGTERM) or, with ``--once``, done."""
    from jingzhi.vision.worker import AuthError, Worker

    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"vision run: give --token or set {TOKEN_ENV}", file=sys.stderr)
        return EXIT_USAGE
    if args.max_cameras < 0 or args.buffer_mb < 1 or args.timeout <= 0:
        print("vision run: --max-cameras, --buffer-mb and --timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    if not logging.getLogger().handlers:
        logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(threadName)s %(message)s")
    logging.getLogger("jingzhi.vision").setLevel(args.log_level)
    # One thread per camera, each keeping one core busy at most: OpenCV's own thread pool would only
    # contend with the other cameras' threads (the per-core figures in docs/PERFORMANCE.md are
    # measured with one OpenCV thread).
    cv2.setNumThreads(1)
    try:
        worker = Worker(
            args.url,
            token,
            name=args.name or socket.gethostname(),
            max_cameras=args.max_cameras,
            timeout_s=args.timeout,
            fast=args.fast,
            once=args.once,
            buffer_mb=args.buffer_mb,
        )
    except ValueError as exc:
        print(f"vision run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            logging.getLogger("jingzhi.vision.worker").info("signal %d: stopping", signum)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        worker.run(stop)
    except AuthError as exc:
        print(f"vision run: {exc}", file=sys.stderr)
        return EXIT_AUTH
    finally:
        for restore, handler in previous.items():
            signal.signal(restore, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "run":
        return run_worker(args)
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
