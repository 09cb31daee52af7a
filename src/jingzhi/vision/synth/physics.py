"""Falling objects with mass, size and quadratic air drag, integrated in 3-D."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

G = 9.81
AIR_DENSITY = 1.2

ObjectKind = Literal["bottle", "fruit", "box", "bag", "litter", "ball"]


@dataclass(frozen=True)
class ObjectType:
    """A throwable object: mass (kg), drag coefficient, cross-section (m²) and the size it shows (m)."""

    kind: str
    mass_kg: float
    drag_coefficient: float
    area_m2: float
    length_m: float
    width_m: float

    @property
    def drag_k(self) -> float:
        """k in dv/dt = g - k·|v|·v (1/m)."""
        return 0.5 * AIR_DENSITY * self.drag_coefficient * self.area_m2 / self.mass_kg

    @property
    def terminal_velocity(self) -> float:
        return math.inf if self.drag_k == 0.0 else math.sqrt(G / self.drag_k)


# Reference objects spanning the terminal velocities of real litter (~5 m/s) to dense fruit (~37 m/s).
OBJECTS: dict[str, ObjectType] = {
    "bottle": ObjectType("bottle", 0.55, 0.8, 0.25 * 0.07, 0.25, 0.07),  # ~25 m/s
    "fruit": ObjectType("fruit", 0.2, 0.47, 0.005, 0.08, 0.08),  # ~37 m/s
    "box": ObjectType("box", 0.25, 1.05, 0.06, 0.3, 0.2),  # ~8 m/s
    "bag": ObjectType("bag", 0.8, 1.0, 0.06, 0.35, 0.25),  # ~15 m/s
    "litter": ObjectType("litter", 0.004, 1.0, 0.0012, 0.06, 0.02),  # cigarette-pack-sized, ~7 m/s
    "ball": ObjectType("ball", 0.45, 0.0, 0.038, 0.22, 0.22),  # no drag: for checking free fall
}


def integrate(
    obj: ObjectType,
    start: tuple[float, float, float],
    velocity: tuple[float, float, float],
    times: npt.ArrayLike,
    *,
    dt: float = 1.0 / 1000.0,
    ground_y: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Positions (N×3) at ``times`` (s from release) under gravity and quadratic drag; rests at the ground.

    RK4 with a fixed 1 ms step: drag makes the ODE stiff only for feather-light objects, and at
    terminal velocities ≥ 2 m/s a 1 ms step is far below the velocity relaxation time (v_t/g ≥ 0.2 s).
    """
    ts = np.asarray(times, dtype=np.float64)
    out = np.empty((ts.size, 3))
    k = obj.drag_k
    gvec = np.array([0.0, -G, 0.0])

    def accel(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return gvec - k * float(np.linalg.norm(v)) * v

    pos = np.array(start, dtype=np.float64)
    vel = np.array(velocity, dtype=np.float64)
    t = 0.0
    order = np.argsort(ts)
    landed = False
    for idx in order:
        target = max(float(ts[idx]), 0.0)
        while t < target - 1e-12 and not landed:
            h = min(dt, target - t)
            k1v = accel(vel)
            k1x = vel
            k2v = accel(vel + 0.5 * h * k1v)
            k2x = vel + 0.5 * h * k1v
            k3v = accel(vel + 0.5 * h * k2v)
            k3x = vel + 0.5 * h * k2v
            k4v = accel(vel + h * k3v)
            k4x = vel + h * k3v
            pos = pos + h / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
            vel = vel + h / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
            t += h
            if pos[1] <= ground_y:
                pos[1] = ground_y
                vel[:] = 0.0
                landed = True
        out[idx] = pos
    return out
