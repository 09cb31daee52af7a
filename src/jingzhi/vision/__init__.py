"""Framework-free video analytics: numpy/OpenCV/PyAV in, frozen dataclasses out (no Django import)."""

from jingzhi.vision.config import ThrowConfig
from jingzhi.vision.facade import Facade, FacadeCalibration, FacadeMask, load_facade, save_facade
from jingzhi.vision.throws import ThrowDetector, ThrowEvent

__all__ = [
    "Facade",
    "FacadeCalibration",
    "FacadeMask",
    "ThrowConfig",
    "ThrowDetector",
    "ThrowEvent",
    "load_facade",
    "save_facade",
]
