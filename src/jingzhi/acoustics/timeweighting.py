"""Exponential time weightings F (125 ms) and S (1 s) of IEC 61672-1:2013, clause 3.7 and 5.8.

The time-weighted mean square is the output of a first-order low-pass on the squared, frequency-weighted
pressure: y[n] = y[n-1] + α·(p²[n] - y[n-1]) with α = 1 - exp(-1/(fs·τ)). This is the sampled form
of the standard's running integral, evaluated at *every* sample, not an average over blocks of τ
seconds: a block average answers a different question (a 200 ms burst can read 0 dB when a whole block
falls inside it, where the standard expects -1.0 dB on F). The state (the last y) is carried across blocks, so streaming and batch
processing produce the same values.
"""

from __future__ import annotations

import enum
import math

import numpy as np
import numpy.typing as npt
from scipy import signal  # type: ignore[import-untyped, unused-ignore]

from ._common import FloatArray

__all__ = ["ExponentialAverager", "TimeWeighting", "exponential_average", "smoothing_coefficient"]


class TimeWeighting(enum.StrEnum):
    """Exponential time weightings: F (Fast, τ = 0.125 s) and S (Slow, τ = 1 s)."""

    FAST = "F"
    SLOW = "S"

    @property
    def tau_s(self) -> float:
        return 0.125 if self is TimeWeighting.FAST else 1.0


def smoothing_coefficient(sample_rate: float, tau_s: float) -> float:
    """α = 1 - exp(-1/(fs·τ)): the exact discrete equivalent of the analog RC detector.

    With this α, the step response after n samples is 1 - exp(-n/(fs·τ)), the analog response sampled
    exactly, which is what the toneburst reference of clause 5.9 is built on. (The first-order
    approximation 1/(fs·τ) would be 0.007 % off at 48 kHz for F; the exact form costs nothing.)
    """
    if sample_rate <= 0 or tau_s <= 0:
        raise ValueError("sample rate and time constant must be positive")
    return -math.expm1(-1.0 / (sample_rate * tau_s))


def _validate_squares(squares: npt.ArrayLike) -> FloatArray:
    x = np.asarray(squares, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("expected a one-dimensional array of squared samples")
    return x


class ExponentialAverager:
    """Stateful exponential averager for squared samples; feed blocks of any size in order."""

    def __init__(self, sample_rate: float, tau_s: float, initial: float = 0.0) -> None:
        self._alpha = smoothing_coefficient(sample_rate, tau_s)
        self._b = np.array([self._alpha])
        self._a = np.array([1.0, self._alpha - 1.0])
        self._zi = np.array([(1.0 - self._alpha) * float(initial)])

    @property
    def alpha(self) -> float:
        return self._alpha

    @property
    def state(self) -> float:
        """The last output y (the time-weighted mean square); 0 before any input."""
        return float(self._zi[0] / (1.0 - self._alpha))

    def process(self, squares: npt.ArrayLike) -> FloatArray:
        """Return the time-weighted mean square at every sample of ``squares``, carrying state."""
        x = _validate_squares(squares)
        if x.size == 0:
            return x.copy()
        # lfilter's state for y[n] = α·x[n] + (1-α)·y[n-1] is (1-α)·y[n-1]; it returns the next one.
        y, self._zi = signal.lfilter(self._b, self._a, x, zi=self._zi)
        return np.asarray(y, dtype=np.float64)


def exponential_average(squares: npt.ArrayLike, sample_rate: float, tau_s: float, initial: float = 0.0) -> FloatArray:
    """Time-weighted mean square of a whole signal of squared samples, starting from ``initial``."""
    return ExponentialAverager(sample_rate, tau_s, initial).process(squares)
