"""The static part of a scene: sky, ground, a procedural facade (windows, balconies, texture) and trees."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from jingzhi.vision.synth.camera import PinholeCamera

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FacadeGeometry:
    """Facade grid in metres, shared by the renderer, the throws and the distractors."""

    floors: int
    columns: int
    floor_height_m: float
    width_m: float

    @property
    def height_m(self) -> float:
        return self.floors * self.floor_height_m

    @property
    def column_width_m(self) -> float:
        return self.width_m / self.columns

    def window_centre(self, floor: int, column: int) -> tuple[float, float]:
        """(X, Y) in metres of the window opening's centre."""
        return (column - 0.5) * self.column_width_m, (floor - 1) * self.floor_height_m + 1.6


@dataclass(frozen=True)
class Backdrop:
    image: F32
    tree_polygons: tuple[npt.NDArray[np.float64], ...]
    tree_world: tuple[tuple[float, float, float], ...]  # crown centres (X, Y, Z) for falling leaves
    balcony_floors: frozenset[int]


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: int) -> F32:
    small = rng.standard_normal((max(shape[0] // scale, 2), max(shape[1] // scale, 2))).astype(np.float32)
    return np.asarray(cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def render_backdrop(geo: FacadeGeometry, cam: PinholeCamera, rng: np.random.Generator) -> Backdrop:
    w, h = cam.width, cam.height
    # Sky: brighter toward the top; ground: darker asphalt. The facade is warped over both.
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    img = np.repeat(200.0 - 30.0 * yy, w, axis=1).astype(np.float32)
    img += 3.0 * _smooth_noise(rng, (h, w), 40)

    scale = cam.focal_px / float(np.linalg.norm(np.asarray(cam.position)))
    ppm = float(np.clip(scale * 1.5, 8.0, 40.0))
    tw, th = int(geo.width_m * ppm), int(geo.height_m * ppm)
    base = float(rng.uniform(140.0, 185.0))
    tex = np.full((th, tw), base, dtype=np.float32)
    tex += 6.0 * _smooth_noise(rng, (th, tw), max(int(ppm * 2), 2))
    tex += 2.5 * rng.standard_normal((th, tw)).astype(np.float32)
    balcony_floors = frozenset(int(f) for f in range(2, geo.floors + 1) if rng.random() < 0.35)
    cw = geo.column_width_m
    for floor in range(1, geo.floors + 1):
        v_floor = (floor - 1) * geo.floor_height_m
        # Slab line between floors.
        row = th - int((v_floor) * ppm)
        cv2.line(tex, (0, row), (tw, row), base - 25.0, max(1, int(0.15 * ppm)))
        for col in range(1, geo.columns + 1):
            u0 = (col - 1) * cw + 0.2 * cw
            u1 = col * cw - 0.2 * cw
            v0, v1 = v_floor + 0.9, v_floor + 2.4
            x0, x1 = int(u0 * ppm), int(u1 * ppm)
            y0, y1 = th - int(v1 * ppm), th - int(v0 * ppm)
            lit = rng.random() < 0.15
            glass = float(rng.uniform(150.0, 200.0) if lit else rng.uniform(35.0, 80.0))
            cv2.rectangle(tex, (x0, y0), (x1, y1), base + 20.0, -1)  # frame
            m = max(1, int(0.08 * ppm))
            cv2.rectangle(tex, (x0 + m, y0 + m), (x1 - m, y1 - m), glass, -1)
            cv2.line(tex, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), base + 10.0, m)
            if floor in balcony_floors:
                # Balcony railing in front of the lower part of the window.
                ry0 = th - int((v_floor + 1.1) * ppm)
                cv2.rectangle(tex, (x0 - m * 3, ry0), (x1 + m * 3, th - int(v_floor * ppm)), base - 45.0, -1)
    tex_to_world = np.array([[1.0 / ppm, 0.0, 0.0], [0.0, -1.0 / ppm, geo.height_m], [0.0, 0.0, 1.0]])
    corners_tex = np.array([[0.0, 0.0], [tw, 0.0], [tw, th], [0.0, th]])
    corners_world = np.c_[(corners_tex @ tex_to_world[:2, :2].T + tex_to_world[:2, 2]), np.zeros(4)]
    corners_img, _ = cam.project(corners_world)
    hmat = cv2.getPerspectiveTransform(corners_tex.astype(np.float32), corners_img.astype(np.float32))
    warped = cv2.warpPerspective(
        tex, hmat, (w, h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0
    )
    inside = cv2.warpPerspective(np.ones_like(tex), hmat, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
    img = np.where(inside > 0.5, np.maximum(warped, 0.0), img).astype(np.float32)
    # Ground below the facade foot.
    ground_line, _ = cam.project(np.array([[-1000.0, 0.0, 0.0], [1000.0, 0.0, 0.0]]))
    gy = float(ground_line[:, 1].mean())
    if gy < h:
        img[max(int(gy), 0) :, :] = 85.0 + 4.0 * _smooth_noise(rng, (h - max(int(gy), 0), w), 10)

    # Two trees in front of the lower floors, at the sides: the source of falling leaves.
    tree_polys: list[npt.NDArray[np.float64]] = []
    tree_world: list[tuple[float, float, float]] = []
    for side in (0.12, 0.88):
        cx_m = side * geo.width_m
        crown_y = min(5.0, geo.height_m * 0.3)
        z = 4.0
        pts, depth = cam.project(np.array([[cx_m, crown_y, z]]))
        r_px = 3.0 * cam.focal_px / max(float(depth[0]), 1.0)
        trunk, _ = cam.project(np.array([[cx_m, 0.0, z]]))
        cx, cy = float(pts[0, 0]), float(pts[0, 1])
        cv2.line(img, (int(cx), int(cy)), (int(trunk[0, 0]), int(trunk[0, 1])), 60.0, max(2, int(r_px * 0.12)))
        blob = np.zeros((h, w), np.uint8)
        cv2.ellipse(blob, (int(cx), int(cy)), (int(r_px), int(r_px * 0.8)), 0, 0, 360, 255, -1)
        leaves = 70.0 + 12.0 * _smooth_noise(rng, (h, w), 3)
        img = np.where(blob > 0, leaves, img).astype(np.float32)
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        poly = np.stack([cx + 1.15 * r_px * np.cos(angles), cy + 0.95 * r_px * np.sin(angles)], axis=1)
        tree_polys.append(poly)
        tree_world.append((cx_m, crown_y, z))
    return Backdrop(
        image=img,
        tree_polygons=tuple(tree_polys),
        tree_world=tuple(tree_world),
        balcony_floors=balcony_floors,
    )
