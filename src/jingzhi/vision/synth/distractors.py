"""Distractor families: things that move or change on a facade camera but are not thrown objects.

Each family is an ``Effect`` drawn into the float frame at one of four stages: on the facade,
near the lens, photometric (whole-image light) and geometric (the camera itself moves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, get_args

import cv2
import numpy as np
import numpy.typing as npt

from jingzhi.vision.synth.camera import PinholeCamera
from jingzhi.vision.synth.stamp import stamp_blurred, stamp_gaussian
from jingzhi.vision.synth.texture import Backdrop, FacadeGeometry

F32 = npt.NDArray[np.float32]

STAGE_SCENE, STAGE_NEAR, STAGE_LIGHT, STAGE_CAMERA = 0, 1, 2, 3

Family = Literal[
    "birds",
    "leaves",
    "paper",
    "insects",
    "rain",
    "laundry",
    "cloud_shadows",
    "exposure",
    "ir_switch",
    "headlights",
    "shake",
    "glints",
    "people",
]
FAMILIES: tuple[str, ...] = get_args(Family)


@dataclass
class Context:
    cam: PinholeCamera
    geo: FacadeGeometry
    backdrop: Backdrop
    fps: float
    exposure_s: float
    duration_s: float
    subsamples: int = 4


@dataclass
class Effect:
    family: str
    stage: int
    rng: np.random.Generator
    ctx: Context
    state: dict[str, float] = field(default_factory=dict)

    def apply(self, frame: F32, t: float) -> None:
        raise NotImplementedError

    def sub_times(self, t: float) -> npt.NDArray[np.float64]:
        s = self.ctx.subsamples
        return t + (np.arange(s) + 0.5) / s * self.ctx.exposure_s


def _draw_world_track(
    frame: F32,
    ctx: Context,
    world: npt.NDArray[np.float64],
    size_m: float,
    aspect: npt.NDArray[np.float64] | float,
    value: float,
    angle: float = 0.0,
) -> None:
    pts, depth = ctx.cam.project(world)
    if np.any(depth <= 0.5):
        return
    r = 0.5 * size_m * ctx.cam.focal_px / depth
    asp = np.broadcast_to(np.asarray(aspect, dtype=np.float64), r.shape)
    stamp_blurred(frame, pts, r, r * asp, np.full(r.shape, angle), value)


class Birds(Effect):
    """Flapping, gliding and climbing birds crossing in front of the facade."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("birds", STAGE_SCENE, rng, ctx)
        geo = ctx.geo
        self.birds: list[tuple[str, npt.NDArray[np.float64], npt.NDArray[np.float64], float, float, float]] = []
        for _ in range(count):
            mode = str(rng.choice(["flap", "glide", "up"]))
            speed = rng.uniform(5.0, 12.0)
            direction = rng.choice([-1.0, 1.0])
            if mode == "glide":
                ang = math.radians(rng.uniform(-30.0, -5.0))
            elif mode == "up":
                ang = math.radians(rng.uniform(15.0, 50.0))
            else:
                ang = math.radians(rng.uniform(-8.0, 8.0))
            vel = np.array([direction * speed * math.cos(ang), speed * math.sin(ang), rng.uniform(-0.5, 0.5)])
            t0 = rng.uniform(0.0, max(ctx.duration_s - 1.0, 0.1))
            y0 = rng.uniform(0.3, 0.9) * geo.height_m
            x0 = -2.0 if direction > 0 else geo.width_m + 2.0
            start = np.array([x0 + rng.uniform(0.0, 0.3) * geo.width_m * direction, y0, rng.uniform(1.0, 8.0)])
            self.birds.append(
                (mode, start, vel, t0, rng.uniform(3.0, 7.0), rng.uniform(0.25, 0.45))  # flap Hz, size
            )

    def apply(self, frame: F32, t: float) -> None:
        ts = self.sub_times(t)
        for mode, start, vel, t0, flap_hz, size in self.birds:
            if t < t0:
                continue
            dt = ts - t0
            world = start[None, :] + dt[:, None] * vel[None, :]
            phase = np.sin(2 * np.pi * flap_hz * dt)
            if mode == "flap":
                world[:, 1] += 0.15 * phase  # body bobs with each wing beat
                aspect = 0.25 + 0.2 * np.abs(phase)
            else:
                aspect = np.full(dt.shape, 0.22)
            _draw_world_track(frame, self.ctx, world, size, aspect, 45.0)


class FallingFlutter(Effect):
    """Leaves from the trees or paper from balconies: slow terminal descent with sideways flutter."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int, from_balconies: bool) -> None:
        super().__init__("paper" if from_balconies else "leaves", STAGE_SCENE, rng, ctx)
        geo = ctx.geo
        self.items: list[tuple[npt.NDArray[np.float64], float, float, float, float, float, float, float]] = []
        for _ in range(count):
            if from_balconies:
                floor = int(rng.integers(3, geo.floors + 1))
                x, y = geo.window_centre(floor, int(rng.integers(1, geo.columns + 1)))
                start = np.array([x, y - 0.5, rng.uniform(0.3, 1.5)])
                vt = rng.uniform(0.6, 1.8)
                size = rng.uniform(0.15, 0.3)
                value = float(rng.uniform(200.0, 240.0))
            else:
                cx, cy, cz = ctx.backdrop.tree_world[int(rng.integers(0, len(ctx.backdrop.tree_world)))]
                start = np.array([cx + rng.uniform(-2.0, 2.0), cy + rng.uniform(0.0, 2.5), cz + rng.uniform(-1.0, 1.0)])
                vt = rng.uniform(0.8, 2.0)
                size = rng.uniform(0.05, 0.12)
                value = float(rng.uniform(40.0, 110.0))
            t0 = rng.uniform(-1.0, max(ctx.duration_s - 1.0, 0.1))
            amp = rng.uniform(0.2, 0.8)
            period = rng.uniform(0.8, 2.0)
            drift = rng.uniform(-0.6, 0.6)
            self.items.append((start, t0, vt, amp, period, drift, size, value))

    def apply(self, frame: F32, t: float) -> None:
        ts = self.sub_times(t)
        for start, t0, vt, amp, period, drift, size, value in self.items:
            dt = ts - t0
            if dt[0] < 0:
                continue
            world = np.empty((dt.size, 3))
            world[:, 0] = start[0] + drift * dt + amp * np.sin(2 * np.pi * dt / period)
            # Flutter: the descent rate swings with the sideways motion, like a falling leaf.
            world[:, 1] = start[1] - vt * dt - 0.25 * amp * np.cos(4 * np.pi * dt / period)
            world[:, 2] = start[2]
            if world[0, 1] < 0.0:
                continue
            aspect = 0.3 + 0.6 * np.abs(np.cos(2 * np.pi * dt / period))
            _draw_world_track(frame, self.ctx, world, size, aspect, value)


class Insects(Effect):
    """Insects close to the lens: large, defocused, erratic blobs (bright under IR, dark by day)."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("insects", STAGE_NEAR, rng, ctx)
        w, h = ctx.cam.width, ctx.cam.height
        n = max(int(ctx.duration_s * ctx.fps) + 2, 2)
        self.paths: list[tuple[npt.NDArray[np.float64], float, float, float]] = []
        for _ in range(count):
            # Random walk in velocity: erratic, with occasional dives.
            vel = rng.standard_normal((n, 2)) * (0.25 * w / ctx.fps)
            vel = np.cumsum(vel, axis=0) * 0.3
            pos = np.cumsum(vel, axis=0) + np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.7) * h])
            sigma = rng.uniform(0.012, 0.035) * w
            amp = float(rng.choice([-1.0, 1.0]) * rng.uniform(25.0, 60.0))
            t0 = rng.uniform(0.0, max(ctx.duration_s - 1.5, 0.1))
            self.paths.append((pos, sigma, amp, t0))

    def apply(self, frame: F32, t: float) -> None:
        for pos, sigma, amp, t0 in self.paths:
            if t < t0 or t > t0 + 2.5:
                continue
            i = min(int((t - t0) * self.ctx.fps), pos.shape[0] - 1)
            stamp_gaussian(frame, float(pos[i, 0]), float(pos[i, 1]), sigma, amp)


class Rain(Effect):
    """Raindrops at 1-25 m from the camera falling at 4-9 m/s, drawn as exposure-length streaks."""

    def __init__(self, rng: np.random.Generator, ctx: Context, density: int) -> None:
        super().__init__("rain", STAGE_NEAR, rng, ctx)
        self.density = density
        cam = ctx.cam
        n = density * max(int(ctx.duration_s * 2) + 2, 2)
        self.depth = rng.uniform(1.0, 25.0, n)
        self.speed = rng.uniform(4.0, 9.0, n)
        self.t0 = rng.uniform(-2.0, ctx.duration_s, n)
        self.x = rng.uniform(0.0, cam.width, n)
        self.wind = rng.uniform(-0.15, 0.15)
        # A 2-4 mm drop covers a fraction of a pixel when far: its streak fades with distance.
        coverage = np.clip(rng.uniform(0.002, 0.004, n) * cam.focal_px / self.depth, 0.05, 1.0)
        self.brightness = rng.uniform(30.0, 70.0, n) * coverage

    def apply(self, frame: F32, t: float) -> None:
        cam = self.ctx.cam
        px_speed = self.speed * cam.focal_px / self.depth  # image px per second
        y_start = (t - self.t0) * px_speed - 0.2 * cam.height
        visible = (y_start > -50) & (y_start < cam.height + 50)
        length = px_speed * self.ctx.exposure_s
        layer = np.zeros_like(frame)
        for i in np.nonzero(visible)[0][: self.density * 3]:
            x = self.x[i] + self.wind * y_start[i]
            p0 = (int(x * 4), int(y_start[i] * 4))
            p1 = (int((x + self.wind * length[i]) * 4), int((y_start[i] + length[i]) * 4))
            thick = 1 if self.depth[i] > 4.0 else 2
            cv2.line(layer, p0, p1, float(self.brightness[i]), thick, cv2.LINE_AA, shift=2)
        frame += layer


class Laundry(Effect):
    """Clothes hung on balcony rails, swinging in the wind (periodic, never falls)."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("laundry", STAGE_SCENE, rng, ctx)
        geo = ctx.geo
        floors = sorted(ctx.backdrop.balcony_floors) or list(range(2, geo.floors + 1))
        self.items: list[tuple[float, float, float, float, float, float, float]] = []
        for _ in range(count):
            floor = int(rng.choice(floors))
            x, _ = geo.window_centre(floor, int(rng.integers(1, geo.columns + 1)))
            rail_y = (floor - 1) * geo.floor_height_m + 2.3
            self.items.append(
                (
                    x,
                    rail_y,
                    rng.uniform(0.4, 0.9),  # cloth width
                    rng.uniform(0.6, 1.1),  # cloth length
                    rng.uniform(0.2, 0.6),  # swing amplitude (rad)
                    rng.uniform(1.2, 3.0),  # period
                    float(rng.uniform(190.0, 245.0)),
                )
            )

    def apply(self, frame: F32, t: float) -> None:
        cam = self.ctx.cam
        for x, rail_y, cw, cl, amp, period, value in self.items:
            theta = amp * math.sin(2 * math.pi * t / period)
            # The cloth swings about the rail toward and away from the camera and sideways.
            dz = cl * math.sin(theta)
            dy = cl * math.cos(theta)
            dx = 0.3 * cl * math.sin(theta)
            quad = np.array(
                [
                    [x - cw / 2, rail_y, 0.8],
                    [x + cw / 2, rail_y, 0.8],
                    [x + cw / 2 + dx, rail_y - dy, 0.8 + dz],
                    [x - cw / 2 + dx, rail_y - dy, 0.8 + dz],
                ]
            )
            pts, _ = cam.project(quad)
            mask = np.zeros(frame.shape, np.uint8)
            cv2.fillPoly(mask, [np.round(pts * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
            alpha = mask.astype(np.float32) / 255.0
            frame *= 1.0 - alpha
            frame += alpha * value


class CloudShadows(Effect):
    """Soft cloud shadows drifting across the whole scene."""

    def __init__(self, rng: np.random.Generator, ctx: Context, strength: float) -> None:
        super().__init__("cloud_shadows", STAGE_LIGHT, rng, ctx)
        w, h = ctx.cam.width, ctx.cam.height
        self.small_w, self.small_h = 48, max(int(48 * h / w), 8)
        field_ = rng.standard_normal((self.small_h, self.small_w * 3)).astype(np.float32)
        field_ = np.asarray(cv2.GaussianBlur(field_, (0, 0), 3.0), dtype=np.float32)
        field_ = (field_ - field_.mean()) / (field_.std() + 1e-6)
        self.field = np.clip(field_ * 0.8 + 0.3, 0.0, 1.0) * strength
        self.speed = rng.uniform(1.0, 4.0) * rng.choice([-1.0, 1.0])  # low-res columns per second
        self.offset = rng.uniform(0.0, self.small_w)

    def apply(self, frame: F32, t: float) -> None:
        shift = (self.offset + self.speed * t) % (2 * self.small_w)
        m = np.array([[1.0, 0.0, -shift], [0.0, 1.0, 0.0]], dtype=np.float32)
        window = cv2.warpAffine(self.field, m, (self.small_w, self.small_h), flags=cv2.INTER_LINEAR)
        gain = cv2.resize(1.0 - window, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        frame *= gain


class Exposure(Effect):
    """Auto-exposure drift plus sudden exposure steps (the camera reacting to the sun)."""

    def __init__(self, rng: np.random.Generator, ctx: Context, ir_switch: bool = False) -> None:
        super().__init__("ir_switch" if ir_switch else "exposure", STAGE_LIGHT, rng, ctx)
        self.ir = ir_switch
        self.drift_amp = rng.uniform(0.02, 0.06)
        self.drift_period = rng.uniform(4.0, 12.0)
        self.step_t = rng.uniform(0.25, 0.75) * ctx.duration_s
        self.step_gain = rng.choice([-1.0, 1.0]) * rng.uniform(0.15, 0.35)

    def apply(self, frame: F32, t: float) -> None:
        ramp = float(np.clip((t - self.step_t) * self.ctx.fps / 3.0, 0.0, 1.0))  # settles over 3 frames
        if self.ir:
            # Day -> IR night mode: contrast collapses, image brightens and goes flat.
            frame *= 1.0 - 0.55 * ramp
            frame += 90.0 * ramp
        else:
            gain = 1.0 + self.drift_amp * math.sin(2 * math.pi * t / self.drift_period) + self.step_gain * ramp
            frame *= gain


class Headlights(Effect):
    """Car headlights sweeping across the lower floors at night."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("headlights", STAGE_LIGHT, rng, ctx)
        w, h = ctx.cam.width, ctx.cam.height
        self.sweeps = [
            (
                rng.uniform(0.0, max(ctx.duration_s - 1.0, 0.1)),
                rng.uniform(0.6, 1.8),
                rng.uniform(0.55, 0.9) * h,
                rng.uniform(0.06, 0.15) * w,
                rng.uniform(0.3, 0.8),
                float(rng.choice([-1.0, 1.0])),
            )
            for _ in range(count)
        ]

    def apply(self, frame: F32, t: float) -> None:
        w = self.ctx.cam.width
        for t0, dur, y, sigma, gain, direction in self.sweeps:
            if not t0 <= t <= t0 + dur:
                continue
            u = (t - t0) / dur
            x = (u if direction > 0 else 1 - u) * w * 1.4 - 0.2 * w
            stamp_gaussian(frame, x, y, sigma, gain, multiply=True)


class Glints(Effect):
    """Sun glints on window glass: a pane flares for a few frames."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("glints", STAGE_SCENE, rng, ctx)
        geo = ctx.geo
        self.glints = []
        for _ in range(count):
            x, y = geo.window_centre(int(rng.integers(1, geo.floors + 1)), int(rng.integers(1, geo.columns + 1)))
            self.glints.append(
                (x, y, rng.uniform(0.0, ctx.duration_s), rng.uniform(0.1, 0.4), rng.uniform(60.0, 140.0))
            )

    def apply(self, frame: F32, t: float) -> None:
        cam = self.ctx.cam
        for x, y, t0, dur, amp in self.glints:
            if not t0 <= t <= t0 + dur:
                continue
            level = math.sin(math.pi * (t - t0) / dur)
            pts, depth = cam.project(np.array([[x, y, 0.0]]))
            sigma = 0.4 * cam.focal_px / float(depth[0])
            stamp_gaussian(frame, float(pts[0, 0]), float(pts[0, 1]), max(sigma, 1.0), amp * level)


class People(Effect):
    """Residents walking along balconies and bending over the railing."""

    def __init__(self, rng: np.random.Generator, ctx: Context, count: int) -> None:
        super().__init__("people", STAGE_SCENE, rng, ctx)
        geo = ctx.geo
        floors = sorted(ctx.backdrop.balcony_floors) or list(range(2, geo.floors + 1))
        self.people = []
        for _ in range(count):
            floor = int(rng.choice(floors))
            self.people.append(
                (
                    rng.uniform(0.0, geo.width_m),
                    (floor - 1) * geo.floor_height_m,
                    rng.uniform(-1.2, 1.2),
                    rng.uniform(0.0, max(ctx.duration_s - 2.0, 0.1)),
                    float(rng.uniform(30.0, 90.0)),
                )
            )

    def apply(self, frame: F32, t: float) -> None:
        for x0, floor_y, speed, t0, value in self.people:
            if t < t0:
                continue
            x = x0 + speed * (t - t0)
            bend = 0.3 * max(math.sin(1.5 * (t - t0)), 0.0)
            world = np.array([[x, floor_y + 1.3 - bend, 0.3]])
            _draw_world_track(frame, self.ctx, world, 0.5, 2.0, value, angle=math.pi / 2)


class Shake(Effect):
    """Pole shake: sub-pixel to 3 px oscillation of the whole image."""

    def __init__(self, rng: np.random.Generator, ctx: Context, amplitude_px: float) -> None:
        super().__init__("shake", STAGE_CAMERA, rng, ctx)
        self.amp = amplitude_px
        self.freq = rng.uniform(1.0, 4.0, 2)
        self.phase = rng.uniform(0.0, 2 * np.pi, 2)
        self.gusts = rng.uniform(0.0, ctx.duration_s, 2)

    def apply(self, frame: F32, t: float) -> None:
        # Wind gusts modulate the shake so it starts and stops within a clip.
        env = 0.3 + 0.7 * float(np.exp(-((t - self.gusts) ** 2) / 2.0).max())
        dx = self.amp * env * math.sin(2 * math.pi * self.freq[0] * t + self.phase[0])
        dy = 0.6 * self.amp * env * math.sin(2 * math.pi * self.freq[1] * t + self.phase[1])
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
        frame[:] = cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]), borderMode=cv2.BORDER_REFLECT)


def make_effect(family: str, rng: np.random.Generator, ctx: Context, level: float = 1.0) -> Effect:
    """One distractor of ``family`` at intensity ``level`` (1 = a typical busy scene)."""
    n = max(round(3 * level), 1)
    if family == "birds":
        return Birds(rng, ctx, n)
    if family == "leaves":
        return FallingFlutter(rng, ctx, max(round(6 * level), 1), from_balconies=False)
    if family == "paper":
        return FallingFlutter(rng, ctx, n, from_balconies=True)
    if family == "insects":
        return Insects(rng, ctx, n)
    if family == "rain":
        return Rain(rng, ctx, max(int(40 * level), 1))
    if family == "laundry":
        return Laundry(rng, ctx, n)
    if family == "cloud_shadows":
        return CloudShadows(rng, ctx, 0.35 * min(level, 2.0))
    if family == "exposure":
        return Exposure(rng, ctx)
    if family == "ir_switch":
        return Exposure(rng, ctx, ir_switch=True)
    if family == "headlights":
        return Headlights(rng, ctx, n)
    if family == "shake":
        return Shake(rng, ctx, 1.5 * level)
    if family == "glints":
        return Glints(rng, ctx, n)
    if family == "people":
        return People(rng, ctx, n)
    raise ValueError(f"unknown distractor family {family!r}; known: {', '.join(FAMILIES)}")
