"""Command line of the sound level meter: ``noise measure FILE.wav --fullscale-db C [--json]``.

``main`` takes the arguments after the program name (``["measure", "f.wav", "--fullscale-db", "120"]``)
so that it can be wired as the ``jingzhi noise`` management command or called directly. Exit codes:
0 on success, 2 on a usage error or a file that cannot be measured (missing, not WAV, empty).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TextIO

from pydantic import ValidationError

from .calibration import CalibrationError, calibrate
from .config import MeterConfig
from .meter import SoundLevelMeter
from .results import Measurement
from .wavio import WavError, iter_wav_blocks, read_wav

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="noise", description="Sound level meter per IEC 61672-1 (A/C/Z, F/S).")
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("measure", help="measure a WAV file: LAeq, LAFmax, LCpeak, LA10/50/90, per second")
    m.add_argument("file", help="WAV file (any rate; int16/24/32 or float; the first channel is used)")
    m.add_argument(
        "--fullscale-db",
        type=float,
        required=True,
        help="level in dB of a signal with RMS 1.0 (the device calibration offset)",
    )
    m.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    c = sub.add_parser("calibrate", help="compute --fullscale-db from a recording of a 94 dB 1 kHz calibrator")
    c.add_argument("file", help="WAV recording of the calibrator (a few seconds)")
    c.add_argument("--reference-db", type=float, default=94.0, help="calibrator level (default 94.0 dB)")
    c.add_argument("--reference-hz", type=float, default=1000.0, help="calibrator frequency (default 1000 Hz)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _fmt(value: float) -> str:
    return f"{value:7.2f}" if math.isfinite(value) else "      -"


def _print_table(result: Measurement, name: str, out: TextIO) -> None:
    rate_note = "" if result.class1_claimed else "  (below 44.1 kHz: class 1 not claimed)"
    lines = [
        f"{name}: {result.duration_s:.2f} s at {result.sample_rate} Hz{rate_note}",
        f"  LAeq   {_fmt(result.laeq)} dB",
        f"  LAFmax {_fmt(result.lafmax)} dB  at {result.lafmax_time_s:.2f} s",
        f"  LAFmin {_fmt(result.lafmin)} dB",
        f"  LCpeak {_fmt(result.lcpeak)} dB",
        f"  LA10   {_fmt(result.la10)} dB",
        f"  LA50   {_fmt(result.la50)} dB",
        f"  LA90   {_fmt(result.la90)} dB",
    ]
    # Keep the table short: every second for up to a minute, every minute for longer records.
    if result.per_second and len(result.per_second) <= 60:
        lines.append("  second   LAeq  LAFmax  LCpeak")
        lines.extend(f"  {s.index:6d} {_fmt(s.laeq)} {_fmt(s.lafmax)} {_fmt(s.lcpeak)}" for s in result.per_second)
    elif result.per_minute_laeq:
        lines.append("  minute   LAeq")
        lines.extend(f"  {i:6d} {_fmt(v)}" for i, v in enumerate(result.per_minute_laeq))
    out.write("\n".join(lines) + "\n")


def _measure(args: argparse.Namespace, out: TextIO) -> int:
    config = MeterConfig(fullscale_db=args.fullscale_db)
    info, blocks = iter_wav_blocks(args.file)
    # Stream the file through the meter so that hour-long recordings need little memory.
    meter = SoundLevelMeter(info.sample_rate, config)
    for block in blocks:
        meter.process(block)
    result = meter.summary()
    if args.json:
        payload = {"file": str(info.path), "format": info.subtype, "channels": info.channels, **result.to_dict()}
        out.write(json.dumps(payload, allow_nan=False) + "\n")
    else:
        _print_table(result, str(info.path), out)
    return EXIT_OK


def _calibrate(args: argparse.Namespace, out: TextIO) -> int:
    samples, info = read_wav(args.file)
    cal = calibrate(samples, info.sample_rate, reference_db=args.reference_db, reference_hz=args.reference_hz)
    if args.json:
        payload = {
            "file": str(info.path),
            "fullscale_db": round(cal.fullscale_db, 2),
            "tone_hz": round(cal.tone_hz, 1),
            "spread_db": round(cal.spread_db, 2),
            "duration_s": round(cal.duration_s, 3),
        }
        out.write(json.dumps(payload) + "\n")
    else:
        out.write(
            f"{info.path}: fullscale_db = {cal.fullscale_db:.2f} dB "
            f"(tone {cal.tone_hz:.1f} Hz, steady within {cal.spread_db:.2f} dB)\n"
        )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run ``noise <command> ...`` and return the exit code (never raises for bad input)."""
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        if args.command == "measure":
            return _measure(args, sys.stdout)
        return _calibrate(args, sys.stdout)
    except (WavError, CalibrationError) as exc:
        print(f"noise {args.command}: error: {exc}", file=sys.stderr)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"noise {args.command}: error: {problems}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
