"""A 94 dB calibrator recording sets the device offset; the offset then makes the meter read true."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jingzhi.acoustics.analysis import measure
from jingzhi.acoustics.calibration import CalibrationError, apply_calibration, calibrate
from jingzhi.acoustics.config import MeterConfig
from tests.acoustics.signals import sine, white_noise

RATE = 48_000


def _recording(rms: float = 0.05, freq: float = 1000.0, seconds: float = 5.0, rate: int = RATE) -> np.ndarray:
    # A calibrator with some background noise 40 dB down, as in a real recording.
    return sine(freq, rms, seconds, rate) + white_noise(rms / 100, seconds, rate, seed=11)


def test_offset_from_a_94db_tone():
    cal = calibrate(_recording(rms=0.05), RATE)
    assert cal.fullscale_db == pytest.approx(94.0 - 20 * math.log10(0.05), abs=0.02)  # 120.02 dB
    assert cal.tone_hz == pytest.approx(1000.0, abs=1.0)
    assert cal.spread_db < 0.05


def test_calibrated_meter_reads_94db_on_the_calibrator_and_true_levels_after():
    recording = _recording(rms=0.02)
    cal = calibrate(recording, RATE)
    config = cal.apply(MeterConfig(fullscale_db=100.0))
    assert measure(recording, RATE, config).per_second[2].laeq == pytest.approx(94.0, abs=0.02)
    # A tone 20 dB weaker on the same device reads 74 dB.
    assert measure(sine(1000.0, 0.002, 3.0, RATE), RATE, config).per_second[2].laeq == pytest.approx(74.0, abs=0.02)
    assert apply_calibration(MeterConfig(fullscale_db=1.0), cal).fullscale_db == cal.fullscale_db


def test_other_rates_and_a_slightly_detuned_calibrator():
    cal = calibrate(_recording(rms=0.1, freq=1012.0, rate=44_100), 44_100)
    assert cal.fullscale_db == pytest.approx(94.0 + 20.0, abs=0.02)
    assert cal.tone_hz == pytest.approx(1012.0, abs=1.0)


def test_drift_between_two_calibrations():
    before = calibrate(_recording(rms=0.05), RATE)
    after = calibrate(_recording(rms=0.05 * 10 ** (-0.3 / 20)), RATE)  # sensitivity fell by 0.3 dB
    assert after.drift_db(before) == pytest.approx(0.3, abs=0.02)


def test_reference_level_other_than_94db():
    cal = calibrate(_recording(rms=0.05), RATE, reference_db=114.0)
    assert cal.fullscale_db == pytest.approx(114.0 - 20 * math.log10(0.05), abs=0.02)


@pytest.mark.parametrize(
    ("recording", "message"),
    [
        (_recording(freq=500.0), "expected 1000 Hz"),
        (_recording(seconds=0.6), "too short"),
        (np.clip(sine(1000.0, 1.0, 3.0, RATE), -1.0, 1.0), "full scale"),
        (np.concatenate([_recording(seconds=2.0), 2 * _recording(seconds=2.0)]), "not steady"),
        (np.zeros(3 * RATE), "silent"),
    ],
)
def test_unusable_recordings_are_rejected_with_a_reason(recording, message):
    with pytest.raises(CalibrationError, match=message):
        calibrate(recording, RATE)
