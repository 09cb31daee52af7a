"""A pitched pinhole camera looking at a facade.

World frame: X to the right along the facade, Y up (0 = ground at the facade's foot), Z out of the
facade toward the camera (the facade is the plane Z = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PinholeCamera:
    """Camera at ``position`` (m) looking toward -Z, pitched up by ``pitch_rad``; focal length in pixels."""

    position: tuple[float, float, float]
    pitch_rad: float
    focal_px: float
    width: int
    height: int

    def _axes(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        s, c = math.sin(self.pitch_rad), math.cos(self.pitch_rad)
        forward = np.array([0.0, s, -c])
        up = np.array([0.0, c, s])
        right = np.array([1.0, 0.0, 0.0])
        return right, up, forward

    def project(self, points: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """World points (N×3) -> (image points N×2, depth N along the optical axis)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3) - np.asarray(self.position)
        right, up, forward = self._axes()
        depth = pts @ forward
        safe = np.where(depth > 1e-6, depth, 1e-6)
        x = self.width / 2.0 + self.focal_px * (pts @ right) / safe
        y = self.height / 2.0 - self.focal_px * (pts @ up) / safe
        return np.stack([x, y], axis=1), depth

    def ray_point(self, x: float, y: float, depth: float) -> FloatArray:
        """The world point seen at image (x, y) at the given depth along the optical axis."""
        right, up, forward = self._axes()
        dx = (x - self.width / 2.0) / self.focal_px
        dy = -(y - self.height / 2.0) / self.focal_px
        return np.asarray(self.position) + depth * (forward + dx * right + dy * up)


def frame_facade(
    *,
    width: int,
    height: int,
    facade_width_m: float,
    facade_height_m: float,
    distance_m: float,
    camera_height_m: float = 1.6,
    offset_m: float = 0.0,
    fill: float = 0.9,
) -> PinholeCamera:
    """A camera ``distance_m`` in front of the facade, pitched to its centre, zoomed so it fills ``fill`` of the frame.

    ``fill`` > 1 crops the facade (corners outside the frame), as on tall buildings seen from close.
    """
    target_y = facade_height_m / 2.0
    pitch = math.atan2(target_y - camera_height_m, distance_m)
    position = (facade_width_m / 2.0 + offset_m, camera_height_m, distance_m)
    probe = PinholeCamera(position=position, pitch_rad=pitch, focal_px=1.0, width=0, height=0)
    corners = np.array(
        [
            [0.0, facade_height_m, 0.0],
            [facade_width_m, facade_height_m, 0.0],
            [facade_width_m, 0.0, 0.0],
            [0.0, 0.0, 0.0],
        ]
    )
    pts, _ = probe.project(corners)
    span_x = float(pts[:, 0].max() - pts[:, 0].min())
    span_y = float(pts[:, 1].max() - pts[:, 1].min())
    focal = fill * min(width / span_x, height / span_y)
    return PinholeCamera(position=position, pitch_rad=pitch, focal_px=focal, width=width, height=height)
