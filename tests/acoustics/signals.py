"""Synthetic test signals with levels known from first principles."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def sine(freq_hz: float, rms: float, seconds: float, rate: int, phase: float = 0.0) -> FloatArray:
    n = round(seconds * rate)
    t = np.arange(n) / rate
    return rms * np.sqrt(2.0) * np.sin(2.0 * np.pi * freq_hz * t + phase)


def rms_for_level(level_db: float, fullscale_db: float) -> float:
    """RMS in full-scale units that reads ``level_db`` on a meter with offset ``fullscale_db``."""
    return float(10.0 ** ((level_db - fullscale_db) / 20.0))


def white_noise(rms: float, seconds: float, rate: int, seed: int = 0) -> FloatArray:
    rng = np.random.default_rng(seed)
    return rms * rng.standard_normal(round(seconds * rate))


def odd_blocks(x: FloatArray, sizes: tuple[int, ...] = (1, 7, 997, 4799, 13, 48_001, 2)) -> list[FloatArray]:
    """Split ``x`` into blocks of awkward sizes, cycling through ``sizes``."""
    blocks, pos, i = [], 0, 0
    while pos < x.size:
        size = sizes[i % len(sizes)]
        blocks.append(x[pos : pos + size])
        pos += size
        i += 1
    return blocks
