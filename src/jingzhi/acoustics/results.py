"""Frozen results of a measurement: one second, and a whole record."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._common import FloatArray
from .metrics import PERCENTILE_METHOD, exceedance_level

__all__ = ["Measurement", "SecondResult", "json_level"]


def json_level(value: float, decimals: int = 2) -> float | None:
    """Round a level for JSON; -inf (silence) and NaN (undefined) become None, which JSON can carry."""
    if not math.isfinite(value):
        return None
    return round(value, decimals)


@dataclass(frozen=True, slots=True)
class SecondResult:
    """Levels of one complete second of signal, second ``index`` counted from 0 at the first sample."""

    index: int
    laeq: float
    lafmax: float
    lafmin: float
    lcpeak: float

    @property
    def start_s(self) -> float:
        return float(self.index)

    def to_dict(self, decimals: int = 2) -> dict[str, Any]:
        return {
            "second": self.index,
            "LAeq": json_level(self.laeq, decimals),
            "LAFmax": json_level(self.lafmax, decimals),
            "LAFmin": json_level(self.lafmin, decimals),
            "LCpeak": json_level(self.lcpeak, decimals),
        }


@dataclass(frozen=True, slots=True, eq=False)
class Measurement:
    """Levels of a whole record (or of everything a streaming meter has seen so far).

    * ``laeq``: LAeq,T over all samples; ``lafmax``/``lafmin``: extremes of LAF, the F-time-weighted
      A level evaluated at every sample (LAFmin after the settling time of the configuration);
      ``lafmax_time_s``: time of the LAFmax sample from the first sample; ``lcpeak``: largest
      absolute C-weighted sample.
    * ``la10``/``la50``/``la90``: percentile levels of ``statistics_db``, the LAF series sampled every
      ``statistics_interval_s`` after the settling time (all samples if the record is shorter); see
      :mod:`jingzhi.acoustics.metrics` for the percentile convention. NaN if there is no sample.
    * ``per_second`` and ``per_minute_laeq`` cover complete seconds and minutes only; a trailing
      partial second counts in the totals but has no entry of its own.
    """

    sample_rate: int
    samples: int
    fullscale_db: float
    class1_claimed: bool
    laeq: float
    lafmax: float
    lafmax_time_s: float
    lafmin: float
    lcpeak: float
    la10: float
    la50: float
    la90: float
    statistics_interval_s: float
    per_second: tuple[SecondResult, ...]
    per_minute_laeq: tuple[float, ...]
    statistics_db: FloatArray = field(repr=False)

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate

    @property
    def per_second_laeq(self) -> tuple[float, ...]:
        return tuple(s.laeq for s in self.per_second)

    def exceedance(self, percent: float) -> float:
        """Any LN from the same series as LA10/LA50/LA90."""
        return exceedance_level(self.statistics_db, percent)

    def to_dict(self, decimals: int = 2) -> dict[str, Any]:
        """JSON-ready summary with levels rounded to ``decimals`` (0.01 dB by default)."""
        return {
            "LAeq": json_level(self.laeq, decimals),
            "LAFmax": json_level(self.lafmax, decimals),
            "LAFmax_time_s": round(self.lafmax_time_s, 3),
            "LAFmin": json_level(self.lafmin, decimals),
            "LCpeak": json_level(self.lcpeak, decimals),
            "LA10": json_level(self.la10, decimals),
            "LA50": json_level(self.la50, decimals),
            "LA90": json_level(self.la90, decimals),
            "duration_s": round(self.duration_s, 6),
            "sample_rate": self.sample_rate,
            "fullscale_db": self.fullscale_db,
            "class1_sample_rate": self.class1_claimed,
            "percentiles": {
                "series": f"LAF every {self.statistics_interval_s:g} s",
                "samples": int(np.size(self.statistics_db)),
                "method": f"numpy.percentile(levels, 100 - N, method={PERCENTILE_METHOD!r})",
            },
            "per_second": [json_level(s.laeq, decimals) for s in self.per_second],
            "per_second_LAFmax": [json_level(s.lafmax, decimals) for s in self.per_second],
            "per_second_LCpeak": [json_level(s.lcpeak, decimals) for s in self.per_second],
            "per_minute": [json_level(v, decimals) for v in self.per_minute_laeq],
        }
