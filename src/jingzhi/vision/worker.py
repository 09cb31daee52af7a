"""The camera worker (``jingzhi vision run``): lease cameras from the platform, watch them for thrown objects.

One worker process serves up to ``max_cameras`` cameras, one thread each:

- **Leases.** ``POST /api/v1/vision/lease`` every ``lease_s / 3`` seconds renews this worker's
  cameras and may add or drop some; dropped cameras are stopped, new ones started. When the
  platform cannot be reached, the cameras keep running and the call is retried with backoff; a
  camera whose lease was not renewed for ``lease_s`` seconds is stopped (another worker takes it
  over). ``401`` means a bad token: the worker stops (:class:`AuthError`).
- **Decoding.** File sources are read with :func:`jingzhi.vision.decode.open_luma`, paced to their
  frame rate (``fast=True``: as fast as possible). RTSP/HTTP sources are opened with PyAV for low
  latency (RTSP over TCP, short probe, bounded reordering delay, read timeouts) and reopened with
  backoff when the stream drops.
- **Detection.** Every luma frame goes to a :class:`~jingzhi.vision.throws.ThrowDetector` and into
  a ring buffer of recent frames (pre-roll); the buffer is downscaled to fit ``buffer_mb``. Frames
  are decoded ahead in batches of those that arrive within ``batch_latency_s`` (4 at 25 fps): fewer cache
  misses, 0.12 s more wall-clock delay (:func:`jingzhi.vision.decode.batch_size`).
- **Events.** Each alarm the detector raises (on the frame on which a track first meets the
  physics rules) becomes a ``throw.detected`` event (multipart ``event`` JSON + ``media`` JPEG: the
  frame at the alarm with the trajectory so far and the origin window drawn), posted at once from a
  sender thread. ``occurred_at`` is the wall-clock time at which the
  alarm frame was analysed. The clip (3 s before the release to 2 s after the alarm) is encoded and
  posted to ``/api/v1/ingest/clips`` once its post-roll has been decoded and the event is stored.
- **Snapshots.** A reference frame goes to ``/api/v1/vision/snapshot/<code>`` when a camera starts
  and every ``snapshot_every_s`` seconds, for the calibration page. A camera without a facade
  calibration only sends snapshots.
- **Shutdown.** The senders are drained and the cameras given back (``/api/v1/vision/release``).

Framework-free: no Django; the HTTP client is the standard library's.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import queue
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from jingzhi.sensing.contract import MAX_MEDIA_BYTES, event_document
from jingzhi.vision.config import ThrowConfig
from jingzhi.vision.decode import (
    BATCH_LATENCY_S,
    FrameClock,
    VideoError,
    VideoInfo,
    batch_size,
    luma_view,
    open_luma,
    read_ahead,
)
from jingzhi.vision.facade import Facade, FacadeCalibration
from jingzhi.vision.throws import ThrowDetector, ThrowEvent

U8 = npt.NDArray[np.uint8]

log = logging.getLogger(__name__)

__all__ = [
    "AuthError",
    "CameraLease",
    "LeaseAnswer",
    "PlatformClient",
    "PlatformUnavailable",
    "Response",
    "Worker",
    "alarm_image",
    "encode_clip",
    "is_stream",
    "open_stream",
]

#: Largest clip the platform accepts.
MAX_CLIP_BYTES = 16 * 1024 * 1024
#: URL schemes opened as live streams (anything else is a file path; ``file://`` is stripped).
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "rtmps://", "http://", "https://", "udp://", "tcp://", "srt://")
#: Demuxer options for live streams: a short probe (1 s) and at most 0.5 s of packet reordering.
#: (``fflags=nobuffer`` would drop the packets read while probing: frames lost at every reconnect.)
STREAM_OPTIONS = {
    "analyzeduration": "1000000",
    "probesize": "1000000",
    "max_delay": "500000",
}


class AuthError(RuntimeError):
    """The platform refused the worker token (HTTP 401)."""


class PlatformUnavailable(RuntimeError):
    """The platform could not be reached or answered with an error that may pass (5xx, unexpected status)."""


# -- the platform API ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def excerpt(self) -> str:
        return self.body[:300].decode("utf-8", "replace")


@dataclass(frozen=True)
class CameraLease:
    """One camera as the lease call describes it (``facade`` is None until it is calibrated)."""

    device: str
    source: str
    facade: FacadeCalibration | None
    expires_at: str = ""
    facade_error: str = ""


@dataclass(frozen=True)
class LeaseAnswer:
    lease_s: float
    cameras: tuple[CameraLease, ...]


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


def _multipart(fields: dict[str, str], files: Sequence[FilePart]) -> tuple[bytes, str]:
    boundary = f"jingzhi-{uuid.uuid4().hex}"
    out: list[bytes] = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.append(value.encode("utf-8") + b"\r\n")
    for part in files:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{part.name}"; filename="{part.filename}"\r\n'
            f"Content-Type: {part.content_type}\r\n\r\n"
        )
        out.extend([head.encode(), part.data, b"\r\n"])
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class PlatformClient:
    """The worker's calls to the platform, with ``Authorization: Bearer <token>`` on each."""

    def __init__(self, url: str, token: str, *, name: str = "", timeout_s: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"platform URL must start with http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self.token = token
        self.name = name
        self.timeout_s = timeout_s

    def post(self, path: str, body: bytes, content_type: str) -> Response:
        """POST ``body``; any HTTP answer is returned, a transport failure raises :class:`PlatformUnavailable`."""
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": content_type,
            "User-Agent": f"jingzhi-vision-worker/{self.name or '-'}",
        }
        # The scheme is checked in __init__ (http/https only).
        req = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
                return Response(resp.status, resp.read())
        except urllib.error.HTTPError as exc:
            try:
                data = exc.read()
            except OSError:
                data = b""
            return Response(exc.code, data)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise PlatformUnavailable(f"{self.url}{path}: {reason}") from exc

    def post_json(self, path: str, obj: Any) -> Response:
        return self.post(path, json.dumps(obj).encode(), "application/json")

    def post_multipart(self, path: str, fields: dict[str, str], files: Sequence[FilePart]) -> Response:
        body, content_type = _multipart(fields, files)
        return self.post(path, body, content_type)

    def lease(self, max_cameras: int) -> LeaseAnswer:
        resp = self.post_json("/api/v1/vision/lease", {"max_cameras": max_cameras})
        if resp.status == 401:
            raise AuthError(f"the platform refused the worker token: {resp.excerpt()}")
        if resp.status != 200:
            raise PlatformUnavailable(f"lease answered {resp.status}: {resp.excerpt()}")
        try:
            data = resp.json()
            lease_s = float(data.get("lease_s", 60))
            raw = data.get("cameras") or []
        except (ValueError, AttributeError, TypeError) as exc:
            raise PlatformUnavailable(f"lease answer is not the expected JSON: {exc}") from exc
        cameras: list[CameraLease] = []
        for item in raw:
            if not isinstance(item, dict) or not item.get("device"):
                log.warning("ignoring a malformed camera in the lease answer: %r", item)
                continue
            facade: FacadeCalibration | None = None
            error = ""
            if item.get("facade"):
                try:
                    facade = FacadeCalibration.model_validate(item["facade"])
                except ValidationError as exc:
                    error = str(exc).splitlines()[0]
            cameras.append(
                CameraLease(
                    device=str(item["device"]),
                    source=str(item.get("source") or ""),
                    facade=facade,
                    expires_at=str(item.get("expires_at") or ""),
                    facade_error=error,
                )
            )
        return LeaseAnswer(lease_s=max(lease_s, 1.0), cameras=tuple(cameras))

    def release(self, devices: Sequence[str]) -> Response:
        return self.post_json("/api/v1/vision/release", {"devices": list(devices)})

    def snapshot(self, device: str, jpeg: bytes) -> Response:
        return self.post_multipart(
            f"/api/v1/vision/snapshot/{device}", {}, [FilePart("image", f"{device}.jpg", "image/jpeg", jpeg)]
        )

    def event(self, document: dict[str, Any], jpeg: bytes | None) -> Response:
        files = [FilePart("media", "alarm.jpg", "image/jpeg", jpeg)] if jpeg else []
        return self.post_multipart("/api/v1/ingest/events", {"event": json.dumps(document)}, files)

    def clip(self, device: str, event_id: str, mp4: bytes) -> Response:
        return self.post_multipart(
            "/api/v1/ingest/clips",
            {"device": device, "event_id": event_id},
            [FilePart("clip", f"{event_id}.mp4", "video/mp4", mp4)],
        )


# -- sources -------------------------------------------------------------------------------------
def is_stream(source: str) -> bool:
    return source.lower().startswith(STREAM_SCHEMES)


def _file_path(source: str) -> str:
    return source[len("file://") :] if source.startswith("file://") else source


def open_stream(url: str, *, timeout_s: float = 10.0) -> tuple[VideoInfo, Iterator[tuple[float, U8]]]:
    """Open a live stream (RTSP, HTTP, …) for low latency; returns geometry and (seconds, luma) frames.

    Times come from the stream's timestamps, from 0 at the first frame, forced to increase.
    Raises :class:`VideoError` when the stream cannot be opened; the iterator raises it on a drop.
    """
    options = dict(STREAM_OPTIONS)
    if url.lower().startswith(("rtsp://", "rtsps://")):
        options["rtsp_transport"] = "tcp"
    try:
        container = av.open(url, options=options, timeout=(timeout_s, timeout_s))
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot open stream {url}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"no video stream in {url}")
    stream = container.streams.video[0]
    stream.codec_context.thread_count = 1
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 25.0
    if not 1.0 <= fps <= 120.0:
        fps = 25.0
    info = VideoInfo(width=stream.codec_context.width, height=stream.codec_context.height, fps=fps)

    def frames() -> Iterator[tuple[float, U8]]:
        first: float | None = None
        clock = FrameClock(fps, max_jump_s=10.0)  # missing, repeated or jumping timestamps
        start_wall = time.monotonic()
        try:
            for frame in container.decode(stream):
                ft = frame.time
                if ft is None:
                    ft = time.monotonic() - start_wall
                if first is None:
                    first = ft
                t = clock(ft - first)
                buf = luma_view(frame)
                yield t, buf
        except av.FFmpegError as exc:
            raise VideoError(f"stream {url} dropped: {exc}") from exc
        finally:
            container.close()

    return info, frames()


# -- pictures and clips --------------------------------------------------------------------------
def _jpeg(image: npt.NDArray[np.uint8], quality: int = 85, limit: int = MAX_MEDIA_BYTES) -> bytes:
    """JPEG under ``limit`` bytes (lower quality, then smaller, until it fits)."""
    img = image
    q = quality
    while True:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
            raise ValueError("JPEG encoding failed")
        data = buf.tobytes()
        if len(data) < limit:
            return data
        if q > 40:
            q -= 15
        else:
            size = (max(1, img.shape[1] // 2), max(1, img.shape[0] // 2))
            img = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def cell_quad(facade: Facade, floor: int, column: int) -> npt.NDArray[np.float64]:
    """Image outline (TL, TR, BR, BL) of the window cell at ``floor``/``column``."""
    cal = facade.calibration
    w = cal.width_m / cal.columns
    u0, u1 = (column - 1) * w, column * w
    v0, v1 = (floor - 1) * cal.floor_height_m, floor * cal.floor_height_m
    return facade.to_image([[u0, v1], [u1, v1], [u1, v0], [u0, v0]])


def alarm_image(frame: U8, event: ThrowEvent, facade: Facade, scale: float = 1.0) -> bytes:
    """The alarm frame as JPEG: trajectory in red, the origin window outlined in yellow, a label.

    ``frame`` may be a downscaled copy of the analysed frame (``scale`` = its size / analysed size).
    """
    img = np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    thick = max(1, round(min(img.shape[:2]) / 300))
    quad = np.round(cell_quad(facade, event.floor, event.column) * scale).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [quad], True, (0, 230, 255), thick + 1, cv2.LINE_AA)
    if event.track:
        pts = np.array([[x, y] for _, x, y in event.track], dtype=np.float64) * scale
        poly = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(img, [poly], False, (0, 0, 255), thick, cv2.LINE_AA)
        cv2.circle(img, (int(poly[0, 0, 0]), int(poly[0, 0, 1])), 2 * thick + 1, (0, 0, 255), thick, cv2.LINE_AA)
    x, y = quad[:, 0, 0].min(), quad[:, 0, 1].min()
    label = f"floor {event.floor} / column {event.column}  {event.confidence:.2f}"
    org = (int(max(2, x)), int(max(14 * thick, y - 4 * thick)))
    font_scale = 0.4 * thick
    cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 230, 255), thick, cv2.LINE_AA)
    return _jpeg(img)


def encode_clip(frames: Sequence[tuple[float, U8]], fps: float, *, max_bytes: int = MAX_CLIP_BYTES) -> bytes:
    """H.264 MP4 of grey frames (seconds, luma): yuv420p with the luma as Y and neutral chroma (128).

    The worker keeps only the luma plane of the camera (that is all the detector reads), so the clip
    is black and white. Frame times keep their spacing on a ``1/fps`` time base; the bitrate is
    lowered until the file fits ``max_bytes``.
    """
    if not frames:
        raise ValueError("no frames to encode")
    h, w = frames[0][1].shape
    h2, w2 = h - h % 2, w - w % 2
    rate = Fraction(fps).limit_denominator(1001)
    bitrate = int(min(4_000_000, max(500_000, 0.1 * w2 * h2 * fps)))
    while True:
        with tempfile.TemporaryDirectory(prefix="jingzhi-clip-") as tmp:
            path = Path(tmp) / "clip.mp4"
            with av.open(str(path), mode="w") as container:
                stream = container.add_stream("libx264", rate=rate)
                stream.width = w2
                stream.height = h2
                stream.pix_fmt = "yuv420p"
                stream.bit_rate = bitrate
                stream.options = {
                    "preset": "veryfast",
                    "bf": "0",
                    "maxrate": str(bitrate),
                    "bufsize": str(2 * bitrate),
                    "threads": "1",
                }
                yuv = np.full((h2 * 3 // 2, w2), 128, dtype=np.uint8)
                t0 = frames[0][0]
                last = -1
                for t, luma in frames:
                    pts = round((t - t0) * float(rate))
                    if pts <= last or luma.shape != (h, w):
                        continue
                    last = pts
                    yuv[:h2] = luma[:h2, :w2]
                    vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                    vf.pts = pts
                    vf.time_base = 1 / rate
                    for packet in stream.encode(vf):
                        container.mux(packet)
                for packet in stream.encode(None):
                    container.mux(packet)
            data = path.read_bytes()
        if len(data) <= max_bytes or bitrate <= 100_000:
            return data
        bitrate = max(100_000, int(bitrate * 0.5 * max_bytes / len(data)))


# -- per-camera processing -----------------------------------------------------------------------
@dataclass
class _Delivery:
    """Whether an event reached the platform (the clip waits for it)."""

    done: threading.Event = field(default_factory=threading.Event)
    stored: bool = False


@dataclass
class _PendingClip:
    event_id: str
    start_t: float
    end_t: float
    delivery: _Delivery


@dataclass(frozen=True)
class _Buffered:
    t: float
    wall: float
    luma: U8  # possibly downscaled by the session's ``scale``


class _Session:
    """One continuous run of frames from a source (a file, or a stream until it drops)."""

    def __init__(self, camera: _Camera, info: VideoInfo) -> None:
        worker = camera.worker
        self.camera = camera
        self.worker = worker
        self.fps = info.fps
        self.detector = (
            ThrowDetector(camera.facade, (info.height, info.width), info.fps, worker.config)
            if camera.facade is not None
            else None
        )
        # Long enough for the clip: the pre-roll before the release, the fall until the alarm (at most
        # ``max_track_s``) and the post-roll after it.
        self.buffer_s = worker.pre_roll_s + worker.post_roll_s + worker.max_track_s
        n = max(1, math.ceil(self.buffer_s * info.fps))
        full = n * info.width * info.height
        self.scale = min(1.0, math.sqrt(worker.buffer_mb * 1024 * 1024 / full)) if full else 1.0
        self.size = (max(2, round(info.width * self.scale / 2) * 2), max(2, round(info.height * self.scale / 2) * 2))
        if self.scale < 1.0:
            log.info(
                "%s: pre-roll buffer holds %.0f s at %dx%d (scaled to fit %d MB)",
                camera.device,
                self.buffer_s,
                *self.size,
                worker.buffer_mb,
            )
        self.ring: deque[_Buffered] = deque(maxlen=n)
        self.pending: list[_PendingClip] = []

    def feed(self, t: float, luma: U8) -> None:
        if self.detector is None:
            return  # not calibrated yet: reference frames only
        wall = time.time()
        if self.scale < 1.0:
            frame = luma
            small = np.asarray(cv2.resize(luma, self.size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        else:
            frame = np.ascontiguousarray(luma).copy()
            small = frame
        self.ring.append(_Buffered(t, wall, small))
        # Report on the alarm (the frame the rule is met on), not when the track ends: the completed
        # events that ``process`` returns belong to alarms already reported.
        self.detector.process(frame, t)
        for alarm in self.detector.take_alarms():
            self._on_throw(alarm)
        self._flush_clips(t)

    def close(self) -> None:
        """End of the source (or the camera stops): post the clips still waiting, shortened."""
        if self.detector is not None:
            self.detector.finish()
        self._flush_clips(None)

    def _at(self, t: float) -> _Buffered:
        return min(self.ring, key=lambda b: abs(b.t - t))

    def _on_throw(self, ev: ThrowEvent) -> None:
        camera = self.camera
        assert camera.facade is not None
        alarm = self._at(ev.alarm_s)
        event_id = camera.new_event_id(alarm.wall)
        try:
            jpeg: bytes | None = alarm_image(alarm.luma, ev, camera.facade, self.scale)
        except (cv2.error, ValueError):
            log.exception("%s: cannot draw the alarm picture", camera.device)
            jpeg = None
        payload: dict[str, Any] = {
            "floor": ev.floor,
            "column": ev.column,
            "confidence": round(float(ev.confidence), 3),
            "track": ev.as_json()["track"],
            "worker": self.worker.name,
        }
        document = event_document(
            event_id=event_id,
            device=camera.device,
            type="throw.detected",
            occurred_at=datetime.fromtimestamp(alarm.wall, UTC),
            payload=payload,
        )
        log.info(
            "%s: throw from floor %d column %d (confidence %.2f), event %s",
            camera.device,
            ev.floor,
            ev.column,
            ev.confidence,
            event_id,
        )
        delivery = _Delivery()
        self.worker.send_event(camera.device, document, jpeg, delivery)
        start = min(ev.release_s, ev.start_s) - self.worker.pre_roll_s
        self.pending.append(_PendingClip(event_id, start, ev.alarm_s + self.worker.post_roll_s, delivery))

    def _flush_clips(self, now: float | None) -> None:
        keep: list[_PendingClip] = []
        for clip in self.pending:
            if now is not None and now < clip.end_t:
                keep.append(clip)
                continue
            frames = [(b.t, b.luma) for b in self.ring if clip.start_t <= b.t <= clip.end_t]
            if frames:
                self.worker.send_clip(self.camera.device, clip.event_id, frames, self.fps, clip.delivery)
        self.pending = keep


class _Camera(threading.Thread):
    """Decodes one camera and runs the detector on it until stopped or (for a file) its end."""

    def __init__(self, lease: CameraLease, worker: Worker) -> None:
        super().__init__(name=f"camera-{lease.device}", daemon=True)
        self.lease = lease
        self.device = lease.device
        self.worker = worker
        self.facade = Facade(lease.facade) if lease.facade is not None else None
        self.stop_event = threading.Event()
        self._next_snapshot = 0.0
        self._ids: deque[str] = deque(maxlen=256)
        self.frames = 0
        self.failed = False

    def stop(self) -> None:
        self.stop_event.set()

    def new_event_id(self, wall: float) -> str:
        ms = int(wall * 1000)
        while f"vw-{self.device}-{ms}" in self._ids:
            ms += 1
        event_id = f"vw-{self.device}-{ms}"
        self._ids.append(event_id)
        return event_id

    def run(self) -> None:
        try:
            if is_stream(self.lease.source):
                self._run_stream()
            else:
                self._run_file()
        except Exception:
            self.failed = True
            log.exception("%s: camera thread failed", self.device)
        finally:
            log.info("%s: stopped after %d frames", self.device, self.frames)

    def _run_file(self) -> None:
        path = _file_path(self.lease.source)
        try:
            info, frames = open_luma(path)
        except VideoError as exc:
            self.failed = True
            log.error("%s: %s", self.device, exc)
            return
        log.info("%s: reading %s (%dx%d @ %.2f fps)", self.device, path, info.width, info.height, info.fps)
        self._consume(info, frames, paced=not self.worker.fast)
        log.info("%s: end of %s", self.device, path)

    def _run_stream(self) -> None:
        url = self.lease.source
        delay = self.worker.retry_initial_s
        while not self.stop_event.is_set():
            began = time.monotonic()
            try:
                info, frames = open_stream(url, timeout_s=self.worker.timeout_s)
                log.info("%s: streaming %dx%d @ %.2f fps", self.device, info.width, info.height, info.fps)
                self._consume(info, frames, paced=False)
                if self.stop_event.is_set():
                    return
                log.warning("%s: stream ended", self.device)
            except VideoError as exc:
                log.warning("%s: %s", self.device, exc)
            if time.monotonic() - began > 60.0:
                delay = self.worker.retry_initial_s  # it ran for a while: start the backoff again
            log.info("%s: reconnecting in %.1f s", self.device, delay)
            if self.stop_event.wait(delay):
                return
            delay = min(delay * 2.0, self.worker.retry_max_s)

    def _consume(self, info: VideoInfo, frames: Iterator[tuple[float, U8]], *, paced: bool) -> None:
        session = _Session(self, info)
        t0: float | None = None
        m0 = 0.0
        try:
            # Decoded a few at a time, then analysed (``decode.read_ahead``: fewer cache misses).
            for t, luma in read_ahead(frames, batch_size(info.fps, self.worker.batch_latency_s)):
                if self.stop_event.is_set():
                    break
                if paced:
                    if t0 is None:
                        t0, m0 = t, time.monotonic()
                    ahead = (t - t0) - (time.monotonic() - m0)
                    if ahead > 0 and self.stop_event.wait(ahead):
                        break
                self.frames += 1
                self._maybe_snapshot(luma)
                session.feed(t, luma)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
            session.close()

    def _maybe_snapshot(self, luma: U8) -> None:
        now = time.monotonic()
        if now < self._next_snapshot:
            return
        self._next_snapshot = now + self.worker.snapshot_every_s
        self.worker.send_snapshot(self.device, _jpeg(np.ascontiguousarray(luma), 90))


# -- sending -------------------------------------------------------------------------------------
class _Outbox:
    """A sender thread working through queued jobs in order."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        with self._cond:
            self._pending += 1
        self._queue.put(job)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("sending failed")
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def drain(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)


# -- the worker ----------------------------------------------------------------------------------
class Worker:
    """Leases cameras from the platform at ``url`` and runs one detector thread per camera.

    ``fast``: file sources as fast as they decode instead of at their frame rate. ``once``: take the
    cameras of the first lease, process each file source to its end, post everything, release
    and return (stream sources are not started in this mode).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        name: str = "",
        max_cameras: int = 4,
        timeout_s: float = 10.0,
        fast: bool = False,
        once: bool = False,
        config: ThrowConfig | None = None,
        pre_roll_s: float = 3.0,
        post_roll_s: float = 2.0,
        max_track_s: float = 8.0,
        buffer_mb: int = 256,
        snapshot_every_s: float = 600.0,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 30.0,
        deliver_for_s: float = 900.0,
        drain_s: float = 60.0,
        batch_latency_s: float = BATCH_LATENCY_S,
    ) -> None:
        self.client = PlatformClient(url, token, name=name, timeout_s=timeout_s)
        self.name = name
        self.max_cameras = max_cameras
        self.timeout_s = timeout_s
        self.fast = fast
        self.once = once
        self.config = config
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.max_track_s = max_track_s
        self.buffer_mb = buffer_mb
        self.snapshot_every_s = snapshot_every_s
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.deliver_for_s = deliver_for_s
        self.drain_s = drain_s
        self.batch_latency_s = batch_latency_s
        self.cameras: dict[str, _Camera] = {}
        self.held: dict[str, float] = {}  # device -> local (monotonic) lease expiry
        self._stopping: list[_Camera] = []
        self._abort = threading.Event()
        self._events: _Outbox | None = None
        self._clips: _Outbox | None = None
        self._first_lease = True
        self._skipped: dict[str, CameraLease] = {}  # leased but not started (no source, or a stream with once)

    # -- main loop -----------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Lease and watch cameras until ``stop`` is set (or, with ``once``, the files are done).

        Raises :class:`AuthError` when the platform refuses the token.
        """
        self._abort.clear()
        self._events = _Outbox("vision-events")
        self._clips = _Outbox("vision-clips")
        release = True
        try:
            self._loop(stop)
        except AuthError:
            release = False
            raise
        finally:
            self._shutdown(release=release)

    def _loop(self, stop: threading.Event) -> None:
        delay = self.retry_initial_s
        next_lease = 0.0
        leased = False
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_lease:
                try:
                    answer = self.client.lease(self.max_cameras)
                except PlatformUnavailable as exc:
                    log.warning("lease failed (%s); retrying in %.1f s", exc, delay)
                    next_lease = now + delay
                    delay = min(delay * 2.0, self.retry_max_s)
                else:
                    delay = self.retry_initial_s
                    leased = True
                    self._apply(answer, time.monotonic())
                    next_lease = time.monotonic() + answer.lease_s / 3.0
            self._expire(time.monotonic())
            if self.once and leased and not any(c.is_alive() for c in self.cameras.values()):
                log.info("all file sources processed")
                return
            stop.wait(min(0.2, max(0.01, next_lease - time.monotonic())))

    def _apply(self, answer: LeaseAnswer, now: float) -> None:
        listed = {c.device: c for c in answer.cameras}
        for device in list(self.cameras):
            if device not in listed:
                log.info("%s: lease dropped by the platform; stopping", device)
                self._stop_camera(device)
        for device in list(self.held):
            if device not in listed:
                del self.held[device]
        first = self._first_lease
        self._first_lease = False
        for device, lease in listed.items():
            self.held[device] = now + answer.lease_s
            running = self.cameras.get(device)
            if running is not None:
                same = running.lease.source == lease.source and running.lease.facade == lease.facade
                if same and (running.is_alive() or not running.failed or not is_stream(lease.source)):
                    continue
                log.info("%s: %s; restarting", device, "source or calibration changed" if not same else "it failed")
                self._stop_camera(device)
            elif self._skipped.get(device) == lease or (self.once and not first):
                continue  # already logged; --once takes only the cameras of the first lease
            self._start_camera(lease)
        for device in list(self._skipped):
            if device not in listed:
                del self._skipped[device]

    def _start_camera(self, lease: CameraLease) -> None:
        self._skipped.pop(lease.device, None)
        if not lease.source:
            log.warning("%s: leased without a source; not started", lease.device)
            self._skipped[lease.device] = lease
            return
        if self.once and is_stream(lease.source):
            log.info("%s: a live stream is not processed with --once", lease.device)
            self._skipped[lease.device] = lease
            return
        if lease.facade is None:
            why = f" ({lease.facade_error})" if lease.facade_error else ""
            log.warning("%s: no valid facade calibration%s; sending reference frames only", lease.device, why)
        camera = _Camera(lease, self)
        self.cameras[lease.device] = camera
        log.info("%s: starting (%s)", lease.device, lease.source)
        camera.start()

    def _stop_camera(self, device: str) -> None:
        camera = self.cameras.pop(device, None)
        if camera is not None:
            camera.stop()
            self._stopping = [c for c in self._stopping if c.is_alive()]
            self._stopping.append(camera)

    def _expire(self, now: float) -> None:
        for device, until in list(self.held.items()):
            if now > until:
                log.warning("%s: lease not renewed in time; stopping (another worker takes it over)", device)
                del self.held[device]
                self._stop_camera(device)

    def _shutdown(self, *, release: bool) -> None:
        for device in list(self.cameras):
            self._stop_camera(device)
        for camera in self._stopping:
            camera.join(self.timeout_s + 5.0)
        self._stopping = []
        drained = all(box.drain(self.drain_s) for box in (self._events, self._clips) if box is not None)
        if not drained:
            log.warning("gave up sending after %.0f s", self.drain_s)
        self._abort.set()
        for box in (self._events, self._clips):
            if box is not None:
                box.close()
        self._events = self._clips = None
        devices = sorted(self.held)
        self.held.clear()
        if release and devices:
            try:
                resp = self.client.release(devices)
                log.info("released %s (%d)", ", ".join(devices), resp.status)
            except PlatformUnavailable as exc:
                log.warning("could not release %s: %s", ", ".join(devices), exc)

    # -- sending -------------------------------------------------------------------------------
    def _deliver(self, what: str, send: Callable[[], Response], *, for_s: float | None = None) -> Response | None:
        """Send until the platform answers (2xx or 4xx), retrying transport failures and 5xx with backoff."""
        deadline = time.monotonic() + (self.deliver_for_s if for_s is None else for_s)
        delay = self.retry_initial_s
        while True:
            try:
                resp = send()
                if resp.status < 500:
                    return resp
                reason = f"HTTP {resp.status}"
            except PlatformUnavailable as exc:
                reason = str(exc)
            if time.monotonic() + delay > deadline or self._abort.is_set():
                log.error("%s: giving up (%s)", what, reason)
                return None
            log.warning("%s failed (%s); retrying in %.1f s", what, reason, delay)
            if self._abort.wait(delay):
                log.error("%s: giving up at shutdown", what)
                return None
            delay = min(delay * 2.0, self.retry_max_s)

    def send_snapshot(self, device: str, jpeg: bytes) -> None:
        def job() -> None:
            resp = self._deliver(f"{device}: snapshot", lambda: self.client.snapshot(device, jpeg), for_s=120.0)
            if resp is not None and not resp.ok:
                log.warning("%s: snapshot refused (%d): %s", device, resp.status, resp.excerpt())

        if self._events is not None:
            self._events.submit(job)

    def send_event(self, device: str, document: dict[str, Any], jpeg: bytes | None, delivery: _Delivery) -> None:
        event_id = document["event_id"]

        def job() -> None:
            try:
                resp = self._deliver(f"{device}: event {event_id}", lambda: self.client.event(document, jpeg))
                if resp is None:
                    return
                if resp.status == 201:
                    delivery.stored = True
                    log.info("%s: event %s stored: %s", device, event_id, resp.excerpt())
                elif resp.status == 200:
                    delivery.stored = True
                    log.info("%s: event %s was already stored", device, event_id)
                else:
                    log.error("%s: event %s rejected (%d): %s", device, event_id, resp.status, resp.excerpt())
            finally:
                delivery.done.set()

        if self._events is not None:
            self._events.submit(job)
        else:
            delivery.done.set()

    def send_clip(
        self, device: str, event_id: str, frames: Sequence[tuple[float, U8]], fps: float, delivery: _Delivery
    ) -> None:
        def job() -> None:
            try:
                mp4 = encode_clip(frames, fps)
            except (av.FFmpegError, ValueError, OSError):
                log.exception("%s: cannot encode the clip of %s", device, event_id)
                return
            # The clip is attached to its event: wait until the event is stored.
            while not delivery.done.wait(0.5):
                if self._abort.is_set():
                    return
            if not delivery.stored:
                log.warning("%s: clip of %s not sent (the event was not stored)", device, event_id)
                return
            resp = self._deliver(f"{device}: clip {event_id}", lambda: self.client.clip(device, event_id, mp4))
            if resp is None:
                return
            if resp.ok:
                log.info(
                    "%s: clip of %s (%.1f s, %d kB) %s",
                    device,
                    event_id,
                    frames[-1][0] - frames[0][0],
                    len(mp4) // 1024,
                    "stored" if resp.status == 201 else "already stored",
                )
            else:
                log.error("%s: clip of %s rejected (%d): %s", device, event_id, resp.status, resp.excerpt())

        if self._clips is not None:
            self._clips.submit(job)
