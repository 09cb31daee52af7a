"""Framework-free sound level meter per IEC 61672-1:2013 (GB/T 3785.1-2023): numpy in, frozen results out.

* :mod:`.weighting`: A, C and Z frequency weightings as digital filters for any sample rate.
* :mod:`.timeweighting`: exponential time weightings F and S.
* :mod:`.metrics`: level arithmetic and percentile-level conventions.
* :mod:`.analysis`: :func:`measure` a whole signal; :mod:`.meter`: :class:`SoundLevelMeter` over a stream.
* :mod:`.calibration`: the per-device offset from a 94 dB calibrator recording.
* :mod:`.wavio`: WAV files in full-scale units; :mod:`.cli`: ``noise measure FILE.wav --fullscale-db C``.

No Django import anywhere in this package: it is used by the platform and on its own.
"""

from .analysis import measure
from .calibration import Calibration, CalibrationError, apply_calibration, calibrate
from .config import MeterConfig
from .meter import SoundLevelMeter
from .metrics import energy_mean_db, exceedance_level, level_db
from .results import Measurement, SecondResult
from .timeweighting import ExponentialAverager, TimeWeighting, exponential_average
from .wavio import WavError, read_wav
from .weighting import Weighting, WeightingFilter, a_weighting_db, c_weighting_db, design_weighting

__all__ = [
    "Calibration",
    "CalibrationError",
    "ExponentialAverager",
    "Measurement",
    "MeterConfig",
    "SecondResult",
    "SoundLevelMeter",
    "TimeWeighting",
    "WavError",
    "Weighting",
    "WeightingFilter",
    "a_weighting_db",
    "apply_calibration",
    "c_weighting_db",
    "calibrate",
    "design_weighting",
    "energy_mean_db",
    "exceedance_level",
    "exponential_average",
    "level_db",
    "measure",
    "read_wav",
]
