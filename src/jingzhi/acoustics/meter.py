"""Streaming sound level meter: feed blocks of any size, get a result at the end of every second.

All filter and detector states are carried across blocks, so splitting a signal into blocks changes
nothing: the per-second results and the summary equal :func:`jingzhi.acoustics.analysis.measure` on
the concatenated signal (to floating-point rounding of the sums). Memory stays bounded: per second the
meter keeps one result, and ten LAF values for the percentile levels.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import signal  # type: ignore[import-untyped, unused-ignore]

from ._common import FloatArray, as_signal, check_sample_rate, statistics_sample_count, statistics_sample_index
from .config import MeterConfig
from .metrics import exceedance_level, level_db, levels_db, peak_level_db
from .results import Measurement, SecondResult
from .timeweighting import ExponentialAverager, TimeWeighting
from .weighting import CLASS1_MIN_SAMPLE_RATE, cascade_sections

__all__ = ["SoundLevelMeter"]


class SoundLevelMeter:
    """An integrating-averaging class 1 style meter (A and C weighting, F time weighting) over a stream.

    >>> meter = SoundLevelMeter(48_000, MeterConfig(fullscale_db=120.0))
    >>> for block in blocks:                      # doctest: +SKIP
    ...     for second in meter.process(block):   # a SecondResult each time a second completes
    ...         publish(second)
    >>> meter.summary()                           # doctest: +SKIP
    """

    def __init__(self, sample_rate: int, config: MeterConfig) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.config = config
        self._c_sos, self._a_from_c = cascade_sections(self.sample_rate)
        self.reset()

    def reset(self) -> None:
        """Back to rest: filters discharged, nothing measured."""
        self._zc = np.zeros((self._c_sos.shape[0], 2))
        self._za = np.zeros((self._a_from_c.shape[0], 2))
        self._detector = ExponentialAverager(self.sample_rate, TimeWeighting.FAST.tau_s)
        self._n = 0
        self._sum_sq = 0.0
        self._max_ms = -1.0
        self._max_index = 0
        self._min_ms_settled = math.inf
        self._min_ms_all = math.inf
        self._peak = 0.0
        self._sec_sum = 0.0
        self._sec_max = -1.0
        self._sec_min = math.inf
        self._sec_peak = 0.0
        self._seconds: list[SecondResult] = []
        self._second_ms: list[float] = []
        self._stat_ms: list[FloatArray] = []
        self._next_k = 1

    @property
    def samples_seen(self) -> int:
        return self._n

    @property
    def seconds(self) -> tuple[SecondResult, ...]:
        """Every complete second so far."""
        return tuple(self._seconds)

    def process(self, block: npt.ArrayLike) -> list[SecondResult]:
        """Consume the next samples (1-D, full-scale units); return the seconds completed by them."""
        x = as_signal(block)
        if x.size == 0:
            return []
        rate = self.sample_rate
        pc, self._zc = signal.sosfilt(self._c_sos, x, zi=self._zc)
        pa, self._za = signal.sosfilt(self._a_from_c, pc, zi=self._za)
        pa2 = np.asarray(pa * pa, dtype=np.float64)
        laf_ms = self._detector.process(pa2)
        abs_pc = np.abs(pc)
        n0 = self._n
        n1 = n0 + int(x.size)

        self._sum_sq += float(np.sum(pa2))
        i_block_max = int(np.argmax(laf_ms))
        if laf_ms[i_block_max] > self._max_ms:  # strict: the first sample reaching the maximum wins
            self._max_ms = float(laf_ms[i_block_max])
            self._max_index = n0 + i_block_max
        self._min_ms_all = min(self._min_ms_all, float(np.min(laf_ms)))
        settle = self.config.settle_ms * rate // 1000
        if n1 > settle:
            self._min_ms_settled = min(self._min_ms_settled, float(np.min(laf_ms[max(settle - n0, 0) :])))
        self._peak = max(self._peak, float(np.max(abs_pc)))

        k_last = statistics_sample_count(n1, rate, self.config.statistics_interval_ms)
        if k_last >= self._next_k:
            k = np.arange(self._next_k, k_last + 1, dtype=np.int64)
            idx = statistics_sample_index(k, rate, self.config.statistics_interval_ms) - n0
            self._stat_ms.append(laf_ms[idx].copy())
            self._next_k = k_last + 1

        completed: list[SecondResult] = []
        pos = 0
        while pos < x.size:
            second_end = ((n0 + pos) // rate + 1) * rate
            end = min(int(x.size), second_end - n0)
            self._sec_sum += float(np.sum(pa2[pos:end]))
            self._sec_max = max(self._sec_max, float(np.max(laf_ms[pos:end])))
            self._sec_min = min(self._sec_min, float(np.min(laf_ms[pos:end])))
            self._sec_peak = max(self._sec_peak, float(np.max(abs_pc[pos:end])))
            if n0 + end == second_end:
                completed.append(self._close_second())
            pos = end
        self._n = n1
        return completed

    def _close_second(self) -> SecondResult:
        fs_db = self.config.fullscale_db
        mean_square = self._sec_sum / self.sample_rate
        result = SecondResult(
            index=len(self._seconds),
            laeq=level_db(mean_square, fs_db),
            lafmax=level_db(self._sec_max, fs_db),
            lafmin=level_db(self._sec_min, fs_db),
            lcpeak=peak_level_db(self._sec_peak, fs_db),
        )
        self._seconds.append(result)
        self._second_ms.append(mean_square)
        self._sec_sum, self._sec_max, self._sec_min, self._sec_peak = 0.0, -1.0, math.inf, 0.0
        return result

    def summary(self) -> Measurement:
        """Levels over everything processed since the last reset (the meter keeps running)."""
        if self._n == 0:
            raise ValueError("the meter has not received any samples")
        rate = self.sample_rate
        fs_db = self.config.fullscale_db
        interval = self.config.statistics_interval_ms
        series = np.concatenate(self._stat_ms) if self._stat_ms else np.zeros(0)
        series_db = levels_db(series, fs_db)
        k = np.arange(1, series.size + 1, dtype=np.int64)
        after_settle = k * interval >= self.config.settle_ms
        statistics_db = series_db[after_settle] if np.any(after_settle) else series_db
        settle = self.config.settle_ms * rate // 1000
        min_ms = self._min_ms_settled if self._n > settle else self._min_ms_all
        minutes = len(self._second_ms) // 60
        per_minute = tuple(
            level_db(float(np.mean(self._second_ms[60 * m : 60 * m + 60])), fs_db) for m in range(minutes)
        )
        return Measurement(
            sample_rate=rate,
            samples=self._n,
            fullscale_db=fs_db,
            class1_claimed=rate >= CLASS1_MIN_SAMPLE_RATE,
            laeq=level_db(self._sum_sq / self._n, fs_db),
            lafmax=level_db(self._max_ms, fs_db),
            lafmax_time_s=self._max_index / rate,
            lafmin=level_db(min_ms, fs_db),
            lcpeak=peak_level_db(self._peak, fs_db),
            la10=exceedance_level(statistics_db, 10),
            la50=exceedance_level(statistics_db, 50),
            la90=exceedance_level(statistics_db, 90),
            statistics_interval_s=interval / 1000.0,
            per_second=tuple(self._seconds),
            per_minute_laeq=per_minute,
            statistics_db=statistics_db,
        )
