"""Calibration with an acoustic calibrator: a 94 dB (1 Pa) tone at 1 kHz sets the device's offset.

The offset is ``fullscale_db``, the level that a signal of RMS 1.0 in sample units represents: after
recording the calibrator, fullscale_db = 94.0 - 20·lg(rms of the recording). It is stored per device
and passed to the meter through :class:`~jingzhi.acoustics.config.MeterConfig`. Field practice checks
the calibration before and after a measurement; :meth:`Calibration.drift_db` gives the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal  # type: ignore[import-untyped, unused-ignore]

from ._common import as_signal, check_sample_rate
from .config import MeterConfig
from .weighting import design_weighting

__all__ = ["Calibration", "CalibrationError", "apply_calibration", "calibrate"]


class CalibrationError(ValueError):
    """The recording cannot serve as a calibration (too short, wrong tone, unstable, clipped)."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Result of a calibration recording; ``fullscale_db`` is the value to store for the device."""

    fullscale_db: float
    reference_db: float
    tone_hz: float
    #: Spread (max - min) of the 100 ms levels used, in dB: how steady the calibrator was held.
    spread_db: float
    duration_s: float

    def drift_db(self, previous: Calibration) -> float:
        """How far this calibration moved from ``previous`` (positive: the device became less sensitive)."""
        return self.fullscale_db - previous.fullscale_db

    def apply(self, config: MeterConfig) -> MeterConfig:
        """``config`` with this calibration's offset."""
        return apply_calibration(config, self)


def apply_calibration(config: MeterConfig, calibration: Calibration) -> MeterConfig:
    """Return ``config`` with ``fullscale_db`` taken from ``calibration`` (config objects are frozen)."""
    return config.model_copy(update={"fullscale_db": calibration.fullscale_db})


def _tone_frequency(x: npt.NDArray[np.float64], rate: int) -> float:
    """Frequency of the strongest spectral line, refined by parabolic interpolation of log magnitudes."""
    window = np.hanning(x.size)
    spectrum = np.abs(np.fft.rfft(x * window))
    spectrum[0] = 0.0
    i = int(np.argmax(spectrum))
    if 0 < i < spectrum.size - 1:
        a, b, c = np.log(spectrum[i - 1 : i + 2] + 1e-300)
        denom = a - 2.0 * b + c
        offset = 0.5 * (a - c) / denom if denom != 0 else 0.0
    else:
        offset = 0.0
    return float((i + offset) * rate / x.size)


def calibrate(
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    reference_db: float = 94.0,
    reference_hz: float = 1000.0,
    frequency_tolerance: float = 0.05,
    max_spread_db: float = 0.5,
) -> Calibration:
    """Compute the device offset from a recording of a calibrator tone of ``reference_db`` at ``reference_hz``.

    The first and last 10 % of the recording (at least 0.25 s each) are skipped, where the calibrator is
    being fitted or removed. The level is A-weighted, which is 0 dB at 1 kHz by definition and removes
    hum and wind below the tone. The recording is rejected if the tone is more than
    ``frequency_tolerance`` (relative) from ``reference_hz``, if the 100 ms levels spread by more than
    ``max_spread_db``, or if the signal reaches full scale (clipping would lower the measured RMS).
    """
    x = as_signal(samples)
    rate = check_sample_rate(sample_rate)
    if not 20.0 <= reference_hz < rate / 2:
        raise CalibrationError(f"reference frequency {reference_hz} Hz is outside the band of a {rate} Hz recording")
    trim = max(int(0.1 * x.size), rate // 4)
    steady = x[trim : x.size - trim]
    if steady.size < rate // 2:
        raise CalibrationError(
            f"recording too short ({x.size / rate:.2f} s): record the calibrator for at least 1.5 s, 5 s is better"
        )
    if not np.any(steady):
        raise CalibrationError("the recording is silent: is the microphone connected?")
    if float(np.max(np.abs(x))) >= 0.999:
        raise CalibrationError("the recording reaches full scale (clipped): lower the input gain and record again")
    tone_hz = _tone_frequency(steady, rate)
    if abs(tone_hz - reference_hz) > frequency_tolerance * reference_hz:
        raise CalibrationError(f"the strongest tone is at {tone_hz:.0f} Hz, expected {reference_hz:.0f} Hz")

    # Filter the whole recording, then measure only the steady middle: the filter has settled by then.
    a_filter = design_weighting("A", rate)
    weighted = np.asarray(signal.sosfilt(a_filter.sos, x), dtype=np.float64)[trim : x.size - trim]
    # The calibrator's 94 dB is unweighted; undo the small A gain at the actual tone (0.03 dB at 1050 Hz).
    tone_gain = 10.0 ** (float(a_filter.response_db([tone_hz])[0]) / 10.0)
    mean_square = float(np.mean(weighted * weighted)) / tone_gain
    if mean_square <= 0.0:
        raise CalibrationError("the recording is silent")
    segment = rate // 10
    n_seg = weighted.size // segment
    seg_ms = np.mean(weighted[: n_seg * segment].reshape(n_seg, segment) ** 2, axis=1)
    seg_db = 10.0 * np.log10(np.maximum(seg_ms, 1e-300))
    spread = float(seg_db.max() - seg_db.min())
    if spread > max_spread_db:
        raise CalibrationError(f"the calibrator level is not steady (100 ms levels spread over {spread:.2f} dB)")
    return Calibration(
        fullscale_db=reference_db - 10.0 * math.log10(mean_square),
        reference_db=reference_db,
        tone_hz=tone_hz,
        spread_db=spread,
        duration_s=x.size / rate,
    )
