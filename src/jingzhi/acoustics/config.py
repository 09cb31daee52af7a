"""Validated configuration of the sound level meter."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MeterConfig"]


class MeterConfig(BaseModel):
    """How samples become levels, and how the statistics are taken.

    ``fullscale_db`` is the level of a signal whose RMS is 1.0 in sample units: level = 20·lg(rms) +
    fullscale_db. It is the per-device calibration offset (see :mod:`jingzhi.acoustics.calibration`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fullscale_db: float = Field(
        ge=-100.0, le=250.0, description="dB reading of a signal with RMS 1.0 (full-scale units)"
    )
    statistics_interval_ms: int = Field(
        default=100,
        ge=10,
        le=1000,
        description="LAF is sampled every this many ms for the percentile levels (LA10, LA50, LA90)",
    )
    settle_ms: int = Field(
        default=1000,
        ge=0,
        le=10_000,
        description=(
            "LAFmin and the percentile levels ignore the first settle_ms while the F detector charges from "
            "silence: after 1 s (8 τ) it is within 0.002 dB of a steady level, after 0.5 s still 0.08 dB low"
        ),
    )
