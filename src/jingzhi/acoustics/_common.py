"""Small helpers shared by the batch and the streaming paths: types, input checks, sampling grid."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "as_signal", "check_sample_rate", "statistics_sample_count", "statistics_sample_index"]

FloatArray = npt.NDArray[np.float64]


def check_sample_rate(sample_rate: int) -> int:
    """Sample rates are integers (as in every audio file format); reject anything else early."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | np.integer):
        raise TypeError("sample_rate must be an integer number of samples per second")
    rate = int(sample_rate)
    if rate < 1000:
        raise ValueError(f"sample rate {rate} Hz is too low for a sound level meter (at least 1000 Hz)")
    return rate


def as_signal(samples: npt.ArrayLike) -> FloatArray:
    """A one-dimensional float64 copy-free view of ``samples``; NaN or infinity is rejected."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"expected a one-dimensional signal, got shape {x.shape}; pass one channel")
    if not np.all(np.isfinite(x)):
        raise ValueError("the signal contains NaN or infinite samples")
    return x


def statistics_sample_index(k: npt.ArrayLike, sample_rate: int, interval_ms: int) -> npt.NDArray[np.int64]:
    """Index of the k-th (k >= 1) statistics sample: the last sample of the k-th interval.

    Integer arithmetic (k·interval_ms·fs // 1000 - 1) keeps the grid exact at rates such as 11025 Hz
    where an interval is not a whole number of samples, and identical between batch and streaming.
    """
    kk = np.asarray(k, dtype=np.int64)
    return np.asarray(kk * (interval_ms * sample_rate) // 1000 - 1, dtype=np.int64)


def statistics_sample_count(n_samples: int, sample_rate: int, interval_ms: int) -> int:
    """How many statistics samples lie within the first ``n_samples`` samples."""
    # index(k) <= n - 1  <=>  k·q // 1000 <= n  <=>  k·q < 1000·(n + 1)
    q = interval_ms * sample_rate
    return (1000 * (n_samples + 1) - 1) // q
