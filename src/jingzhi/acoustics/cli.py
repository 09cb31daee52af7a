"""Command line of the sound level meter: ``noise measure FILE.wav --fullscale-db C [--json]``.

``main`` takes the arguments after the program name (``["measure", "f.wav", "--fullscale-db", "120"]``)
so that it can be wired as the ``jingzhi noise`` management command or called directly. Exit codes:
0 on success, 2 on a usage error or a file that cannot be measured (missing, not WAV, empty).

``noise meter SOURCE --fullscale-db C --device CODE (--url URL --token TOKEN | --mqtt-url URL)`` measures
a file, a stream or a sound card and publishes ``noise.level`` events (see :mod:`.publish`); it exits 0
at the end of the input or on SIGINT/SIGTERM, 2 on bad arguments or an unusable source, 1 when the
platform rejects the device or events could not be delivered before the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import signal
import sys
import threading
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from .calibration import CalibrationError, calibrate
from .config import MeterConfig
from .meter import SoundLevelMeter
from .results import Measurement
from .wavio import WavError, iter_wav_blocks, read_wav

if TYPE_CHECKING:
    from .publish import Publisher

__all__ = ["main"]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
#: Device codes go into MQTT topics: no wildcards, no separators.
_DEVICE_CODE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
#: How long the end of a run waits for the platform to take the remaining events.
FLUSH_TIMEOUT_S = 30.0


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

    r = sub.add_parser(
        "meter",
        help="measure a file, stream or sound card and publish noise.level events to the platform",
        description=(
            "Measure SOURCE second by second and publish one noise.level event (LAeq, LAFmax) per --period "
            "seconds to the platform over HTTP or MQTT. Files end at their end; streams reconnect with "
            "backoff; SIGINT/SIGTERM stop cleanly."
        ),
    )
    r.add_argument(
        "source",
        help="a WAV/FLAC/MP3/M4A file, a URL PyAV can open (rtsp://…, http://…/stream.mp3), or a sound card "
        "as FORMAT:DEVICE (alsa:default, pulse:default)",
    )
    r.add_argument("--fullscale-db", type=float, required=True, help="level in dB of a signal with RMS 1.0")
    r.add_argument("--device", required=True, help="the device code of this meter on the platform")
    to = r.add_mutually_exclusive_group(required=True)
    to.add_argument("--url", help="platform base URL (HTTP ingestion), e.g. https://jingzhi.example.org")
    to.add_argument("--mqtt-url", help="MQTT broker, mqtt://[user:password@]host[:port]")
    r.add_argument("--token", help="device token for --url (default: $JINGZHI_DEVICE_TOKEN)")
    r.add_argument(
        "--realtime", action="store_true", help="pace a file to the wall clock (default: as fast as possible)"
    )
    r.add_argument(
        "--period", type=int, default=1, help="seconds per event (1-3600): energy mean of the LAeq, max of LAFmax"
    )
    r.add_argument(
        "--start",
        help="wall-clock time of a file's first sample, ISO 8601 (default: now); gives the same event ids on reruns",
    )
    r.add_argument("--json", action="store_true", help="also print each published event as a JSON line")
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


def _usage(message: str) -> int:
    print(f"noise meter: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _parse_start(text: str | None) -> float | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is local time
    return moment.timestamp()


class _StopOnSignal:
    """SIGINT/SIGTERM set ``stop`` (a clean stop); a second one interrupts at once."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.signals = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:
            raise KeyboardInterrupt
        # Event.set takes a lock the interrupted main thread may hold (inside Event.wait): set it from
        # another thread rather than risk a deadlock here.
        threading.Thread(target=self.stop.set, name="noise-stop", daemon=True).start()

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _meter(args: argparse.Namespace, out: TextIO) -> int:
    from .publish import DeviceRejected, HttpPublisher, MqttPublisher, run_meter
    from .stream import StreamError, open_source

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    config = MeterConfig(fullscale_db=args.fullscale_db)
    if not _DEVICE_CODE.match(args.device):
        return _usage(f"--device {args.device!r}: 1 to 64 letters, digits or ._:-")
    if not 1 <= args.period <= 3600:
        return _usage("--period must be between 1 and 3600 seconds")
    try:
        start = _parse_start(args.start)
    except ValueError:
        return _usage(f"--start {args.start!r} is not an ISO 8601 time")
    stop = threading.Event()
    try:
        source = open_source(args.source, realtime=args.realtime, start_time=start, stop=stop)
    except StreamError as exc:
        return _usage(str(exc))
    publisher: Publisher
    if args.url is not None:
        token = args.token or os.environ.get("JINGZHI_DEVICE_TOKEN", "")
        if not token:
            return _usage("--url needs --token (or $JINGZHI_DEVICE_TOKEN)")
        try:
            publisher = HttpPublisher(args.url, args.device, token)
        except ValueError as exc:
            return _usage(str(exc))
    else:
        if args.token:
            return _usage("--token goes with --url; put MQTT credentials in --mqtt-url")
        try:
            publisher = MqttPublisher(args.mqtt_url, args.device)
        except ValueError as exc:
            return _usage(str(exc))

    def emitted(document: dict[str, Any]) -> None:
        if args.json:
            out.write(json.dumps(document) + "\n")
            out.flush()

    log = logging.getLogger(__name__)
    with _StopOnSignal(stop) as signals:
        try:
            publisher.start()
        except DeviceRejected as exc:
            print(f"noise meter: error: {exc}", file=sys.stderr)
            return EXIT_REJECTED
        code = EXIT_OK
        try:
            run = run_meter(source, config, args.device, publisher, period=args.period, on_event=emitted)
            stopped = " (stopped by a signal)" if signals.signals else ""
            log.info("%s: %d s measured, %d events published%s", source.name, run.seconds, run.events, stopped)
        except DeviceRejected as exc:
            print(f"noise meter: error: {exc}", file=sys.stderr)
            code = EXIT_REJECTED
        except StreamError as exc:  # a file that turns out unreadable part-way
            print(f"noise meter: error: {exc}", file=sys.stderr)
            code = EXIT_ERROR
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        finally:
            undelivered = publisher.close(timeout_s=2.0 if stop.is_set() else FLUSH_TIMEOUT_S)
        if code == EXIT_OK and publisher.error is not None:
            print(f"noise meter: error: {publisher.error}", file=sys.stderr)
            code = EXIT_REJECTED
        if code == EXIT_OK and undelivered:
            print(f"noise meter: error: {undelivered} events were not delivered", file=sys.stderr)
            code = EXIT_REJECTED
    return code


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
        if args.command == "meter":
            return _meter(args, sys.stdout)
        return _calibrate(args, sys.stdout)
    except (WavError, CalibrationError) as exc:
        print(f"noise {args.command}: error: {exc}", file=sys.stderr)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"noise {args.command}: error: {problems}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
