"""Reference data of IEC 61672-1:2013 (identical to GB/T 3785.1-2023) used to design and check the meter.

Everything here is data or closed-form arithmetic from the standard: the Annex E pole frequencies, the
nominal A and C weightings of Table 3 with their acceptance limits, and the toneburst reference
response of clause 5.9. Nothing depends on a sample rate or on a filter design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "A1000_DB",
    "BANDS",
    "C1000_DB",
    "F1_HZ",
    "F2_HZ",
    "F3_HZ",
    "F4_HZ",
    "REFERENCE_PRESSURE_PA",
    "Band",
    "toneburst_reference_db",
]

#: Reference sound pressure, 20 µPa; 94 dB re 20 µPa is 1 Pa rms (94.0 dB is the calibrator level).
REFERENCE_PRESSURE_PA = 20e-6


def _annex_e_poles() -> tuple[float, float, float, float]:
    """Derive the four pole frequencies of Annex E (equations E.1 to E.6) instead of hard-coding them.

    f1 and f4 follow from the low and high -3 dB frequencies fL = 10^1.5 Hz and fH = 10^3.9 Hz around
    fr = 1 kHz with D^2 = 1/2; f2 and f3 from fA = 10^2.45 Hz. Deriving them keeps the constants exact
    (the standard prints them rounded, e.g. 20.6 Hz and 12194 Hz).
    """
    f_r = 1000.0
    f_l = 10.0**1.5
    f_h = 10.0**3.9
    d = math.sqrt(0.5)
    b = (f_r**2 + (f_l**2 * f_h**2) / f_r**2 - d * (f_l**2 + f_h**2)) / (1.0 - d)
    c = f_l**2 * f_h**2
    root = math.sqrt(b * b - 4.0 * c)
    f1 = math.sqrt((-b - root) / 2.0)
    f4 = math.sqrt((-b + root) / 2.0)
    f_a = 10.0**2.45
    f2 = (3.0 - math.sqrt(5.0)) / 2.0 * f_a
    f3 = (3.0 + math.sqrt(5.0)) / 2.0 * f_a
    return f1, f2, f3, f4


F1_HZ, F2_HZ, F3_HZ, F4_HZ = _annex_e_poles()


def _unnormalised_a_db(f: float) -> float:
    f2 = f * f
    num = F4_HZ**2 * f2 * f2
    den = (f2 + F1_HZ**2) * math.sqrt(f2 + F2_HZ**2) * math.sqrt(f2 + F3_HZ**2) * (f2 + F4_HZ**2)
    return 20.0 * math.log10(num / den)


def _unnormalised_c_db(f: float) -> float:
    f2 = f * f
    return 20.0 * math.log10(F4_HZ**2 * f2 / ((f2 + F1_HZ**2) * (f2 + F4_HZ**2)))


#: Normalisation constants of Annex E (printed as -2.000 dB and -0.062 dB). Computed from the exact
#: poles so that the analytic A and C curves are exactly 0 dB at 1 kHz.
A1000_DB = _unnormalised_a_db(1000.0)
C1000_DB = _unnormalised_c_db(1000.0)

_INF = math.inf


@dataclass(frozen=True, slots=True)
class Band:
    """One row of Table 3: a one-third-octave band with the nominal weightings and acceptance limits.

    ``exact_hz`` is the base-10 exact mid-band frequency 1000·10^(n/10); the table values are the
    Annex E curve evaluated there and rounded to 0.1 dB. Limits are offsets from the nominal value
    (``class1_lower`` is negative or -inf).
    """

    nominal_hz: float
    n: int
    a_db: float
    c_db: float
    class1_upper: float
    class1_lower: float
    class2_upper: float
    class2_lower: float

    @property
    def exact_hz(self) -> float:
        return 1000.0 * math.pow(10.0, self.n / 10.0)


def _band(nominal: float, n: int, a: float, c: float, c1: tuple[float, float], c2: tuple[float, float]) -> Band:
    return Band(nominal, n, a, c, c1[0], c1[1], c2[0], c2[1])


#: IEC 61672-1:2013 Table 3, 10 Hz to 20 kHz. The A and C values agree across three independent
#: transcriptions; the acceptance limits are those of the 2013 edition (not the 2002 "tolerance
#: limits", which include measurement uncertainty).
BANDS: tuple[Band, ...] = (
    _band(10, -20, -70.4, -14.3, (3.0, -_INF), (5.0, -_INF)),
    _band(12.5, -19, -63.4, -11.2, (2.5, -_INF), (5.0, -_INF)),
    _band(16, -18, -56.7, -8.5, (2.0, -4.0), (5.0, -_INF)),
    _band(20, -17, -50.5, -6.2, (2.0, -2.0), (3.0, -3.0)),
    _band(25, -16, -44.7, -4.4, (2.0, -1.5), (3.0, -3.0)),
    _band(31.5, -15, -39.4, -3.0, (1.5, -1.5), (3.0, -3.0)),
    _band(40, -14, -34.6, -2.0, (1.0, -1.0), (2.0, -2.0)),
    _band(50, -13, -30.2, -1.3, (1.0, -1.0), (2.0, -2.0)),
    _band(63, -12, -26.2, -0.8, (1.0, -1.0), (2.0, -2.0)),
    _band(80, -11, -22.5, -0.5, (1.0, -1.0), (2.0, -2.0)),
    _band(100, -10, -19.1, -0.3, (1.0, -1.0), (1.5, -1.5)),
    _band(125, -9, -16.1, -0.2, (1.0, -1.0), (1.5, -1.5)),
    _band(160, -8, -13.4, -0.1, (1.0, -1.0), (1.5, -1.5)),
    _band(200, -7, -10.9, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(250, -6, -8.6, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(315, -5, -6.6, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(400, -4, -4.8, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(500, -3, -3.2, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(630, -2, -1.9, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(800, -1, -0.8, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(1000, 0, 0.0, 0.0, (0.7, -0.7), (1.0, -1.0)),
    _band(1250, 1, 0.6, 0.0, (1.0, -1.0), (1.5, -1.5)),
    _band(1600, 2, 1.0, -0.1, (1.0, -1.0), (2.0, -2.0)),
    _band(2000, 3, 1.2, -0.2, (1.0, -1.0), (2.0, -2.0)),
    _band(2500, 4, 1.3, -0.3, (1.0, -1.0), (2.5, -2.5)),
    _band(3150, 5, 1.2, -0.5, (1.0, -1.0), (2.5, -2.5)),
    _band(4000, 6, 1.0, -0.8, (1.0, -1.0), (3.0, -3.0)),
    _band(5000, 7, 0.5, -1.3, (1.5, -1.5), (3.5, -3.5)),
    _band(6300, 8, -0.1, -2.0, (1.5, -2.0), (4.5, -4.5)),
    _band(8000, 9, -1.1, -3.0, (1.5, -2.5), (5.0, -5.0)),
    _band(10000, 10, -2.5, -4.4, (2.0, -3.0), (5.0, -_INF)),
    _band(12500, 11, -4.3, -6.2, (2.0, -5.0), (5.0, -_INF)),
    _band(16000, 12, -6.6, -8.5, (2.5, -16.0), (5.0, -_INF)),
    _band(20000, 13, -9.3, -11.2, (3.0, -_INF), (5.0, -_INF)),
)


def toneburst_reference_db(duration_s: float, tau_s: float) -> float:
    """Reference toneburst response of clause 5.9 (equation 7): 10·lg(1 - e^(-Tb/τ)).

    It is the maximum of the exponentially time-weighted level of a burst of duration Tb, relative to
    the steady level of the same tone: the detector charges for Tb seconds and never reaches the
    steady mean square. Table 4 lists it rounded to 0.1 dB (e.g. F, 200 ms: -1.0 dB).
    """
    if duration_s <= 0 or tau_s <= 0:
        raise ValueError("duration and time constant must be positive")
    return 10.0 * math.log10(-math.expm1(-duration_s / tau_s))
