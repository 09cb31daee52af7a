"""Decoding with PyAV, luma plane only (no colour conversion: it would cost more than the analysis)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


# Frames are decoded a few at a time and then analysed back to back (``read_ahead``), rather than each
# frame as soon as it is decoded. At 1080p a decoded frame (3 MB with its chroma) pushes the
# detector's own state out of the core's caches, and the detector's Python parts (tracker,
# blob bookkeeping) ran 30-100 % slower between decodes than back to back; four frames at a time
# saved 0.2-0.3 ms of detector time a frame, a tenth to a seventh of it (docs/PERFORMANCE.md).
# The price is latency in wall time: the first frame of a batch is analysed this much later. The
# alarm's video time, and so the measured latency from release to alarm, does not change.
BATCH_LATENCY_S = 0.12
MAX_BATCH = 4


def batch_size(fps: float, latency_s: float = BATCH_LATENCY_S) -> int:
    """Frames per analysis batch at ``fps``: as many as arrive within ``latency_s`` after the first
    (4 at 25 fps, 2 at 10 fps, 1 at 5 fps and below), at most ``MAX_BATCH``."""
    if latency_s <= 0 or not math.isfinite(fps) or fps <= 0:
        return 1
    return max(1, min(MAX_BATCH, 1 + int(latency_s * fps + 1e-9)))


def read_ahead(frames: Iterable[tuple[float, U8]], size: int) -> Iterator[tuple[float, U8]]:
    """``frames`` unchanged and in order, but decoded ``size`` at a time: the caller analyses each
    batch of frames back to back, with no decoding between them."""
    batch: list[tuple[float, U8]] = []
    for item in frames:
        batch.append(item)
        if len(batch) >= size:
            yield from batch
            batch = []
    yield from batch


class VideoError(ValueError):
    """The video is missing, unreadable or has no decodable video stream."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float


def luma_view(frame: av.VideoFrame) -> U8:
    """The Y plane of a decoded frame as an H×W array: a view, which keeps the frame's buffer alive."""
    plane = frame.planes[0]
    return np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(frame.height, plane.line_size)[:, : frame.width]


class FrameClock:
    """Frame times made strictly increasing: a time that repeats, steps back or (beyond ``max_jump_s``)
    leaps ahead is replaced by the previous one plus one frame."""

    def __init__(self, fps: float, max_jump_s: float = math.inf) -> None:
        self.step = 1.0 / fps
        self.max_jump_s = max_jump_s
        self.last: float | None = None

    def __call__(self, t: float) -> float:
        if self.last is not None and (t <= self.last or t - self.last > self.max_jump_s):
            t = self.last + self.step
        self.last = t
        return t


def open_luma(path: str | Path, *, threads: int = 1) -> tuple[VideoInfo, Iterator[tuple[float, U8]]]:
    """Open a video; returns its geometry and an iterator of (seconds from start, luma H×W uint8).

    Times increase strictly (a timestamp that repeats or steps back is replaced by the previous one
    plus a frame). Each yielded array is a view of its own decoded frame, valid as long as it is kept.
    """
    p = Path(path)
    if not p.is_file():
        raise VideoError(f"video not found: {p}")
    try:
        container = av.open(str(p))
    except av.FFmpegError as exc:
        raise VideoError(f"cannot open video {p}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"no video stream in {p}")
    stream = container.streams.video[0]
    # One decoding thread by default: throughput is quoted per core, and workers scale by process.
    stream.codec_context.thread_count = threads
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 25.0
    info = VideoInfo(width=stream.codec_context.width, height=stream.codec_context.height, fps=fps)
    if info.width <= 0 or info.height <= 0:
        container.close()
        raise VideoError(f"video stream in {p} has no frame size")

    def frames() -> Iterator[tuple[float, U8]]:
        start: float | None = None
        index = 0
        clock = FrameClock(fps)
        try:
            for frame in container.decode(stream):
                ft = frame.time
                if ft is None:
                    ft = index / fps
                if start is None:
                    # Seconds from the start of the video: the container's start time if known.
                    st = stream.start_time
                    start = float(st * stream.time_base) if st is not None and stream.time_base else ft
                index += 1
                # Repeated or backward timestamps (AVI with packed B-frames) are replaced: the physics
                # needs increasing times, and the frames come in presentation order.
                t = clock(ft - start)
                buf = luma_view(frame)
                yield t, buf
        except av.FFmpegError as exc:
            raise VideoError(f"cannot decode video {p}: {exc}") from exc
        finally:
            container.close()

    return info, frames()
