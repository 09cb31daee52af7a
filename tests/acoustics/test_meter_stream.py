"""``noise meter``: sources (WAV, PyAV files, HTTP streams, devices) → levels → noise.level over HTTP and MQTT.

The platform is a stdlib ``http.server`` in a thread that records what it is sent; MQTT goes through the
local Mosquitto. No Django: plain functions only.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile

from jingzhi.acoustics import stream as stream_module
from jingzhi.acoustics.cli import main
from jingzhi.acoustics.config import MeterConfig
from jingzhi.acoustics.metrics import energy_mean_db
from jingzhi.acoustics.publish import DeviceRejected, HttpPublisher, MqttPublisher, run_meter
from jingzhi.acoustics.stream import StreamError, open_source, parse_source
from jingzhi.sensing.contract import parse_event
from tests.acoustics.signals import rms_for_level, sine

RATE = 48_000
FULLSCALE_DB = 100.0
LOUD_DB, QUIET_DB = 80.0, 60.0
#: Per-second LAeq of the test file: 3 s of a 1 kHz tone at 80 dB, then 2 s at 60 dB.
EXPECTED = [LOUD_DB] * 3 + [QUIET_DB] * 2
START = "2026-11-26T20:00:00+08:00"
START_EPOCH = int(datetime.fromisoformat(START).timestamp())
ID = re.compile(r"^nm-(\d+)-(\d+)$")
CONFIG = MeterConfig(fullscale_db=FULLSCALE_DB)


def _tone_wav(path: Path) -> Path:
    # A-weighting is 0 dB at 1 kHz: an RMS r reads FULLSCALE_DB + 20·lg(r). Whole cycles per part.
    loud = sine(1000.0, rms_for_level(LOUD_DB, FULLSCALE_DB), 3.0, RATE)
    quiet = sine(1000.0, rms_for_level(QUIET_DB, FULLSCALE_DB), 2.0, RATE)
    soundfile.write(str(path), np.concatenate([loud, quiet]), RATE, subtype="FLOAT")
    return path


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return _tone_wav(tmp_path / "tone.wav")


def _encode(wav_path: Path, out: Path, codec: str, bit_rate: int = 128_000) -> Path:
    """Encode a mono WAV with PyAV (AAC in .m4a, MP3 …)."""
    data, rate = soundfile.read(str(wav_path), dtype="float32")
    with av.open(str(out), "w") as container:
        audio = container.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(audio, av.AudioStream)
        audio.bit_rate = bit_rate
        fmt = audio.codec_context.format.name
        frame_size = audio.codec_context.frame_size or 1152
        for pos in range(0, data.size, frame_size):
            chunk = data[pos : pos + frame_size]
            if fmt.startswith("s32"):
                array = (np.clip(chunk, -1, 1 - 2**-31) * 2**31).astype(np.int32)
            elif fmt.startswith("s16"):
                array = (np.clip(chunk, -1, 1 - 2**-15) * 2**15).astype(np.int16)
            else:
                array = chunk.astype(np.float32)
            frame = av.AudioFrame.from_ndarray(array[None, :], format=fmt, layout="mono")
            frame.sample_rate = rate
            frame.pts = pos
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
    return out


# -- a fake platform -------------------------------------------------------------------------------


class Platform:
    """Records POSTs; ``answer(path, document, attempt)`` gives the status for an event (default 201)."""

    def __init__(self, answer: Callable[[str, dict[str, Any], int], int] | None = None) -> None:
        self.posts: list[tuple[str, str, dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.attempts: dict[str, int] = {}
        self.answer = answer or (lambda path, doc, attempt: 201)
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                doc = json.loads(raw)
                platform.posts.append((self.path, self.headers.get("Authorization", ""), doc))
                key = f"{self.path}|{doc.get('event_id', doc.get('state'))}"
                platform.attempts[key] = platform.attempts.get(key, 0) + 1
                status = platform.answer(self.path, doc, platform.attempts[key])
                body: dict[str, Any] = {"status": "stored"}
                if status == 201 and self.path.endswith("/events"):
                    if doc["event_id"] in platform.stored:
                        status, body = 200, {"status": "duplicate"}
                    platform.stored[doc["event_id"]] = doc
                elif status >= 400:
                    body = {"status": "rejected", "code": f"code_{status}", "detail": "test"}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [doc for path, _, doc in self.posts if path == "/api/v1/ingest/events"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform_factory() -> Iterator[Callable[..., Platform]]:
    made: list[Platform] = []

    def make(answer: Callable[[str, dict[str, Any], int], int] | None = None) -> Platform:
        made.append(Platform(answer))
        return made[-1]

    yield make
    for p in made:
        p.close()


class Collect:
    """An in-memory publisher (the Publisher protocol)."""

    error: DeviceRejected | None = None

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def start(self) -> None:
        pass

    def publish(self, document: dict[str, Any]) -> None:
        self.documents.append(document)

    def close(self, timeout_s: float = 30.0) -> int:
        return 0


def _meter_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["meter", *args])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    return code, lines, captured.err


# -- HTTP ------------------------------------------------------------------------------------------


def test_a_wav_file_gives_one_event_per_second_over_http(wav, platform_factory, capsys):
    platform = platform_factory()
    args = [str(wav), "--fullscale-db", str(FULLSCALE_DB), "--device", "nm-test-1", "--url", platform.url]
    code, printed, err = _meter_json(capsys, *args, "--token", "s3cret", "--start", START, "--json")
    assert code == 0, err
    events = platform.events()
    assert len(events) == 5
    assert printed == events  # --json prints exactly what was published
    assert {auth for _, auth, _ in platform.posts} == {"Bearer s3cret"}
    # Online before, offline after (the HTTP heartbeat).
    assert platform.posts[0][2] == {"device": "nm-test-1", "state": "online"}
    assert platform.posts[-1][2] == {"device": "nm-test-1", "state": "offline"}
    start = datetime.fromisoformat(START)
    for i, (doc, level) in enumerate(zip(events, EXPECTED, strict=True)):
        assert doc["event_id"] == f"nm-{START_EPOCH}-{i}"
        assert doc["device"] == "nm-test-1" and doc["type"] == "noise.level"
        assert doc["payload"]["laeq"] == pytest.approx(level, abs=0.2)
        assert doc["payload"]["period_s"] == 1.0
        assert doc["payload"]["lafmax"] >= doc["payload"]["laeq"] - 0.01
        occurred = datetime.fromisoformat(doc["occurred_at"])
        assert occurred.utcoffset() is not None  # aware
        assert occurred == start + timedelta(seconds=i)
        parse_event(doc, now=start + timedelta(seconds=10))  # the platform's contract accepts it
    # F time weighting: the first quiet second still carries the loud tone's decay at its start.
    assert events[3]["payload"]["lafmax"] == pytest.approx(LOUD_DB, abs=0.2)

    # Stable ids: the same file from the same start gives the same events (the platform: duplicates).
    code, again, _ = _meter_json(capsys, *args, "--token", "s3cret", "--start", START, "--json")
    assert code == 0
    assert [d["event_id"] for d in again] == [d["event_id"] for d in events]
    assert len(platform.stored) == 5


def test_without_a_start_ids_and_times_follow_the_wall_clock(wav, platform_factory, capsys):
    platform = platform_factory()
    before = time.time()
    code, printed, err = _meter_json(
        capsys, str(wav), "--fullscale-db", "100", "--device", "nm-test-2", "--url", platform.url, "--token", "t"
    )
    assert code == 0, err
    assert printed == []  # no --json: nothing on stdout
    events = platform.events()
    ids = [ID.match(d["event_id"]) for d in events]
    assert all(ids) and len({d["event_id"] for d in events}) == 5
    start_epochs = {int(m.group(1)) for m in ids if m}
    assert len(start_epochs) == 1 and int(before) <= start_epochs.pop() <= time.time()
    assert [int(m.group(2)) for m in ids if m] == [0, 1, 2, 3, 4]
    first = datetime.fromisoformat(events[0]["occurred_at"]).timestamp()
    assert before - 0.01 <= first <= time.time()


def test_period_aggregates_seconds_by_energy_mean_and_max(wav, platform_factory):
    platform = platform_factory()
    code = main(
        [
            *("meter", str(wav), "--fullscale-db", "100", "--device", "nm-test-3", "--url", platform.url),
            *("--token", "t", "--period", "2", "--start", START),
        ]
    )
    assert code == 0
    events = platform.events()
    assert [d["payload"]["period_s"] for d in events] == [2.0, 2.0, 1.0]  # the last period is partial
    assert [d["event_id"] for d in events] == [f"nm-{START_EPOCH}-{i}" for i in (0, 2, 4)]
    assert events[0]["payload"]["laeq"] == pytest.approx(LOUD_DB, abs=0.2)
    assert events[1]["payload"]["laeq"] == pytest.approx(energy_mean_db([LOUD_DB, QUIET_DB]), abs=0.2)
    assert events[1]["payload"]["lafmax"] == pytest.approx(LOUD_DB, abs=0.2)
    assert events[2]["payload"]["laeq"] == pytest.approx(QUIET_DB, abs=0.2)


@pytest.mark.parametrize("where", ["status", "events"])
def test_a_rejected_device_exits_1(wav, platform_factory, capsys, where):
    path = "/api/v1/ingest/" + where
    platform = platform_factory(lambda p, doc, attempt: 401 if p == path else 201)
    code = main(
        ["meter", str(wav), "--fullscale-db", "100", "--device", "nm-x", "--url", platform.url, "--token", "bad"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "401" in err and "code_401" in err
    assert len(platform.events()) == (0 if where == "status" else 1)  # no retry of a rejected device


def test_5xx_is_retried_until_stored_once(wav, platform_factory):
    platform = platform_factory(lambda p, doc, attempt: 503 if p.endswith("/events") and attempt <= 2 else 201)
    publisher = HttpPublisher(platform.url, "nm-retry", "t", retry_initial_s=0.01)
    publisher.start()
    run = run_meter(open_source(str(wav), start_time=START_EPOCH), CONFIG, "nm-retry", publisher)
    assert publisher.close(timeout_s=5.0) == 0
    assert run.events == 5
    assert sorted(platform.stored) == [f"nm-{START_EPOCH}-{i}" for i in range(5)]
    assert all(n == 3 for k, n in platform.attempts.items() if k.startswith("/api/v1/ingest/events"))
    assert publisher.delivered == 5 and publisher.refused == 0


def test_other_4xx_gives_up_on_that_event_only(wav, platform_factory, caplog):
    bad = f"nm-{START_EPOCH}-2"
    platform = platform_factory(lambda p, doc, attempt: 422 if doc.get("event_id") == bad else 201)
    publisher = HttpPublisher(platform.url, "nm-422", "t", retry_initial_s=0.01)
    publisher.start()
    run_meter(open_source(str(wav), start_time=START_EPOCH), CONFIG, "nm-422", publisher)
    assert publisher.close(timeout_s=5.0) == 0
    assert len(platform.stored) == 4 and bad not in platform.stored
    assert platform.attempts[f"/api/v1/ingest/events|{bad}"] == 1
    assert publisher.refused == 1 and "code_422" in caplog.text


def test_an_unreachable_platform_keeps_retrying_and_reports_undelivered(wav):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    publisher = HttpPublisher(f"http://127.0.0.1:{port}", "nm-down", "t", retry_initial_s=0.01, timeout_s=1.0)
    publisher.start()  # the platform is down: not fatal, events wait
    run_meter(open_source(str(wav)), CONFIG, "nm-down", publisher)
    assert publisher.close(timeout_s=0.3) == 5
    assert publisher.error is None


# -- bad arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["missing.wav", "--fullscale-db", "100", "--device", "d", "--url", "http://127.0.0.1:9", "--token", "t"],
        ["{wav}", "--fullscale-db", "100", "--device", "d", "--url", "http://127.0.0.1:9"],  # no token
        ["{wav}", "--fullscale-db", "100", "--device", "d"],  # no destination
        ["{wav}", "--fullscale-db", "100", "--device", "d", "--url", "http://x", "--mqtt-url", "mqtt://x"],
        ["{wav}", "--fullscale-db", "100", "--device", "d", "--url", "ftp://x", "--token", "t"],
        ["{wav}", "--fullscale-db", "100", "--device", "a/b", "--mqtt-url", "mqtt://127.0.0.1"],
        ["{wav}", "--fullscale-db", "100", "--device", "d", "--mqtt-url", "mqtt://x", "--period", "0"],
        ["{wav}", "--fullscale-db", "999", "--device", "d", "--mqtt-url", "mqtt://x"],
        ["{wav}", "--fullscale-db", "100", "--device", "d", "--mqtt-url", "mqtt://x", "--start", "yesterday"],
        ["rtsp://127.0.0.1:9/x", "--fullscale-db", "100", "--device", "d", "--mqtt-url", "mqtt://x", "--start", START],
    ],
)
def test_bad_arguments_exit_2(wav, monkeypatch, capsys, args):
    monkeypatch.delenv("JINGZHI_DEVICE_TOKEN", raising=False)
    assert main(["meter", *[a.replace("{wav}", str(wav)) for a in args]]) == 2
    assert capsys.readouterr().err


def test_an_unavailable_device_format_names_the_formats_this_build_has(wav, monkeypatch, capsys):
    monkeypatch.setattr(stream_module.av, "formats_available", {"alsa", "lavfi", "wav", "mp3"})
    code = main(["meter", "pulse:default", "--fullscale-db", "100", "--device", "d", "--mqtt-url", "mqtt://x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'pulse' is not available" in err and "alsa, lavfi" in err


def test_source_strings():
    assert parse_source("alsa:default").kind == "device"
    assert parse_source("alsa:default").format == "alsa" and parse_source("alsa:default").target == "default"
    assert parse_source("pulse:").target == "default"
    assert parse_source("rtsp://cam/audio").kind == "network" and parse_source("http://x/a.mp3").live
    assert parse_source("/no/such.wav").kind == "av-file"  # checked when opened
    with pytest.raises(StreamError, match="unknown URL scheme"):
        parse_source("gopher://x")


# -- PyAV sources ----------------------------------------------------------------------------------


def _levels(source: str, **options: Any) -> list[float]:
    collect = Collect()
    run_meter(open_source(source, **options), CONFIG, "nm-av", collect)
    return [d["payload"]["laeq"] for d in collect.documents]


@pytest.mark.parametrize(("suffix", "codec"), [(".m4a", "aac"), (".mp3", "libmp3lame")])
def test_a_compressed_file_reads_like_the_wav(wav, tmp_path, suffix, codec):
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    encoded = _encode(wav, tmp_path / f"tone{suffix}", codec)
    assert open_source(str(encoded)).spec.kind in ("av-file", "soundfile")
    reference = _levels(str(wav))
    levels = _levels(str(encoded))
    assert len(levels) == 5
    assert levels == pytest.approx(reference, abs=0.5)


def test_a_capture_device_through_pyav_lavfi():
    # lavfi's sine has amplitude 1/8: RMS 0.125/√2 reads C + 20·lg(0.0884) = C - 21.07 dB.
    levels = _levels("lavfi:sine=frequency=1000:sample_rate=48000:duration=3")
    assert levels == pytest.approx([FULLSCALE_DB - 21.07] * 3, abs=0.05)


def test_a_network_stream_that_drops_is_reopened(wav, tmp_path):
    encoded = _encode(wav, tmp_path / "radio.mp3", "libmp3lame")
    gets: list[str] = []

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def do_GET(self) -> None:
            gets.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    stop = threading.Event()
    collect = Collect()
    original = collect.publish

    def publish(document: dict[str, Any]) -> None:
        original(document)
        if len(collect.documents) >= 8:
            stop.set()

    collect.publish = publish  # type: ignore[method-assign]
    try:
        url = f"http://127.0.0.1:{server.server_port}/{encoded.name}"
        source = open_source(url, stop=stop, retry_initial_s=0.05, retry_max_s=0.1)
        run = run_meter(source, CONFIG, "nm-radio", collect)
    finally:
        server.shutdown()
        server.server_close()
    assert len(gets) >= 2 and run.segments >= 2  # it reconnected after the end of the "stream"
    ids = [d["event_id"] for d in collect.documents]
    assert len(ids) == len(set(ids)) >= 8  # ids stay unique across reconnections
    assert [d["payload"]["laeq"] for d in collect.documents[:5]] == pytest.approx(EXPECTED, abs=0.5)
    # Live sources: a second is stamped from the arrival of its samples, so the burst of a stream
    # that is read faster than real time lands at most a second in the past, never in the future.
    times = [datetime.fromisoformat(d["occurred_at"]).timestamp() for d in collect.documents]
    assert all(later > earlier - 0.25 for earlier, later in itertools.pairwise(times))
    assert max(times) <= time.time() - 1.0


# -- realtime and signals --------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_realtime_is_paced_and_sigterm_stops_cleanly(wav, platform_factory):
    platform = platform_factory()
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.3, os.kill, (os.getpid(), signal.SIGTERM))
    began = time.monotonic()
    timer.start()
    try:
        code = main(
            [
                *("meter", str(wav), "--fullscale-db", "100", "--device", "nm-rt", "--url", platform.url),
                *("--token", "t", "--realtime"),
            ]
        )
    finally:
        timer.cancel()  # never let a late SIGTERM reach pytest's default handler
    elapsed = time.monotonic() - began
    assert code == 0
    assert 1.2 < elapsed < 2.5  # paced to the wall clock, stopped long before the 5 s of the file
    assert len(platform.events()) == 1
    assert platform.posts[-1][2]["state"] == "offline"
    assert signal.getsignal(signal.SIGTERM) == previous  # handlers restored


def test_no_django_is_loaded_by_the_meter_modules():
    code = (
        "import sys, jingzhi.acoustics.stream, jingzhi.acoustics.publish; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- MQTT ------------------------------------------------------------------------------------------

MQTT_URL = "mqtt://127.0.0.1:1883"


def _broker_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.services
def test_events_over_mqtt_with_status_and_last_will(wav):
    if not _broker_up():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (start mosquitto)")
    from jingzhi.core.mqtt import client_for

    device = f"nm-test-{uuid.uuid4().hex[:10]}"
    received: list[tuple[str, bytes, bool]] = []
    subscribed = threading.Event()
    sub, connect = client_for(MQTT_URL, client_id=f"sub-{device}")
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"jingzhi/v1/{device}/#", qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: received.append((m.topic, m.payload, bool(m.retain)))
    sub.connect(**connect)
    sub.loop_start()
    try:
        assert subscribed.wait(5)
        publisher = MqttPublisher(MQTT_URL, device, session_expiry_s=10)
        publisher.start()
        run = run_meter(open_source(str(wav), start_time=START_EPOCH), CONFIG, device, publisher)
        assert publisher.close(timeout_s=5.0) == 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(p == b"offline" for _, p, _ in received):
            time.sleep(0.02)
    finally:
        sub.publish(f"jingzhi/v1/{device}/status", b"", qos=1, retain=True).wait_for_publish(2)  # clear
        sub.disconnect()
        sub.loop_stop()
    assert run.events == 5
    events = [json.loads(p) for t, p, _ in received if t == f"jingzhi/v1/{device}/events"]
    assert [e["event_id"] for e in events] == [f"nm-{START_EPOCH}-{i}" for i in range(5)]
    assert [e["payload"]["laeq"] for e in events] == pytest.approx(EXPECTED, abs=0.2)
    statuses = [p for t, p, _ in received if t == f"jingzhi/v1/{device}/status" and p]  # b"": the clean-up
    assert statuses == [b"online", b"offline"]


@pytest.mark.services
def test_mqtt_cli_end_to_end(wav, capsys):
    if not _broker_up():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (start mosquitto)")
    device = f"nm-cli-{uuid.uuid4().hex[:10]}"
    from jingzhi.core.mqtt import client_for

    try:
        code, printed, err = _meter_json(
            capsys, str(wav), "--fullscale-db", "100", "--device", device, "--mqtt-url", MQTT_URL, "--json"
        )
    finally:
        # Leave nothing on the shared broker: end the meter's persistent session, clear its retained status.
        cleanup, connect = client_for(MQTT_URL, client_id=f"jingzhi-noise-{device}")
        cleanup.connect(**connect)
        cleanup.loop_start()
        cleanup.publish(f"jingzhi/v1/{device}/status", b"", qos=1, retain=True).wait_for_publish(2)
        cleanup.disconnect()
        cleanup.loop_stop()
    assert code == 0, err
    assert len(printed) == 5 and all(math.isfinite(d["payload"]["laeq"]) for d in printed)


def test_a_long_run_replaces_its_meter_at_a_second_boundary(wav, monkeypatch):
    from jingzhi.acoustics import publish

    reference = _levels(str(wav))
    monkeypatch.setattr(publish, "METER_ROLLOVER_S", 2)  # every 2 s instead of every hour
    collect = Collect()
    run = run_meter(open_source(str(wav), start_time=START_EPOCH), CONFIG, "nm-roll", collect)
    assert run.seconds == 5 and run.segments == 1
    assert [d["event_id"] for d in collect.documents] == [f"nm-{START_EPOCH}-{i}" for i in range(5)]
    assert [d["payload"]["laeq"] for d in collect.documents] == pytest.approx(reference, abs=0.02)
    times = [datetime.fromisoformat(d["occurred_at"]).timestamp() for d in collect.documents]
    assert times == [START_EPOCH + i for i in range(5)]
