"""The camera worker (``vision run``) against a fake platform speaking the worker contract over HTTP."""

from __future__ import annotations

import email.parser
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from jingzhi.sensing.contract import parse_event
from jingzhi.vision.cli import main
from jingzhi.vision.synth import ThrowSpec
from jingzhi.vision.worker import Worker

from .conftest import Clip, render_clip

TOKEN = "worker-secret"


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, data)."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in msg.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        parts[name] = (part.get_filename(), part.get_content_type(), data)
    return parts


class FakePlatform:
    """The platform side of the worker contract, recording what the worker sends."""

    def __init__(self, cameras: list[dict[str, Any]], *, port: int = 0, lease_s: float = 60.0) -> None:
        self.cameras = cameras
        self.lease_s = lease_s
        self.port = port
        self.leases = 0
        self.events: list[tuple[dict[str, Any], tuple[str | None, str, bytes] | None]] = []
        self.clips: list[dict[str, Any]] = []
        self.snapshots: list[tuple[str, str, bytes]] = []
        self.releases: list[list[str]] = []
        self.bad_auth = 0
        self.files: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakePlatform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                data = platform.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "video/mp2t")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with platform.lock:
                    if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                        platform.bad_auth += 1
                        self._answer(401, {"code": "bad_token"})
                        return
                    platform.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handle(self, req: Any, body: bytes) -> None:
        path = req.path
        ctype = req.headers.get("Content-Type", "")
        if path == "/api/v1/vision/lease":
            assert json.loads(body) == {"max_cameras": 4}
            self.leases += 1
            expires = datetime.now(UTC).isoformat()
            req._answer(200, {"lease_s": self.lease_s, "cameras": [{**c, "expires_at": expires} for c in self.cameras]})
        elif path == "/api/v1/vision/release":
            self.releases.append(json.loads(body)["devices"])
            req._answer(200, {"released": len(self.releases[-1])})
        elif path.startswith("/api/v1/vision/snapshot/"):
            _filename, content_type, data = _multipart(ctype, body)["image"]
            self.snapshots.append((path.rsplit("/", 1)[1], content_type, data))
            req._answer(200, {"status": "stored"})
        elif path == "/api/v1/ingest/events":
            parts = _multipart(ctype, body)
            doc = json.loads(parts["event"][2])
            if any(e[0]["event_id"] == doc["event_id"] for e in self.events):
                req._answer(200, {"status": "duplicate"})
                return
            self.events.append((doc, parts.get("media")))
            req._answer(201, {"status": "stored", "event": len(self.events), "case": len(self.events)})
        elif path == "/api/v1/ingest/clips":
            parts = _multipart(ctype, body)
            fields = {k: v[2].decode() for k, v in parts.items() if v[0] is None}
            if not any(e[0]["event_id"] == fields["event_id"] for e in self.events):
                req._answer(404, {"code": "unknown_event"})
                return
            self.clips.append({**fields, "clip": parts["clip"]})
            req._answer(201, {"status": "stored"})
        else:
            req._answer(404, {"code": "not_found"})


def wait_for(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def throw_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    # A bottle from floor 5, column 2, released 3.2 s into a 6 s clip: room for the 3 s pre-roll.
    return render_clip(
        tmp_path_factory.mktemp("worker"),
        seed=5,
        duration_s=6.0,
        throws=[ThrowSpec(kind="bottle", floor=5, column=2, release_s=3.2, luma=30.0)],
    )


def camera(clip: Clip, source: str | None = None, device: str = "cam-1") -> dict[str, Any]:
    return {"device": device, "source": source or str(clip.video), "facade": json.loads(clip.facade.read_text())}


@pytest.fixture
def platform(throw_clip: Clip) -> Iterator[FakePlatform]:
    fake = FakePlatform([camera(throw_clip)]).start()
    yield fake
    fake.stop()


def check_delivery(platform: FakePlatform, clip: Clip) -> None:
    truth = json.loads(clip.truth.read_text())["throws"][0]
    assert platform.bad_auth == 0
    assert len(platform.events) >= 1
    doc, media = platform.events[0]
    event = parse_event(doc, now=datetime.now(UTC))  # the contract's own validation
    assert event.type == "throw.detected" and event.device == "cam-1"
    assert event.event_id.startswith("vw-cam-1-")
    assert abs(event.payload["floor"] - truth["floor"]) <= 1 and event.payload["column"] == truth["column"]
    assert 0 < event.payload["confidence"] <= 1 and len(event.payload["track"]) >= 8
    # Reported on the alarm, while the object was still falling (not when its track ended).
    assert event.payload["track"][-1][0] < truth["trajectory"][-1][0] - 0.2
    assert abs((datetime.now(UTC) - event.occurred_at).total_seconds()) < 30
    # The picture: a JPEG of the alarm frame with the trajectory drawn (in colour on the grey frame).
    assert media is not None and media[1] == "image/jpeg" and media[2][:2] == b"\xff\xd8"
    img = cv2.imdecode(np.frombuffer(media[2], np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (360, 640, 3)
    red = (img[:, :, 2].astype(int) - img[:, :, 1].astype(int)) > 80
    assert red.sum() > 20
    # A reference frame for calibration.
    assert platform.snapshots and platform.snapshots[0][:2] == ("cam-1", "image/jpeg")
    assert platform.snapshots[0][2][:2] == b"\xff\xd8"
    # The clip: H.264 MP4 from 3 s before the release to 2 s after the alarm (or the end of the video).
    clip_post = next(c for c in platform.clips if c["event_id"] == event.event_id)
    assert clip_post["device"] == "cam-1"
    _, content_type, data = clip_post["clip"]
    assert content_type == "video/mp4" and len(data) < 16 * 1024 * 1024
    path = Path(clip.video).parent / f"got-{event.event_id}.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        times = [float(f.time) for f in container.decode(stream) if f.time is not None]
    duration = times[-1] - times[0]
    # release at 3.2 s -> from ~0.2 s to the end of the 6 s video (the post-roll runs past it)
    assert duration >= 3.0 + 1.5 and duration <= 6.0
    assert len(times) >= int(duration * 25) - 2


def test_once_posts_event_picture_and_clip_then_releases(platform: FakePlatform, throw_clip: Clip) -> None:
    args = ["run", "--url", platform.url, "--token", TOKEN, "--name", "test", "--fast", "--once"]
    threads = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        assert main(args) == 0
        # One core per camera thread: OpenCV's own pool is switched off, as in the benchmark.
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(threads)
    check_delivery(platform, throw_clip)
    assert len(platform.events) == 1 and len(platform.clips) == 1
    assert platform.releases == [["cam-1"]]


def test_bad_token_exits_1(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--url", platform.url, "--token", "wrong", "--fast", "--once"]) == 1
    assert "token" in capsys.readouterr().err
    assert platform.bad_auth == 1 and platform.releases == [] and platform.events == []


def test_missing_token_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JINGZHI_WORKER_TOKEN", raising=False)
    assert main(["run", "--url", "http://127.0.0.1:9"]) == 2
    assert "JINGZHI_WORKER_TOKEN" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_platform_down_at_first_is_retried(throw_clip: Clip, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINGZHI_WORKER_TOKEN", TOKEN)  # the token from the environment
    port = _free_port()
    fake = FakePlatform([camera(throw_clip)], port=port)
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(main(["run", "--url", fake.url, "--fast", "--once"])), daemon=True
    )
    runner.start()
    time.sleep(0.6)  # the first lease meets a refused connection
    assert fake.leases == 0 and runner.is_alive()
    fake.start()
    try:
        runner.join(20)
        assert result == [0]
        check_delivery(fake, throw_clip)
        assert fake.releases == [["cam-1"]]
    finally:
        fake.stop()


def _worker_thread(worker: Worker, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    return thread


def test_dropped_and_expired_leases_stop_the_camera(throw_clip: Clip) -> None:
    fake = FakePlatform([camera(throw_clip)], lease_s=1.5).start()  # renewed every 0.5 s
    # Real-time pacing: the 6 s file is still playing when the lease goes.
    worker = Worker(fake.url, TOKEN, name="t", retry_initial_s=0.2, retry_max_s=0.5, drain_s=2.0)
    stop = threading.Event()
    thread = _worker_thread(worker, stop)
    try:
        wait_for(lambda: bool(fake.snapshots))
        assert set(worker.cameras) == {"cam-1"}
        running = worker.cameras["cam-1"]
        fake.cameras = []  # the platform gives the camera to someone else
        wait_for(lambda: not running.is_alive(), 5.0)
        assert worker.cameras == {}
        fake.cameras = [camera(throw_clip)]  # and back to us
        wait_for(lambda: "cam-1" in worker.cameras and worker.cameras["cam-1"].is_alive(), 5.0)
        running = worker.cameras["cam-1"]
        began = time.monotonic()  # the last renewal was at most 0.5 s before
        fake.stop()  # the platform goes away: the lease runs out locally 1.5 s after the last renewal
        wait_for(lambda: not running.is_alive(), 5.0)
        assert 0.8 < time.monotonic() - began < 4.0
        assert worker.held == {}
    finally:
        stop.set()
        thread.join(10)
        fake.stop()
    assert not thread.is_alive()


def _as_mpegts(src: Path) -> bytes:
    out = src.parent / "scene.ts"
    with av.open(str(src)) as inp, av.open(str(out), mode="w", format="mpegts") as dst:
        stream = inp.streams.video[0]
        ostream = dst.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            dst.mux(packet)
    return out.read_bytes()


def test_http_stream_source(throw_clip: Clip) -> None:
    fake = FakePlatform([]).start()
    fake.files["/live.ts"] = _as_mpegts(throw_clip.video)
    fake.cameras = [camera(throw_clip, source=f"{fake.url}/live.ts")]
    worker = Worker(fake.url, TOKEN, name="t", retry_initial_s=0.5, drain_s=5.0)
    stop = threading.Event()
    thread = _worker_thread(worker, stop)
    try:
        wait_for(lambda: bool(fake.clips))
    finally:
        stop.set()
        thread.join(15)
        fake.stop()
    assert not thread.is_alive()
    check_delivery(fake, throw_clip)
    assert fake.releases == [["cam-1"]]
