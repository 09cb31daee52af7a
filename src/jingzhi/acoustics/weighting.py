"""Frequency weightings A, C and Z of IEC 61672-1:2013 as digital filters for any sample rate.

Design (how the high-frequency droop of the bilinear transform is corrected)
----------------------------------------------------------------------------
The analog weightings factor into a low-frequency part (the zeros at s = 0 and the poles f1, f2, f3,
all below 1 kHz) and a high-frequency part, the double pole at f4 = 12.2 kHz.

* The low-frequency part goes through the plain bilinear transform. Its poles are far below Nyquist,
  where the transform's frequency warping is negligible, and its response is flat above a few kHz,
  where warping no longer matters: the error is below 0.01 dB everywhere.
* The high-frequency part is where the plain bilinear design fails: it maps s = ∞ to Nyquist and so
  adds two zeros at z = -1, which drag the response down by about 6 dB at 16 kHz at 44.1/48 kHz.
  Instead, one biquad is *fitted to the analytic magnitude*: a least-squares fit, in dB, of the ratio
  between the Annex E curve and the bilinear low-frequency part, on 300 log-spaced frequencies from
  100 Hz to 0.98 × Nyquist (capped at 28 kHz). The poles are parametrised by reflection coefficients,
  which keeps them inside the unit circle, and zeros outside it are reflected inside afterwards, so
  the filter is stable and minimum phase (the fit sees magnitude only; minimum phase keeps toneburst
  and peak responses free of pre-ringing).

Measured result (``bench/acoustics/run.py`` prints the full table): the A response deviates from the
nominal Table 3 values by at most about 0.08 dB from 10 Hz to 20 kHz at 44.1 and 48 kHz, against the
±0.5 dB required up to 16 kHz. Alternatives measured or weighed while choosing: the plain bilinear
design is 6 dB low at 16 kHz; matched-z poles with a closed-form numerator matched at DC, Nyquist and
one frequency still left 0.4 to 0.9 dB errors between 8 and 20 kHz; pre-warping places one frequency
exactly but not the whole upper octave; oversampling would multiply the filtering work per sample.

The C filter is the C low-frequency part (zeros at 0, double pole f1) followed by the same fitted
section; the A filter is the C filter followed by one more bilinear section s²/((s+ω2)(s+ω3)). So A and
C share one high-frequency design, and a meter that needs both (LAeq and LCpeak) derives the A signal
from the C signal with one extra biquad. (That saves sections, not time: scipy's ``sosfilt`` cost is
dominated by its per-sample loop, about 6.5 ns per sample for 1 to 3 sections.)

Below 44.1 kHz the same design is returned and still tracks the curve up to its Nyquist frequency,
but the weighting cannot reach 20 kHz, so class 1 conformance is not claimed
(``WeightingFilter.class1_claimed`` is False).
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, signal  # type: ignore[import-untyped, unused-ignore]

from ._common import FloatArray, check_sample_rate
from .standard import A1000_DB, C1000_DB, F1_HZ, F2_HZ, F3_HZ, F4_HZ

__all__ = [
    "CLASS1_MIN_SAMPLE_RATE",
    "Weighting",
    "WeightingFilter",
    "a_weighting_db",
    "c_weighting_db",
    "cascade_sections",
    "design_weighting",
    "sos_response_db",
    "weighting_db",
]

#: Lowest sample rate at which the A and C filters claim class 1 conformance: below it the Nyquist
#: frequency is under 20 kHz, the top band of Table 3.
CLASS1_MIN_SAMPLE_RATE = 44_100

_FIT_LOW_HZ = 100.0
_FIT_HIGH_HZ = 28_000.0
_FIT_POINTS = 300


class Weighting(enum.StrEnum):
    """Frequency weighting: A and C per IEC 61672-1 Annex E, Z is flat (no filtering)."""

    A = "A"
    C = "C"
    Z = "Z"


def _as_frequencies(f: npt.ArrayLike) -> FloatArray:
    return np.asarray(f, dtype=np.float64)


def a_weighting_db(f: npt.ArrayLike) -> FloatArray:
    """Analytic A weighting of Annex E (equation E.6) in dB at frequencies ``f`` (Hz), 0 dB at 1 kHz.

    Evaluate it at the exact frequencies 1000·10^(n/10) to reproduce Table 3 to 0.1 dB.
    """
    f2 = np.square(_as_frequencies(f))
    with np.errstate(divide="ignore"):
        num = F4_HZ**2 * f2 * f2
        den = (f2 + F1_HZ**2) * np.sqrt(f2 + F2_HZ**2) * np.sqrt(f2 + F3_HZ**2) * (f2 + F4_HZ**2)
        return np.asarray(20.0 * np.log10(num / den) - A1000_DB, dtype=np.float64)


def c_weighting_db(f: npt.ArrayLike) -> FloatArray:
    """Analytic C weighting of Annex E (equation E.1) in dB at frequencies ``f`` (Hz), 0 dB at 1 kHz."""
    f2 = np.square(_as_frequencies(f))
    with np.errstate(divide="ignore"):
        return np.asarray(
            20.0 * np.log10(F4_HZ**2 * f2 / ((f2 + F1_HZ**2) * (f2 + F4_HZ**2))) - C1000_DB, dtype=np.float64
        )


def weighting_db(kind: Weighting | str, f: npt.ArrayLike) -> FloatArray:
    """Analytic weighting ``kind`` in dB at ``f``; Z is 0 dB everywhere."""
    kind = Weighting(kind)
    if kind is Weighting.A:
        return a_weighting_db(f)
    if kind is Weighting.C:
        return c_weighting_db(f)
    return np.zeros_like(_as_frequencies(f))


@dataclass(frozen=True, slots=True, eq=False)
class WeightingFilter:
    """A digital frequency weighting as second-order sections (``scipy.signal.sosfilt`` layout)."""

    kind: Weighting
    sample_rate: int
    sos: FloatArray
    #: False below 44.1 kHz: usable, but Table 3 cannot be met up to 20 kHz, so no class 1 claim.
    class1_claimed: bool

    def response_db(self, f: npt.ArrayLike) -> FloatArray:
        """Magnitude response of the digital filter in dB at frequencies ``f`` (Hz)."""
        return sos_response_db(self.sos, f, self.sample_rate)

    def apply(self, samples: npt.ArrayLike) -> FloatArray:
        """Filter a whole signal from rest (zero initial state)."""
        x = np.asarray(samples, dtype=np.float64)
        return np.asarray(signal.sosfilt(self.sos, x), dtype=np.float64)


def sos_response_db(sos: FloatArray, f: npt.ArrayLike, sample_rate: int) -> FloatArray:
    """Magnitude response in dB of second-order sections at frequencies ``f`` (Hz)."""
    freqs = np.atleast_1d(_as_frequencies(f))
    _, h = signal.sosfreqz(sos, worN=freqs, fs=float(sample_rate))
    with np.errstate(divide="ignore"):
        return np.asarray(20.0 * np.log10(np.abs(h)), dtype=np.float64)


def _bilinear_sos(zeros: list[float], poles: list[float], fs: float) -> FloatArray:
    z, p, k = signal.bilinear_zpk(np.asarray(zeros), np.asarray(poles), 1.0, fs)
    return np.asarray(signal.zpk2sos(z, p, k), dtype=np.float64)


def _fit_high_section(low_sos: FloatArray, fs: float) -> FloatArray:
    """Fit one biquad so that ``low_sos`` followed by it follows the analytic A magnitude.

    Residuals are dB differences on a log-spaced grid, so every octave counts the same. The starting
    point is the matched-z mapping of the double pole at f4, which is already close.
    """
    nyquist = fs / 2.0
    f = np.geomspace(_FIT_LOW_HZ, min(0.98 * nyquist, _FIT_HIGH_HZ), _FIT_POINTS)
    target = a_weighting_db(f) - sos_response_db(low_sos, f, int(fs))
    zinv = np.exp(-2j * np.pi * f / fs)

    def coefficients(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        # Reflection coefficients in (-1, 1) make every candidate denominator stable.
        k1, k2 = np.tanh(x[3]), np.tanh(x[4])
        return x[:3], np.array([1.0, k1 * (1.0 + k2), k2])

    def residuals(x: FloatArray) -> FloatArray:
        b, a = coefficients(x)
        h = (b[0] + zinv * (b[1] + zinv * b[2])) / (a[0] + zinv * (a[1] + zinv * a[2]))
        return np.asarray(20.0 * np.log10(np.abs(h)) - target, dtype=np.float64)

    pole = math.exp(-2.0 * math.pi * F4_HZ / fs)
    a1, a2 = -2.0 * pole, pole * pole
    x0 = np.array([(1.0 - pole) ** 2, 0.0, 0.0, math.atanh(a1 / (1.0 + a2)), math.atanh(a2)])
    fit = optimize.least_squares(residuals, x0, method="lm", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    b, a = coefficients(np.asarray(fit.x, dtype=np.float64))
    return np.concatenate([_minimum_phase(b), a])[np.newaxis, :]


def _minimum_phase(b: FloatArray) -> FloatArray:
    """Reflect zeros outside the unit circle inside it, keeping the magnitude response unchanged."""
    if b[0] == 0.0:
        return b
    zeros = np.roots(b)
    gain = float(b[0])
    reflected = []
    for z in zeros:
        if abs(z) > 1.0:
            gain *= float(abs(z))
            reflected.append(1.0 / np.conj(z))
        else:
            reflected.append(z)
    return np.asarray(np.real(gain * np.poly(reflected)), dtype=np.float64)


def _normalise_at_1khz(sos: FloatArray, fs: int, target_db: float = 0.0) -> FloatArray:
    out = sos.copy()
    gain_db = float(sos_response_db(out, [1000.0], fs)[0])
    out[0, :3] *= 10.0 ** ((target_db - gain_db) / 20.0)
    return out


@functools.lru_cache(maxsize=16)
def _design_sections(sample_rate: int) -> tuple[FloatArray, FloatArray]:
    """Return (C filter, A-from-C section) for ``sample_rate``; cached because the fit takes milliseconds."""
    fs = float(sample_rate)
    w1, w2, w3 = (2.0 * math.pi * f for f in (F1_HZ, F2_HZ, F3_HZ))
    c_low = _bilinear_sos([0.0, 0.0], [-w1, -w1], fs)
    a_extra = _bilinear_sos([0.0, 0.0], [-w2, -w3], fs)
    high = _fit_high_section(np.vstack([c_low, a_extra]), fs)
    c_sos = _normalise_at_1khz(np.vstack([c_low, high]), sample_rate)
    # The extra section alone is normalised so that C followed by it is exactly 0 dB at 1 kHz.
    a_gain_db = float(sos_response_db(np.vstack([c_sos, a_extra]), [1000.0], sample_rate)[0])
    a_extra = a_extra.copy()
    a_extra[0, :3] *= 10.0 ** (-a_gain_db / 20.0)
    for arr in (c_sos, a_extra):
        arr.setflags(write=False)
    return c_sos, a_extra


def cascade_sections(sample_rate: int) -> tuple[FloatArray, FloatArray]:
    """(C filter, A-from-C section) at ``sample_rate``, as fresh copies.

    Filtering with the first gives the C-weighted signal; filtering that with the second gives the
    A-weighted one, identical to ``design_weighting("A", fs)``. A meter needing both saves a filter.
    """
    c_sos, a_from_c = _design_sections(check_sample_rate(sample_rate))
    # Copies: the cached designs are shared and read-only, and sosfilt insists on writable arrays.
    return c_sos.copy(), a_from_c.copy()


_IDENTITY = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])


def design_weighting(kind: Weighting | str, sample_rate: int) -> WeightingFilter:
    """Design the digital weighting ``kind`` (A, C or Z) for ``sample_rate`` Hz.

    Z is an identity section. A and C are described in the module docstring.
    """
    kind = Weighting(kind)
    rate = check_sample_rate(sample_rate)
    if kind is Weighting.Z:
        sos = _IDENTITY.copy()
    else:
        c_sos, a_extra = _design_sections(rate)
        sos = c_sos.copy() if kind is Weighting.C else np.vstack([c_sos, a_extra])
    return WeightingFilter(kind=kind, sample_rate=rate, sos=sos, class1_claimed=rate >= CLASS1_MIN_SAMPLE_RATE)
