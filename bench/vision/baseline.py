"""The naive baseline the issue asks for: OpenCV MOG2 + centroid tracker + a "moves down" rule.

Deliberately what a quick implementation would do, so the benchmark shows what the physics gate,
the adaptive change detector and the global-change handling buy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import cv2
import numpy as np

from jingzhi.vision.facade import Facade


@dataclass
class _Track:
    points: list[tuple[float, float, float]] = field(default_factory=list)  # (t, x, y)
    missed: int = 0


@dataclass(frozen=True)
class NaiveEvent:
    start_s: float
    end_s: float
    floor: int
    column: int
    track: tuple[tuple[float, float, float], ...]


class NaiveDetector:
    def __init__(self, facade: Facade, frame_shape: tuple[int, int], fps: float) -> None:
        self.facade = facade
        self.mog = cv2.createBackgroundSubtractorMOG2(history=250, varThreshold=16, detectShadows=False)
        self.mask = facade.region_mask(frame_shape, margin_m=3.0)
        self.tracks: list[_Track] = []
        self.events: list[NaiveEvent] = []
        self.max_jump = 60.0
        self.min_drop_px = (
            1.5 * facade.calibration.floor_height_m * facade.pixels_per_metre(frame_shape[1] / 2, frame_shape[0] / 2)
        )

    def process(self, luma: np.ndarray, t: float) -> None:
        fg = self.mog.apply(luma)
        fg = cv2.bitwise_and(fg, self.mask)
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cents = []
        for c in contours[:200]:
            m = cv2.moments(c)
            if m["m00"] > 0:
                cents.append((m["m10"] / m["m00"], m["m01"] / m["m00"]))
            else:
                x, y, w, h = cv2.boundingRect(c)
                cents.append((x + w / 2, y + h / 2))
        used = [False] * len(cents)
        for tr in self.tracks:
            _, lx, ly = tr.points[-1]
            best, bd = -1, self.max_jump
            for i, (cx, cy) in enumerate(cents):
                d = float(np.hypot(cx - lx, cy - ly))
                if not used[i] and d < bd:
                    best, bd = i, d
            if best >= 0:
                used[best] = True
                tr.points.append((t, *cents[best]))
                tr.missed = 0
            else:
                tr.missed += 1
        alive = []
        for tr in self.tracks:
            if tr.missed > 2:
                self._close(tr)
            else:
                alive.append(tr)
        self.tracks = alive + [_Track([(t, cx, cy)]) for i, (cx, cy) in enumerate(cents) if not used[i]]

    def _close(self, tr: _Track) -> None:
        pts = tr.points
        if len(pts) < 5:
            return
        ys = [p[2] for p in pts]
        # "Moves down": mostly downward steps and a drop of 1.5 floors.
        down = sum(1 for a, b in itertools.pairwise(ys) if b > a)
        if ys[-1] - ys[0] >= self.min_drop_px and down >= 0.7 * (len(ys) - 1):
            cell = self.facade.floor_column(pts[0][1], pts[0][2])
            self.events.append(NaiveEvent(pts[0][0], pts[-1][0], cell.floor, cell.column, tuple(pts)))

    def finish(self) -> list[NaiveEvent]:
        for tr in self.tracks:
            self._close(tr)
        self.tracks = []
        return self.events
