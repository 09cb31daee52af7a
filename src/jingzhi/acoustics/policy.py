"""Noise limits of a square: the national limits, the manager's own rules, the measuring position.

- GB 3096-2008 (声环境质量标准) zone limits, LAeq dB(A), day 06:00–22:00 / night 22:00–06:00,
  applied at the nearest noise-sensitive façade (Annex C: 1 m in front of it);
- GB 22337-2008 Table 1 boundary limits, for squares whose manager applies them instead;
- the Noise Pollution Prevention and Control Law (2022) art. 64: the public place's manager
  sets the activity areas, time windows and volume; art. 88: night is 22:00–06:00 unless the city
  sets other 8 hours;
- the measuring position: a meter at the square reads more than the façade receives; for a
  point source the level falls by 20·lg(r₂/r₁) dB from the meter's distance r₁ to the façade's r₂
  (free field, no barrier: a conservative estimate, since screening only lowers the façade level).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["GB3096_LIMITS", "GB22337_LIMITS", "Limit", "SquarePolicy", "Window"]

#: GB 3096-2008 Table 1: zone class → (day, night) LAeq limits in dB(A).
GB3096_LIMITS: dict[str, tuple[float, float]] = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}
#: GB 22337-2008 Table 1: zone class beyond the boundary → (day, night) limits in dB(A).
GB22337_LIMITS: dict[str, tuple[float, float]] = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4": (70, 55),
    "4a": (70, 55),
    "4b": (70, 55),
}


@dataclass(frozen=True)
class Window:
    """A time window of the day, ``start`` included, ``end`` excluded; may run past midnight."""

    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"19:00-21:00"`` (a hyphen or an en dash)."""
        start, end = text.replace("–", "-").split("-")
        return cls(dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip()))


@dataclass(frozen=True)
class Limit:
    """The limit in force at a moment, as the meter should read it, and why."""

    db: float
    night: bool
    allowed: bool  # inside one of the manager's activity windows
    national_db: float  # the standard's limit at the façade (or boundary)
    correction_db: float  # meter position → façade
    basis: str


@dataclass(frozen=True)
class SquarePolicy:
    zone: str = "1"
    standard: Literal["gb3096", "gb22337"] = "gb3096"
    #: The manager's activity windows (art. 64); music outside them is not allowed at all.
    windows: tuple[Window, ...] = field(default_factory=lambda: (Window(dt.time(19, 0), dt.time(21, 0)),))
    #: The manager's own volume cap, LAeq at the meter; None: only the national limit.
    volume_cap_db: float | None = None
    #: Where the meter stands: at the square (distance correction to the façade) or at the façade.
    position: Literal["square", "facade"] = "square"
    meter_distance_m: float = 10.0
    facade_distance_m: float = 40.0
    night_start: dt.time = dt.time(22, 0)
    night_end: dt.time = dt.time(6, 0)

    def __post_init__(self) -> None:
        table = GB3096_LIMITS if self.standard == "gb3096" else GB22337_LIMITS
        if self.zone not in table:
            raise ValueError(f"zone class {self.zone!r} is not one of {', '.join(table)}")
        if self.position == "square" and not 0 < self.meter_distance_m <= self.facade_distance_m:
            raise ValueError("the meter must stand between the source and the façade (0 < meter ≤ façade distance)")

    def is_night(self, t: dt.time) -> bool:
        return Window(self.night_start, self.night_end).contains(t)

    def allowed(self, t: dt.time) -> bool:
        return any(w.contains(t) for w in self.windows)

    def correction_db(self) -> float:
        """How much more the meter reads than the façade receives (0 when it stands at the façade)."""
        if self.position == "facade":
            return 0.0
        return 20 * math.log10(self.facade_distance_m / self.meter_distance_m)

    def limit(self, t: dt.time) -> Limit:
        night = self.is_night(t)
        table = GB3096_LIMITS if self.standard == "gb3096" else GB22337_LIMITS
        national = table[self.zone][1 if night else 0]
        correction = self.correction_db()
        at_meter = national + correction
        name = "GB 3096-2008" if self.standard == "gb3096" else "GB 22337-2008"
        basis = f"{name} class {self.zone} {'night' if night else 'day'} {national:g} dB(A)"
        if correction:
            basis += f" at the façade, +{correction:.1f} dB from the meter at {self.meter_distance_m:g} m"
        if self.volume_cap_db is not None and self.volume_cap_db < at_meter:
            at_meter = self.volume_cap_db
            basis += f"; the square's cap {self.volume_cap_db:g} dB(A)"
        return Limit(
            db=round(at_meter, 1),
            night=night,
            allowed=self.allowed(t),
            national_db=national,
            correction_db=round(correction, 2),
            basis=basis,
        )
