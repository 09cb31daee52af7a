"""Facade calibration: image <-> facade-plane homography, floor/column lookup and local metric scale.

Facade coordinates are metres on the facade plane: ``u`` to the right from the left edge, ``v`` up
from the bottom edge. Floor 1 is the bottom floor and column 1 the leftmost window column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float]

# Image coordinates can legitimately lie far outside the frame (corners off-screen), but not absurdly so.
_COORD_LIMIT = 1.0e5


class FacadeMask(BaseModel):
    """A polygon in image pixels where detections are ignored (trees, sky, roads)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["tree", "sky", "road", "other"] = "other"
    polygon: list[tuple[float, float]] = Field(min_length=3, max_length=256)

    @field_validator("polygon")
    @classmethod
    def _finite(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for x, y in value:
            if not (np.isfinite(x) and np.isfinite(y)) or abs(x) > _COORD_LIMIT or abs(y) > _COORD_LIMIT:
                raise ValueError("mask coordinates must be finite and within ±1e5 px")
        return value


class FacadeCalibration(BaseModel):
    """The JSON a camera is calibrated with: four corners (TL, TR, BR, BL) and the facade's grid."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corners: list[tuple[float, float]] = Field(min_length=4, max_length=4)
    floors: int = Field(ge=1, le=200)
    columns: int = Field(ge=1, le=200)
    floor_height_m: float = Field(default=3.0, ge=2.0, le=8.0)
    width_m: float = Field(gt=1.0, le=1000.0)
    masks: list[FacadeMask] = Field(default_factory=list, max_length=64)

    @field_validator("corners")
    @classmethod
    def _finite_corners(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for x, y in value:
            if not (np.isfinite(x) and np.isfinite(y)) or abs(x) > _COORD_LIMIT or abs(y) > _COORD_LIMIT:
                raise ValueError("corner coordinates must be finite and within ±1e5 px")
        return value

    @model_validator(mode="after")
    def _convex_clockwise(self) -> FacadeCalibration:
        # TL, TR, BR, BL in image coordinates (y down) turn clockwise on screen: every cross product of
        # consecutive edges must be positive. Anything else is a swapped corner or a degenerate quad,
        # and would give a mirrored or singular homography.
        pts = np.asarray(self.corners, dtype=np.float64)
        for i in range(4):
            a, b, c = pts[i], pts[(i + 1) % 4], pts[(i + 2) % 4]
            cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
            if cross <= 0.0:
                raise ValueError("corners must be a convex quadrilateral in the order TL, TR, BR, BL")
        area = 0.5 * abs(float(np.dot(pts[:, 0], np.roll(pts[:, 1], -1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], -1))))
        if area < 100.0:
            raise ValueError("facade quadrilateral is too small (< 100 px²)")
        return self

    @property
    def height_m(self) -> float:
        return self.floors * self.floor_height_m


def load_facade(path: str | Path) -> Facade:
    """Read and validate a facade JSON file (raises ``ValueError`` with the reason on bad content)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read facade file {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"facade file {path} is not valid JSON: {exc}") from exc
    try:
        return Facade(FacadeCalibration.model_validate(data))
    except Exception as exc:  # pydantic ValidationError: flatten into one message for the CLI
        raise ValueError(f"facade file {path} is invalid: {exc}") from exc


def save_facade(calibration: FacadeCalibration, path: str | Path) -> None:
    Path(path).write_text(json.dumps(calibration.model_dump(), indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class FloorColumn:
    """Where a point lies on the facade: integer floor/column (clamped) and the exact fractional position."""

    floor: int
    column: int
    floor_f: float  # 1.0 = bottom edge of floor 1
    column_f: float  # 1.0 = left edge of column 1
    inside: bool


@dataclass(frozen=True)
class Facade:
    """A validated calibration with its homographies; all methods take and return image pixels or metres."""

    calibration: FacadeCalibration
    image_to_facade: FloatArray = field(init=False, repr=False, compare=False)
    facade_to_image: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cal = self.calibration
        src = np.asarray(cal.corners, dtype=np.float64)
        dst = np.array([[0.0, cal.height_m], [cal.width_m, cal.height_m], [cal.width_m, 0.0], [0.0, 0.0]])
        h = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64)
        object.__setattr__(self, "image_to_facade", h)
        object.__setattr__(self, "facade_to_image", np.linalg.inv(h))

    @property
    def width_m(self) -> float:
        return self.calibration.width_m

    @property
    def height_m(self) -> float:
        return self.calibration.height_m

    @staticmethod
    def _apply(h: FloatArray, points: npt.ArrayLike) -> FloatArray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        homog = pts @ h[:, :2].T + h[:, 2]
        return homog[:, :2] / homog[:, 2:3]

    def to_facade(self, points: npt.ArrayLike) -> FloatArray:
        """Image pixels (N×2) -> facade metres (N×2, u right, v up)."""
        return self._apply(self.image_to_facade, points)

    def to_image(self, points: npt.ArrayLike) -> FloatArray:
        """Facade metres (N×2) -> image pixels (N×2)."""
        return self._apply(self.facade_to_image, points)

    def cell_of_metres(self, u: float, v: float) -> FloorColumn:
        cal = self.calibration
        floor_f = v / cal.floor_height_m + 1.0
        column_f = u / (cal.width_m / cal.columns) + 1.0
        inside = 0.0 <= u <= cal.width_m and 0.0 <= v <= cal.height_m
        floor = int(min(max(np.floor(floor_f), 1), cal.floors))
        column = int(min(max(np.floor(column_f), 1), cal.columns))
        return FloorColumn(floor=floor, column=column, floor_f=float(floor_f), column_f=float(column_f), inside=inside)

    def floor_column(self, x: float, y: float) -> FloorColumn:
        """The floor (1 = bottom) and window column (1 = left) at image point (x, y)."""
        u, v = self.to_facade([[x, y]])[0]
        return self.cell_of_metres(float(u), float(v))

    def cell_centre_image(self, floor: int, column: int) -> Point:
        cal = self.calibration
        u = (column - 0.5) * cal.width_m / cal.columns
        v = (floor - 0.5) * cal.floor_height_m
        x, y = self.to_image([[u, v]])[0]
        return float(x), float(y)

    def pixels_per_metre(self, x: float, y: float) -> float:
        """Local scale at image point (x, y): sqrt of the area ratio of the facade->image map there."""
        u, v = self.to_facade([[x, y]])[0]
        d = 0.05
        p = self.to_image([[u, v], [u + d, v], [u, v + d]])
        ju = (p[1] - p[0]) / d
        jv = (p[2] - p[0]) / d
        det = abs(float(ju[0] * jv[1] - ju[1] * jv[0]))
        return float(np.sqrt(det))

    def camera_centre(self, frame_shape: tuple[int, int]) -> tuple[float, float, float] | None:
        """The camera's position in facade metres (u, v, distance in front), from the calibration alone.

        A plane-to-image homography fixes the camera pose once the intrinsics are known; with square
        pixels and the principal point at the frame centre, the focal length follows from the two
        facade axes being perpendicular and equally scaled (Zhang's constraints). ``None`` when the
        view is too frontal to tell the focal length.
        """
        height, width = frame_shape
        cx, cy = width / 2.0, height / 2.0
        h = self.facade_to_image / self.facade_to_image[2, 2]
        shifted = h.copy()
        shifted[0] -= cx * h[2]
        shifted[1] -= cy * h[2]
        h1, h2 = shifted[:, 0], shifted[:, 1]
        candidates = []
        if abs(h1[2] * h2[2]) > 1e-12:
            candidates.append(-(h1[0] * h2[0] + h1[1] * h2[1]) / (h1[2] * h2[2]))
        if abs(h2[2] ** 2 - h1[2] ** 2) > 1e-12:
            candidates.append((h1[0] ** 2 + h1[1] ** 2 - h2[0] ** 2 - h2[1] ** 2) / (h2[2] ** 2 - h1[2] ** 2))
        f2 = [c for c in candidates if np.isfinite(c) and (0.2 * width) ** 2 < c < (50.0 * width) ** 2]
        if not f2:
            return None
        f = float(np.sqrt(np.median(f2)))
        k_inv = np.array([[1.0 / f, 0.0, 0.0], [0.0, 1.0 / f, 0.0], [0.0, 0.0, 1.0]])
        b = k_inv @ shifted
        lam = 1.0 / float(np.linalg.norm(b[:, 0]))
        r1, r2, t = lam * b[:, 0], lam * b[:, 1], lam * b[:, 2]
        r3 = np.cross(r1, r2)
        rot = np.stack([r1, r2, r3], axis=1)
        centre = -rot.T @ t
        if t[2] < 0:  # the facade must lie in front of the camera; flip the sign ambiguity
            centre = -centre
            centre[0], centre[1] = -centre[0], -centre[1]
        return float(centre[0]), float(centre[1]), abs(float(centre[2]))

    def polygon_image(self, margin_m: float = 0.0, below_m: float = 0.0) -> FloatArray:
        """The facade outline in image pixels, widened sideways by ``margin_m`` and downward by ``below_m``."""
        w, h = self.width_m, self.height_m
        quad = [[-margin_m, h], [w + margin_m, h], [w + margin_m, -below_m], [-margin_m, -below_m]]
        return self.to_image(quad)

    def region_mask(
        self, shape: tuple[int, int], margin_m: float = 0.0, below_m: float = 0.0, *, masks: bool = True
    ) -> npt.NDArray[np.uint8]:
        """uint8 mask (255 = analyse) of the facade region inside a frame of ``shape`` (h, w), minus
        the calibration's masks (unless ``masks`` is False)."""
        height, width = shape
        mask = np.zeros((height, width), dtype=np.uint8)
        poly = _clip_for_raster(self.polygon_image(margin_m, below_m), width, height)
        cv2.fillPoly(mask, [poly], 255)
        for m in self.calibration.masks if masks else ():
            cv2.fillPoly(mask, [_clip_for_raster(np.asarray(m.polygon, dtype=np.float64), width, height)], 0)
        return mask


def _clip_for_raster(poly: FloatArray, width: int, height: int) -> npt.NDArray[np.int32]:
    # fillPoly works in int32; corners may be far off-screen, so clamp to a generous band around the frame
    # (the polygon stays convex and its in-frame part is unchanged only if we clip, not clamp, so clip
    # it against an enlarged rectangle with Sutherland-Hodgman).
    lo_x, lo_y, hi_x, hi_y = -4.0 * width, -4.0 * height, 5.0 * width, 5.0 * height
    pts = [tuple(p) for p in poly.tolist()]
    for axis, bound, keep_greater in ((0, lo_x, True), (0, hi_x, False), (1, lo_y, True), (1, hi_y, False)):
        out: list[tuple[float, ...]] = []
        n = len(pts)
        for i in range(n):
            cur, nxt = pts[i], pts[(i + 1) % n]
            cur_in = cur[axis] >= bound if keep_greater else cur[axis] <= bound
            nxt_in = nxt[axis] >= bound if keep_greater else nxt[axis] <= bound
            if cur_in:
                out.append(cur)
            if cur_in != nxt_in:
                t = (bound - cur[axis]) / (nxt[axis] - cur[axis])
                out.append(tuple(c + t * (d - c) for c, d in zip(cur, nxt, strict=True)))
        pts = out
        if not pts:
            return np.zeros((0, 1, 2), dtype=np.int32)
    return np.round(np.asarray(pts)).astype(np.int32).reshape(-1, 1, 2)
