"""Decoding with PyAV, luma plane only (no colour conversion: it would cost more than the analysis)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


class VideoError(ValueError):
    """The video is missing, unreadable or has no decodable video stream."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float


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
        last = -1.0
        try:
            for frame in container.decode(stream):
                plane = frame.planes[0]
                buf = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(frame.height, plane.line_size)[
                    :, : frame.width
                ]
                ft = frame.time
                if ft is None:
                    ft = index / fps
                if start is None:
                    # Seconds from the start of the video: the container's start time if known.
                    st = stream.start_time
                    start = float(st * stream.time_base) if st is not None and stream.time_base else ft
                index += 1
                t = ft - start
                if t <= last:
                    # Repeated or backward timestamps (AVI with packed B-frames, camera clock steps): the
                    # physics needs increasing times, and the frames come in presentation order.
                    t = last + 1.0 / fps
                last = t
                yield t, buf
        except av.FFmpegError as exc:
            raise VideoError(f"cannot decode video {p}: {exc}") from exc
        finally:
            container.close()

    return info, frames()
