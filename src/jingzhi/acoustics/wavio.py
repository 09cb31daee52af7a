"""Reading WAV files as float samples in full-scale units, whatever their rate and sample format.

Integer PCM is scaled so that full scale is ±1.0 (int16 by 1/32768, int24 by 1/2^23, int32 by 1/2^31,
as libsndfile does); float WAV samples are taken as they are. A signal of RMS 1.0 therefore reads
``fullscale_db`` on the meter, for every format. Only the first channel of a multichannel file is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile  # type: ignore[import-untyped, unused-ignore]

from ._common import FloatArray

__all__ = ["WavError", "WavInfo", "iter_wav_blocks", "read_wav", "wav_info"]

#: libsndfile major formats that are WAV files (RIFF, WAVE_FORMAT_EXTENSIBLE and the 64-bit RF64).
_WAV_FORMATS = frozenset({"WAV", "WAVEX", "RF64"})


class WavError(ValueError):
    """The file cannot be measured: missing, not a WAV file, or without samples. The message says which."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    """What the header says: rate, length, channels and the sample format (e.g. ``PCM_16``, ``FLOAT``)."""

    path: Path
    sample_rate: int
    frames: int
    channels: int
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def wav_info(path: str | os.PathLike[str]) -> WavInfo:
    """Check that ``path`` is a readable, non-empty WAV file and return its header."""
    p = Path(path)
    if not p.exists():
        raise WavError(f"{p}: no such file")
    if not p.is_file():
        raise WavError(f"{p}: not a regular file")
    if p.stat().st_size == 0:
        raise WavError(f"{p}: the file is empty")
    try:
        info = soundfile.info(str(p))
    except RuntimeError as exc:  # libsndfile cannot parse it (LibsndfileError derives from RuntimeError)
        raise WavError(f"{p}: not a WAV file ({exc})") from exc
    if info.format not in _WAV_FORMATS:
        raise WavError(f"{p}: not a WAV file (it is {info.format_info or info.format})")
    if info.frames <= 0:
        raise WavError(f"{p}: the WAV file contains no samples")
    return WavInfo(
        path=p,
        sample_rate=int(info.samplerate),
        frames=int(info.frames),
        channels=int(info.channels),
        subtype=str(info.subtype),
    )


def read_wav(path: str | os.PathLike[str]) -> tuple[FloatArray, WavInfo]:
    """Read the first channel of a WAV file as float64 samples in full-scale units."""
    info = wav_info(path)
    try:
        data, _ = soundfile.read(str(info.path), dtype="float64", always_2d=True)
    except RuntimeError as exc:  # libsndfile errors (LibsndfileError derives from RuntimeError)
        raise WavError(f"{info.path}: cannot read the samples ({exc})") from exc
    return np.ascontiguousarray(data[:, 0], dtype=np.float64), info


def iter_wav_blocks(path: str | os.PathLike[str], block_frames: int = 65_536) -> tuple[WavInfo, Iterator[FloatArray]]:
    """Header, and an iterator over blocks of the first channel: for files too long to read at once."""
    if block_frames <= 0:
        raise ValueError("block_frames must be positive")
    info = wav_info(path)

    def blocks() -> Iterator[FloatArray]:
        try:
            with soundfile.SoundFile(str(info.path)) as f:
                while True:
                    data = f.read(block_frames, dtype="float64", always_2d=True)
                    if data.shape[0] == 0:
                        return
                    yield np.ascontiguousarray(data[:, 0], dtype=np.float64)
        except RuntimeError as exc:  # libsndfile errors (LibsndfileError derives from RuntimeError)
            raise WavError(f"{info.path}: cannot read the samples ({exc})") from exc

    return info, blocks()
