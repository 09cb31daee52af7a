"""Level arithmetic: mean squares to decibels, energy averages and percentile (exceedance) levels.

Conventions, fixed here once for the whole package:

* A level is 10·lg(mean square) + ``fullscale_db``: ``fullscale_db`` is the reading of a signal whose
  RMS is 1.0 in sample units (after calibration, the sound pressure level re 20 µPa).
* Silence reads -inf dB; serialisers turn it into ``null``.
* LN, the level exceeded N % of the time, is ``numpy.percentile(levels, 100 - N, method="linear")``
  over a regularly sampled level series (the meter samples LAF every 100 ms by default). ``linear`` is
  numpy's default (Hyndman-Fan type 7): with 1, 2, ..., 100 dB it gives L10 = 90.1, L50 = 50.5 and
  L90 = 10.9; other methods ("higher", "nearest", ...) give different values on short series.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from ._common import FloatArray

__all__ = ["PERCENTILE_METHOD", "energy_mean_db", "exceedance_level", "level_db", "levels_db", "peak_level_db"]

#: The numpy percentile method of every LN in this package.
PERCENTILE_METHOD: Final = "linear"


def level_db(mean_square: float, fullscale_db: float = 0.0) -> float:
    """10·lg(mean_square) + fullscale_db; -inf for zero (silence)."""
    if mean_square < 0 or math.isnan(mean_square):
        raise ValueError("a mean square must be a non-negative number")
    if mean_square == 0.0:
        return -math.inf
    return 10.0 * math.log10(mean_square) + fullscale_db


def levels_db(mean_squares: npt.ArrayLike, fullscale_db: float = 0.0) -> FloatArray:
    """Element-wise :func:`level_db` for an array of mean squares."""
    ms = np.asarray(mean_squares, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.asarray(10.0 * np.log10(ms) + fullscale_db, dtype=np.float64)


def peak_level_db(peak: float, fullscale_db: float = 0.0) -> float:
    """Peak level 20·lg(|peak|) + fullscale_db, -inf for zero.

    ``fullscale_db`` refers to RMS 1.0, so a full-scale sine (peak 1, RMS 0.707) peaks 3.01 dB above
    its RMS level, as LCpeak should.
    """
    if peak == 0.0:
        return -math.inf
    return 20.0 * math.log10(abs(peak)) + fullscale_db


def energy_mean_db(levels: npt.ArrayLike) -> float:
    """Energy average of levels of equal duration: 10·lg(mean(10^(L/10))).

    This is how LAeq,T follows from consecutive LAeq,1s values: [80, 60 × 9] gives 70.37 dB.
    """
    values = np.asarray(levels, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no levels to average")
    finite = values[np.isfinite(values)]
    if np.any(values == np.inf) or np.any(np.isnan(values)):
        raise ValueError("levels must be finite numbers or -inf")
    if finite.size == 0:
        return -math.inf
    # Factor out the largest level so that 10^(L/10) cannot overflow for any realistic level.
    top = float(finite.max())
    return top + 10.0 * math.log10(float(np.sum(10.0 ** ((finite - top) / 10.0))) / values.size)


def exceedance_level(levels: npt.ArrayLike, percent: float) -> float:
    """LN: the level exceeded ``percent`` % of the time, ``percentile(levels, 100 - N, method="linear")``.

    NaN when there are no levels (a record shorter than one statistics interval).
    """
    if not 0.0 <= percent <= 100.0:
        raise ValueError("percent must be between 0 and 100")
    values = np.asarray(levels, dtype=np.float64)
    if values.size == 0:
        return math.nan
    if np.any(np.isnan(values)):
        raise ValueError("levels must not contain NaN")
    with np.errstate(invalid="ignore"):
        result = float(np.percentile(values, 100.0 - percent, method=PERCENTILE_METHOD))
    # Interpolating next to a silent (-inf) sample computes -inf + inf = NaN; the limit is -inf.
    return -math.inf if math.isnan(result) else result
