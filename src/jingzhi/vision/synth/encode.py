"""H.264 encoding of grey frames through PyAV (libx264), at camera-like bitrates."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

# 4 Mbps at 1080p25 is the upper camera bitrate in the brief; smaller test frames get the same bits
# per pixel so that the codec damages small objects as much as it would on a real camera.
REFERENCE_BITS_PER_PIXEL = 4_000_000 / (1920 * 1080 * 25)


def equivalent_bitrate(width: int, height: int, fps: float, mbps_at_1080p25: float = 4.0) -> int:
    return int(REFERENCE_BITS_PER_PIXEL * (mbps_at_1080p25 / 4.0) * width * height * fps)


def encode_h264(
    frames: Iterable[npt.NDArray[np.uint8]],
    path: str | Path,
    *,
    width: int,
    height: int,
    fps: float,
    bitrate: int,
    gop: int = 50,
) -> int:
    """Write grey frames as yuv420p H.264 (flat chroma) to an MP4; returns the frame count."""
    if width % 2 or height % 2:
        raise ValueError("H.264 yuv420p needs even width and height")
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.gop_size = gop
        # Cameras use CBR-like rate control without B-frames; 'veryfast' is what edge encoders resemble.
        stream.options = {
            "preset": "veryfast",
            "bf": "0",
            "maxrate": str(bitrate),
            "bufsize": str(bitrate),
            "threads": "1",
        }
        yuv = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
        for frame in frames:
            yuv[:height] = frame
            vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            vf.pts = count
            vf.time_base = 1 / rate
            for packet in stream.encode(vf):
                container.mux(packet)
            count += 1
        for packet in stream.encode(None):
            container.mux(packet)
    return count
