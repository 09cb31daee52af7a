"""Level arithmetic, percentile conventions, and whole-record metrics on signals of known level."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from jingzhi.acoustics.analysis import measure
from jingzhi.acoustics.config import MeterConfig
from jingzhi.acoustics.metrics import energy_mean_db, exceedance_level, level_db, levels_db, peak_level_db
from jingzhi.acoustics.results import json_level
from jingzhi.acoustics.weighting import a_weighting_db
from tests.acoustics.signals import rms_for_level, sine, white_noise

RATE = 48_000
FULLSCALE = 120.0
CONFIG = MeterConfig(fullscale_db=FULLSCALE)


def test_energy_mean_of_one_loud_second_among_ten():
    assert round(energy_mean_db([80.0] + [60.0] * 9), 2) == 70.37


def test_percentiles_of_1_to_100_use_linear_interpolation():
    levels = np.arange(1.0, 101.0)
    assert exceedance_level(levels, 10) == pytest.approx(90.1, abs=1e-9)
    assert exceedance_level(levels, 50) == pytest.approx(50.5, abs=1e-9)
    assert exceedance_level(levels, 90) == pytest.approx(10.9, abs=1e-9)


def test_percentile_method_is_pinned_to_linear_not_higher():
    levels = [80.0] + [60.0] * 9
    # L10 is the 90th percentile: 62.0 with linear interpolation; "higher" would give 80.0.
    assert exceedance_level(levels, 10) == pytest.approx(62.0, abs=1e-9)
    assert float(np.percentile(levels, 90, method="higher")) == 80.0


def test_exceedance_next_to_silence_is_minus_infinity_not_nan():
    levels = [-math.inf] * 5 + [50.0] * 5
    assert exceedance_level(levels, 90) == -math.inf
    assert exceedance_level(levels, 10) == 50.0
    assert exceedance_level([-math.inf] * 3, 50) == -math.inf


def test_exceedance_of_an_empty_series_is_nan_and_percent_is_checked():
    assert math.isnan(exceedance_level([], 10))
    with pytest.raises(ValueError):
        exceedance_level([1.0], 110)


def test_silence_is_minus_infinity_and_serialises_as_null():
    assert level_db(0.0) == -math.inf
    assert peak_level_db(0.0) == -math.inf
    assert json_level(-math.inf) is None
    assert json_level(math.nan) is None
    assert json_level(70.3749) == 70.37
    assert energy_mean_db([-math.inf, 70.0]) == pytest.approx(70.0 - 10 * math.log10(2))
    assert np.array_equal(levels_db([1.0, 0.0], 94.0), [94.0, -math.inf])
    with pytest.raises(ValueError):
        level_db(-1.0)


def test_a_1khz_tone_reads_its_level_on_every_metric():
    x = sine(1000.0, rms_for_level(94.0, FULLSCALE), 5.0, RATE)
    r = measure(x, RATE, CONFIG)
    assert r.laeq == pytest.approx(94.0, abs=0.02)
    assert r.lafmax == pytest.approx(94.0, abs=0.02)
    assert r.lafmin == pytest.approx(94.0, abs=0.01)  # after the 1 s settling time
    assert r.la10 == pytest.approx(94.0, abs=0.02)
    assert r.la90 == pytest.approx(94.0, abs=0.05)
    # Crest factor 3.01 dB once the switch-on transient of the C high-pass has decayed.
    assert r.per_second[2].lcpeak == pytest.approx(94.0 + 20 * math.log10(math.sqrt(2)), abs=0.05)
    assert r.lcpeak >= r.per_second[2].lcpeak
    assert [round(v, 1) for v in r.per_second_laeq] == [94.0] * 5
    assert r.duration_s == 5.0 and r.class1_claimed


def test_lafmin_ignores_the_detector_charging_from_silence():
    x = sine(1000.0, rms_for_level(70.0, FULLSCALE), 3.0, RATE)
    assert measure(x, RATE, CONFIG).lafmin == pytest.approx(70.0, abs=0.1)
    assert measure(x, RATE, MeterConfig(fullscale_db=FULLSCALE, settle_ms=0)).lafmin < 0.0


def test_a_100hz_tone_is_attenuated_by_the_a_weighting_but_not_in_lcpeak():
    x = sine(100.0, rms_for_level(94.0, FULLSCALE), 3.0, RATE)
    r = measure(x, RATE, CONFIG)
    assert r.laeq == pytest.approx(94.0 - 19.14, abs=0.1)
    # Once the switch-on transient of the C high-pass has gone, the peak is the C-weighted crest.
    assert r.per_second[2].lcpeak == pytest.approx(94.0 - 0.3 + 3.01, abs=0.1)
    # The abrupt start overshoots: LCpeak over the record is higher, as a real meter would show.
    assert r.lcpeak > r.per_second[2].lcpeak


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_white_noise_reads_the_level_predicted_from_the_analytic_curve(rate):
    # White noise of variance σ² spreads evenly over 0..fs/2, so its A-weighted mean square is
    # σ² times the band average of |A(f)|², computed here from Annex E, independently of the filter.
    sigma = 0.1
    f = np.linspace(1.0, rate / 2, 200_001)
    band_average = np.trapezoid(10 ** (a_weighting_db(f) / 10), f) / (rate / 2)
    expected = FULLSCALE + 10 * math.log10(sigma**2 * band_average)
    r = measure(white_noise(sigma, 10.0, rate, seed=rate), rate, CONFIG)
    assert r.laeq == pytest.approx(expected, abs=0.1)
    # Steady noise: the median of LAF sits near LAeq and the spread L10 - L90 is small but positive.
    assert r.la50 == pytest.approx(expected, abs=0.3)
    assert 0.0 < r.la10 - r.la90 < 1.0


def test_one_loud_second_among_ten_end_to_end():
    quiet = sine(1000.0, rms_for_level(60.0, FULLSCALE), 1.0, RATE)
    loud = sine(1000.0, rms_for_level(80.0, FULLSCALE), 1.0, RATE)
    x = np.concatenate([quiet] * 5 + [loud] + [quiet] * 4)  # whole seconds of 1 kHz: phase-continuous
    r = measure(x, RATE, CONFIG)
    assert r.laeq == pytest.approx(70.37, abs=0.03)
    assert r.lafmax == pytest.approx(80.0, abs=0.03)  # 1 s is 8 τ: the detector is fully charged
    assert r.lafmax_time_s == pytest.approx(6.0, abs=0.01)
    assert r.la90 == pytest.approx(60.0, abs=0.05)
    assert r.la50 == pytest.approx(60.0, abs=0.05)
    assert 70.0 < r.la10 <= 80.0  # ten of 91 samples in the loud second, more in the decay after it
    assert r.per_second_laeq[5] == pytest.approx(80.0, abs=0.05)
    assert energy_mean_db(r.per_second_laeq) == pytest.approx(r.laeq, abs=1e-9)


def test_lafmax_time_is_the_end_of_a_burst():
    quiet = white_noise(rms_for_level(50.0, FULLSCALE), 4.0, RATE, seed=1)
    quiet[2 * RATE : int(2.5 * RATE)] += sine(1000.0, rms_for_level(85.0, FULLSCALE), 0.5, RATE)
    r = measure(quiet, RATE, CONFIG)
    assert r.lafmax_time_s == pytest.approx(2.5, abs=0.01)
    assert r.lafmax == pytest.approx(85.0 + 10 * math.log10(1 - math.exp(-4)), abs=0.05)
    assert r.per_second[2].lafmax == pytest.approx(r.lafmax, abs=1e-9)
    assert r.per_second[1].lafmax < 60.0


def test_statistics_use_laf_every_100ms_after_settling():
    r = measure(sine(1000.0, 0.1, 3.05, RATE), RATE, CONFIG)
    # 1.0 s .. 3.0 s in steps of 0.1 s: 21 samples.
    assert r.statistics_db.size == 21
    assert r.statistics_interval_s == 0.1
    assert r.exceedance(50) == r.la50


def test_per_minute_levels_are_energy_means_of_their_seconds():
    rate = 8_000  # low rate keeps a two-minute signal cheap; the arithmetic does not depend on it
    levels = np.repeat(np.arange(50.0, 50.0 + 125 * 0.2, 0.2)[:125], 1)
    x = np.concatenate([sine(1000.0, rms_for_level(v, FULLSCALE), 1.0, rate) for v in levels])
    r = measure(x, rate, CONFIG)
    assert len(r.per_second) == 125 and len(r.per_minute_laeq) == 2
    for minute in range(2):
        seconds = r.per_second_laeq[60 * minute : 60 * minute + 60]
        assert r.per_minute_laeq[minute] == pytest.approx(energy_mean_db(seconds), abs=1e-9)
    assert not r.class1_claimed


def test_partial_seconds_count_in_the_totals_only():
    r = measure(sine(1000.0, 0.1, 2.5, RATE), RATE, CONFIG)
    assert len(r.per_second) == 2 and r.duration_s == 2.5


def test_config_validates_ranges():
    with pytest.raises(ValidationError):
        MeterConfig(fullscale_db=400.0)
    with pytest.raises(ValidationError):
        MeterConfig(fullscale_db=100.0, statistics_interval_ms=5)
    with pytest.raises(ValidationError):
        MeterConfig(fullscale_db=100.0, unknown=1)


def test_measure_rejects_unusable_input():
    with pytest.raises(ValueError, match="no samples"):
        measure(np.zeros(0), RATE, CONFIG)
    with pytest.raises(ValueError, match="one-dimensional"):
        measure(np.zeros((2, 100)), RATE, CONFIG)
    with pytest.raises(ValueError, match="NaN"):
        measure(np.array([0.0, np.nan]), RATE, CONFIG)
