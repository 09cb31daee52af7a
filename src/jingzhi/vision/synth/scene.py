"""A complete synthetic camera clip: facade, thrown objects, distractors, sensor; with ground truth."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from jingzhi.vision.facade import FacadeCalibration, FacadeMask
from jingzhi.vision.synth.camera import PinholeCamera, frame_facade
from jingzhi.vision.synth.distractors import FAMILIES, Context, Effect, Family, make_effect
from jingzhi.vision.synth.physics import OBJECTS, integrate
from jingzhi.vision.synth.stamp import stamp_blurred
from jingzhi.vision.synth.texture import Backdrop, FacadeGeometry, render_backdrop

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


class ThrowSpec(BaseModel):
    """One thrown object. Unset velocity/contrast are drawn from the scene's seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["bottle", "fruit", "box", "bag", "litter", "ball"] = "bottle"
    floor: int = Field(ge=1, le=200)
    column: int = Field(ge=1, le=200)
    release_s: float = Field(ge=0.0, le=3600.0)
    velocity: tuple[float, float, float] | None = None  # (sideways, up, outward) m/s
    luma: float | None = Field(default=None, ge=0.0, le=255.0)  # object brightness; None = dark or bright at random
    scale: float = Field(default=1.0, gt=0.05, le=5.0)  # size multiplier (e.g. to test the 2-4 px range)


class DistractorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Family
    level: float = Field(default=1.0, gt=0.0, le=5.0)


class SceneSpec(BaseModel):
    """Everything that defines a clip; the same spec and seed always render the same frames."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=0, ge=0)
    width: int = Field(default=960, ge=64, le=3840)
    height: int = Field(default=540, ge=64, le=2160)
    fps: float = Field(default=25.0, ge=5.0, le=60.0)
    duration_s: float = Field(default=6.0, gt=0.0, le=600.0)
    floors: int = Field(default=12, ge=2, le=100)
    columns: int = Field(default=6, ge=1, le=40)
    floor_height_m: float = Field(default=3.0, ge=2.5, le=5.0)
    width_m: float = Field(default=24.0, ge=5.0, le=200.0)
    distance_m: float = Field(default=30.0, ge=10.0, le=100.0)
    camera_height_m: float = Field(default=1.6, ge=0.0, le=30.0)
    camera_offset_m: float = Field(default=0.0, ge=-50.0, le=50.0)
    fill: float = Field(default=0.9, gt=0.2, le=2.0)
    exposure_fraction: float = Field(default=0.5, gt=0.0, le=1.0)  # shutter open time / frame time
    noise_sigma: float = Field(default=2.0, ge=0.0, le=20.0)
    throws: list[ThrowSpec] = Field(default_factory=list, max_length=100)
    distractors: list[DistractorSpec] = Field(default_factory=list, max_length=40)

    @property
    def frame_count(self) -> int:
        return round(self.duration_s * self.fps)


@dataclass(frozen=True)
class ThrowTruth:
    kind: str
    floor: int
    column: int
    release_s: float
    terminal_velocity_mps: float
    size_px: float
    contrast: float
    rule_s: float | None  # when the object is 1.5 floors below its release point (the alarm rule can be met)
    trajectory: tuple[tuple[float, float, float], ...]  # (t, x, y) for each frame in view

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "floor": self.floor,
            "column": self.column,
            "release_s": round(self.release_s, 4),
            "terminal_velocity_mps": round(self.terminal_velocity_mps, 2),
            "size_px": round(self.size_px, 2),
            "contrast": round(self.contrast, 1),
            "rule_s": None if self.rule_s is None else round(self.rule_s, 4),
            "trajectory": [[round(t, 4), round(x, 2), round(y, 2)] for t, x, y in self.trajectory],
        }


@dataclass
class _Thrown:
    truth_kind: str
    spec: ThrowSpec
    release: npt.NDArray[np.float64]
    velocity: npt.NDArray[np.float64]
    size_m: float
    aspect: float
    luma: float
    spin_hz: float


class Scene:
    """Renders a ``SceneSpec`` frame by frame (grey uint8) and knows its calibration and ground truth."""

    def __init__(self, spec: SceneSpec) -> None:
        self.spec = spec
        self.geo = FacadeGeometry(spec.floors, spec.columns, spec.floor_height_m, spec.width_m)
        self.camera: PinholeCamera = frame_facade(
            width=spec.width,
            height=spec.height,
            facade_width_m=spec.width_m,
            facade_height_m=self.geo.height_m,
            distance_m=spec.distance_m,
            camera_height_m=spec.camera_height_m,
            offset_m=spec.camera_offset_m,
            fill=spec.fill,
        )
        root = np.random.SeedSequence(spec.seed)
        seeds = root.spawn(3 + len(spec.distractors))
        self.backdrop: Backdrop = render_backdrop(self.geo, self.camera, np.random.default_rng(seeds[0]))
        throw_rng = np.random.default_rng(seeds[1])
        self._noise_rng = np.random.default_rng(seeds[2])
        self.exposure_s = spec.exposure_fraction / spec.fps
        ctx = Context(self.camera, self.geo, self.backdrop, spec.fps, self.exposure_s, spec.duration_s)
        self.effects: list[Effect] = sorted(
            (
                make_effect(d.family, np.random.default_rng(s), ctx, d.level)
                for d, s in zip(spec.distractors, seeds[3:], strict=True)
            ),
            key=lambda e: e.stage,
        )
        self._thrown = [self._prepare_throw(t, throw_rng) for t in spec.throws]
        self._paths = [self._path(th) for th in self._thrown]
        self.truth = [self._truth(th, path) for th, path in zip(self._thrown, self._paths, strict=True)]

    # -- calibration -------------------------------------------------------------------------
    def calibration(self) -> FacadeCalibration:
        g = self.geo
        corners_w = np.array(
            [[0.0, g.height_m, 0.0], [g.width_m, g.height_m, 0.0], [g.width_m, 0.0, 0.0], [0.0, 0.0, 0.0]]
        )
        pts, _ = self.camera.project(corners_w)
        masks = [
            FacadeMask(kind="tree", polygon=[(round(float(x), 1), round(float(y), 1)) for x, y in poly])
            for poly in self.backdrop.tree_polygons
        ]
        return FacadeCalibration(
            corners=[(round(float(x), 2), round(float(y), 2)) for x, y in pts],
            floors=g.floors,
            columns=g.columns,
            floor_height_m=g.floor_height_m,
            width_m=g.width_m,
            masks=masks,
        )

    # -- throws ------------------------------------------------------------------------------
    def _prepare_throw(self, spec: ThrowSpec, rng: np.random.Generator) -> _Thrown:
        if spec.floor > self.geo.floors or spec.column > self.geo.columns:
            raise ValueError(f"throw from floor {spec.floor} column {spec.column} is outside the facade")
        obj = OBJECTS[spec.kind]
        x, _ = self.geo.window_centre(spec.floor, spec.column)
        # Released by a hand at chest height, just outside the window or over the balcony rail.
        release = np.array(
            [
                x + rng.uniform(-0.3, 0.3),
                (spec.floor - 1) * self.geo.floor_height_m + rng.uniform(1.0, 1.5),
                rng.uniform(0.3, 1.2),
            ]
        )
        if spec.velocity is not None:
            vel = np.array(spec.velocity, dtype=np.float64)
        else:
            vel = np.array([rng.uniform(-1.5, 1.5), rng.uniform(-1.0, 2.5), rng.uniform(0.0, 3.0)])
        luma = (
            spec.luma
            if spec.luma is not None
            else float(rng.choice([rng.uniform(15.0, 60.0), rng.uniform(215.0, 250.0)]))
        )
        return _Thrown(
            truth_kind=spec.kind,
            spec=spec,
            release=release,
            velocity=vel,
            size_m=obj.length_m * spec.scale,
            aspect=obj.width_m / obj.length_m,
            luma=luma,
            spin_hz=float(rng.uniform(0.5, 3.0)),
        )

    def _path(self, th: _Thrown) -> npt.NDArray[np.float64]:
        """World positions at every sub-sample of every frame (frames × S × 3), NaN before release."""
        spec = self.spec
        s = 8
        frames = spec.frame_count
        t = np.arange(frames)[:, None] / spec.fps + (np.arange(s)[None, :] + 0.5) / s * self.exposure_s
        rel = (t - th.spec.release_s).ravel()
        pos = np.full((rel.size, 3), np.nan)
        after = rel >= 0.0
        if after.any():
            start = (float(th.release[0]), float(th.release[1]), float(th.release[2]))
            vel = (float(th.velocity[0]), float(th.velocity[1]), float(th.velocity[2]))
            pos[after] = integrate(OBJECTS[th.truth_kind], start, vel, rel[after])
        return pos.reshape(frames, s, 3)

    def _truth(self, th: _Thrown, path: npt.NDArray[np.float64]) -> ThrowTruth:
        spec = self.spec
        traj: list[tuple[float, float, float]] = []
        sizes: list[float] = []
        rule_s: float | None = None
        for i in range(spec.frame_count):
            p = path[i, path.shape[1] // 2]
            if np.isnan(p[0]) or p[1] <= 0.0:
                continue
            if rule_s is None and p[1] <= th.release[1] - 1.5 * self.geo.floor_height_m:
                rule_s = i / spec.fps
            img, depth = self.camera.project(p[None, :])
            x, y = float(img[0, 0]), float(img[0, 1])
            if 0 <= x < spec.width and 0 <= y < spec.height:
                traj.append((i / spec.fps, x, y))
                sizes.append(th.size_m * self.camera.focal_px / float(depth[0]))
        # Contrast against the static scene along the path (a dark bottle over a dark window is hard).
        still = self.backdrop.image
        bg = float(np.median([still[int(y), int(x)] for _, x, y in traj])) if traj else float(np.median(still))
        return ThrowTruth(
            kind=th.truth_kind,
            floor=th.spec.floor,
            column=th.spec.column,
            release_s=th.spec.release_s,
            terminal_velocity_mps=OBJECTS[th.truth_kind].terminal_velocity,
            size_px=float(np.median(sizes)) if sizes else 0.0,
            contrast=abs(th.luma - bg),
            rule_s=rule_s,
            trajectory=tuple(traj),
        )

    # -- rendering ---------------------------------------------------------------------------
    def frames(self) -> Iterator[U8]:
        spec = self.spec
        base = self.backdrop.image
        for i in range(spec.frame_count):
            t = i / spec.fps
            frame = base.copy()
            stage_done = False
            for eff in self.effects:
                if eff.stage > 0 and not stage_done:
                    self._draw_throws(frame, i)
                    stage_done = True
                eff.apply(frame, t)
            if not stage_done:
                self._draw_throws(frame, i)
            if spec.noise_sigma > 0:
                # Our own generator, not cv2.randn: OpenCV's RNG is global and would break reproducibility.
                noise = self._noise_rng.standard_normal(frame.shape, dtype=np.float32)
                frame += noise * np.float32(spec.noise_sigma)
            np.clip(frame, 0.0, 255.0, out=frame)
            yield (frame + 0.5).astype(np.uint8)

    def _draw_throws(self, frame: F32, i: int) -> None:
        cam = self.camera
        for th, path in zip(self._thrown, self._paths, strict=True):
            sub = path[i]
            ok = ~np.isnan(sub[:, 0]) & (sub[:, 1] > 0.0)
            if not ok.any():
                continue
            pts, depth = cam.project(sub[ok])
            r = 0.5 * th.size_m * cam.focal_px / depth
            t = i / self.spec.fps
            angle = np.full(r.shape, 2 * math.pi * th.spin_hz * t)
            stamp_blurred(frame, pts, r, r * th.aspect, angle, th.luma)

    def ground_truth(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "seed": spec.seed,
            "width": spec.width,
            "height": spec.height,
            "fps": spec.fps,
            "duration_s": spec.duration_s,
            "distance_m": spec.distance_m,
            "distractors": [d.family for d in spec.distractors],
            "throws": [t.as_json() for t in self.truth],
        }


__all__ = ["FAMILIES", "DistractorSpec", "Scene", "SceneSpec", "ThrowSpec", "ThrowTruth"]
