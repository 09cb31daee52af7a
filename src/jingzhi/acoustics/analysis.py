"""Batch measurement of a whole signal held in memory: the reference the streaming meter must match.

Everything is computed with whole-array operations, independently of :mod:`.meter`; the tests compare
the two on the same signal. For records too long to hold in memory, feed blocks to
:class:`jingzhi.acoustics.meter.SoundLevelMeter` instead (the command-line tool does).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import signal  # type: ignore[import-untyped, unused-ignore]

from ._common import as_signal, check_sample_rate, statistics_sample_count, statistics_sample_index
from .config import MeterConfig
from .metrics import exceedance_level, level_db, levels_db, peak_level_db
from .results import Measurement, SecondResult
from .timeweighting import TimeWeighting, exponential_average
from .weighting import CLASS1_MIN_SAMPLE_RATE, cascade_sections

__all__ = ["measure"]


def measure(samples: npt.ArrayLike, sample_rate: int, config: MeterConfig) -> Measurement:
    """Measure a whole signal (one channel, float samples in full-scale units) from a meter at rest."""
    x = as_signal(samples)
    rate = check_sample_rate(sample_rate)
    n = int(x.size)
    if n == 0:
        raise ValueError("the signal has no samples")
    fs_db = config.fullscale_db
    c_sos, a_from_c = cascade_sections(rate)
    pc = np.asarray(signal.sosfilt(c_sos, x), dtype=np.float64)
    pa = np.asarray(signal.sosfilt(a_from_c, pc), dtype=np.float64)
    pa2 = pa * pa
    laf_ms = exponential_average(pa2, rate, TimeWeighting.FAST.tau_s)

    i_max = int(np.argmax(laf_ms))
    settle = config.settle_ms * rate // 1000
    settled = laf_ms[settle:] if n > settle else laf_ms

    k_count = statistics_sample_count(n, rate, config.statistics_interval_ms)
    k = np.arange(1, k_count + 1, dtype=np.int64)
    series_db = levels_db(laf_ms[statistics_sample_index(k, rate, config.statistics_interval_ms)], fs_db)
    after_settle = k * config.statistics_interval_ms >= config.settle_ms
    statistics_db = series_db[after_settle] if np.any(after_settle) else series_db

    n_sec = n // rate
    seconds: list[SecondResult] = []
    if n_sec:
        shape = (n_sec, rate)
        sec_ms = pa2[: n_sec * rate].reshape(shape).mean(axis=1)
        sec_max = laf_ms[: n_sec * rate].reshape(shape).max(axis=1)
        sec_min = laf_ms[: n_sec * rate].reshape(shape).min(axis=1)
        sec_peak = np.abs(pc[: n_sec * rate]).reshape(shape).max(axis=1)
        seconds = [
            SecondResult(
                index=i,
                laeq=level_db(float(sec_ms[i]), fs_db),
                lafmax=level_db(float(sec_max[i]), fs_db),
                lafmin=level_db(float(sec_min[i]), fs_db),
                lcpeak=peak_level_db(float(sec_peak[i]), fs_db),
            )
            for i in range(n_sec)
        ]
    per_minute = 60 * rate
    n_min = n // per_minute
    minute_ms = pa2[: n_min * per_minute].reshape(n_min, per_minute).mean(axis=1) if n_min else np.zeros(0)

    return Measurement(
        sample_rate=rate,
        samples=n,
        fullscale_db=fs_db,
        class1_claimed=rate >= CLASS1_MIN_SAMPLE_RATE,
        laeq=level_db(float(np.mean(pa2)), fs_db),
        lafmax=level_db(float(laf_ms[i_max]), fs_db),
        lafmax_time_s=i_max / rate,
        lafmin=level_db(float(np.min(settled)), fs_db),
        lcpeak=peak_level_db(float(np.max(np.abs(pc))), fs_db),
        la10=exceedance_level(statistics_db, 10),
        la50=exceedance_level(statistics_db, 50),
        la90=exceedance_level(statistics_db, 90),
        statistics_interval_s=config.statistics_interval_ms / 1000.0,
        per_second=tuple(seconds),
        per_minute_laeq=tuple(level_db(float(v), fs_db) for v in minute_ms),
        statistics_db=statistics_db,
    )
