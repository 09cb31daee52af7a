"""Multi-target tracker with a constant-acceleration Kalman model that coasts through missed frames.

Small falling objects after H.264 are missed in 40-70 % of frames, so a track must survive gaps;
the constant-acceleration model predicts a parabola, which is what a thrown object follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

import numpy as np
import numpy.typing as npt

from jingzhi.vision.change import Blob
from jingzhi.vision.config import TrackConfig

FloatArray = npt.NDArray[np.float64]

G = 9.81
_ids = count(1)


@dataclass(frozen=True)
class TrackPoint:
    frame: int
    t: float
    x: float
    y: float
    area: int
    extent: int
    polarity: int


@dataclass
class Track:
    """Internal, mutable tracker state; the physics gate reads ``points``."""

    id: int
    state: FloatArray  # (2, 3): per axis (x, y) position, velocity, acceleration in px, px/s, px/s²
    cov: FloatArray  # (2, 3, 3)
    ppm: float  # local pixels per metre where the track started (metric gates, process noise)
    points: list[TrackPoint] = field(default_factory=list)
    missed: int = 0
    missed_s: float = 0.0
    hidden_s: float = 0.0  # time coasted behind masks since the last detection
    global_frames: int = 0
    alarm_t: float | None = None
    alarm_origin: tuple[float, float] | None = None

    @property
    def hits(self) -> int:
        return len(self.points)


class Tracker:
    def __init__(self, config: TrackConfig, fps: float) -> None:
        self.cfg = config
        self.dt = 1.0 / fps
        dt = self.dt
        self.F = np.array([[1.0, dt, 0.5 * dt * dt], [0.0, 1.0, dt], [0.0, 0.0, 1.0]])
        self.Q1 = np.array(
            [
                [dt**5 / 20.0, dt**4 / 8.0, dt**3 / 6.0],
                [dt**4 / 8.0, dt**3 / 3.0, dt**2 / 2.0],
                [dt**3 / 6.0, dt**2 / 2.0, dt],
            ]
        )
        self.tracks: list[Track] = []

    def _new_track(self, blob: Blob, frame: int, t: float, ppm: float) -> Track:
        cfg = self.cfg
        g_px = G * ppm
        v_sigma = cfg.max_speed_mps * ppm / 2.0
        state = np.array([[blob.x, 0.0, 0.0], [blob.y, 0.0, 0.5 * g_px]])
        r = cfg.measurement_sigma_px**2
        cov = np.zeros((2, 3, 3))
        cov[0] = np.diag([r, (cfg.max_side_speed_mps * ppm / 2.0) ** 2, (0.3 * g_px) ** 2])
        cov[1] = np.diag([r, v_sigma**2, (0.5 * g_px) ** 2])
        tr = Track(id=next(_ids), state=state, cov=cov, ppm=ppm)
        tr.points.append(TrackPoint(frame, t, blob.x, blob.y, blob.area, blob.extent, blob.polarity))
        return tr

    def step(
        self,
        blobs: tuple[Blob, ...],
        frame: int,
        t: float,
        skip: bool,
        hidden: Callable[[float, float], bool] | None = None,
    ) -> list[Track]:
        """Advance one frame; returns the tracks that ended on this frame.

        ``skip`` marks a frame with a global change: tracks coast without counting a miss.
        ``hidden(x, y)`` tells whether a predicted position is behind a mask: a confirmed track
        coasts there for up to ``max_hidden_s`` without counting misses.
        """
        cfg = self.cfg
        dt = self.dt
        if self.tracks:
            # Predict every track and both axes at once (rain and clutter keep dozens of tentative
            # tracks alive; a per-track loop of 3×3 products would cost more than the imaging).
            F = self.F
            states = np.stack([tr.state for tr in self.tracks]) @ F.T
            ppm = np.array([tr.ppm for tr in self.tracks])
            q = (np.array([cfg.jerk_sigma_x_mps3, cfg.jerk_sigma_mps3])[None, :] * ppm[:, None]) ** 2  # (N, 2)
            covs = F @ np.stack([tr.cov for tr in self.tracks]) @ F.T + q[:, :, None, None] * self.Q1
            for i, tr in enumerate(self.tracks):
                tr.state = states[i]
                tr.cov = covs[i]
        ended: list[Track] = []
        if skip:
            for tr in self.tracks:
                tr.global_frames += 1
                tr.missed_s += dt
            return ended

        used = np.zeros(len(blobs), dtype=bool)
        if blobs and self.tracks:
            self._associate(blobs, used, frame, t)
        # Unmatched tracks age; tentative ones die fast so clutter does not pile up.
        keep: list[Track] = []
        for tr in self.tracks:
            if tr.points[-1].frame == frame:
                keep.append(tr)
                continue
            confirmed = tr.hits >= cfg.confirm_hits
            if (
                confirmed
                and hidden is not None
                and tr.hidden_s < cfg.max_hidden_s
                and hidden(float(tr.state[0, 0]), float(tr.state[1, 0]))
            ):
                tr.hidden_s += dt
                keep.append(tr)
                continue
            tr.missed += 1
            tr.missed_s += dt
            if (confirmed and tr.missed_s > cfg.max_missed_s) or (not confirmed and tr.missed > cfg.tentative_missed):
                ended.append(tr)
            else:
                keep.append(tr)
        self.tracks = keep
        for i, b in enumerate(blobs):
            if not used[i]:
                self.tracks.append(self._new_track(b, frame, t, b.ppm))
        return ended

    def flush(self) -> list[Track]:
        out, self.tracks = self.tracks, []
        return out

    def _associate(self, blobs: tuple[Blob, ...], used: npt.NDArray[np.bool_], frame: int, t: float) -> None:
        cfg = self.cfg
        r = cfg.measurement_sigma_px**2
        bx = np.array([b.x for b in blobs])
        by = np.array([b.y for b in blobs])
        pos = np.array([(tr.state[0, 0], tr.state[1, 0], tr.cov[0, 0, 0], tr.cov[1, 0, 0]) for tr in self.tracks])
        px, py = pos[:, 0], pos[:, 1]
        sx, sy = pos[:, 2] + r, pos[:, 3] + r
        d2 = (bx[None, :] - px[:, None]) ** 2 / sx[:, None] + (by[None, :] - py[:, None]) ** 2 / sy[:, None]
        # Confirmed tracks choose first: a long track's prediction is worth more than a fresh pairing.
        hits = np.array([tr.hits for tr in self.tracks], dtype=np.float64)
        priority = d2 - 1000.0 * (hits >= cfg.confirm_hits)[:, None]
        valid = d2 <= cfg.gate_chi2
        order = np.argsort(np.where(valid, priority, np.inf), axis=None)
        track_used = np.zeros(len(self.tracks), dtype=bool)
        n_valid = int(valid.sum())
        for flat in order[:n_valid]:
            ti, bi = divmod(int(flat), len(blobs))
            if track_used[ti] or used[bi]:
                continue
            tr = self.tracks[ti]
            b = blobs[bi]
            if tr.hits == 1 and not self._plausible_start(tr, b, frame):
                continue
            if frame - tr.points[-1].frame > _REFIND_FRAMES and not _same_size(tr, b):
                # After a long coast the gate is wide: insist on an object of about the same size.
                continue
            track_used[ti] = True
            used[bi] = True
            self._update(tr, b)
            tr.points.append(TrackPoint(frame, t, b.x, b.y, b.area, b.extent, b.polarity))
            tr.missed = 0
            tr.missed_s = 0.0
            tr.hidden_s = 0.0

    def _plausible_start(self, tr: Track, b: Blob, frame: int) -> bool:
        # Two-point start: the step must be a speed a thrown object can have, in metres per second.
        cfg = self.cfg
        p0 = tr.points[0]
        dt = (frame - p0.frame) * self.dt
        ppm = tr.ppm
        vx = (b.x - p0.x) / dt / ppm
        vy = (b.y - p0.y) / dt / ppm  # image y grows downward
        return abs(vx) <= cfg.max_side_speed_mps and -cfg.max_up_speed_mps <= vy <= cfg.max_speed_mps

    def _update(self, tr: Track, b: Blob) -> None:
        # The axes are independent: one Kalman update of both, with the position measured.
        r = self.cfg.measurement_sigma_px**2
        p = tr.cov
        k = p[:, :, 0] / (p[:, 0, 0] + r)[:, None]  # (2, 3) gains
        innovation = np.array((b.x, b.y)) - tr.state[:, 0]
        tr.state = tr.state + k * innovation[:, None]
        tr.cov = p - k[:, :, None] * p[:, None, 0, :]


_REFIND_FRAMES = 3  # frames without a detection after which a re-found object must match in size
_SIZE_RATIO = 5.0  # motion blur changes a falling object's blob area, but not by more than this


def _same_size(tr: Track, b: Blob) -> bool:
    recent = sorted(p.area for p in tr.points[-5:])
    typical = max(recent[len(recent) // 2], 1)
    return typical / _SIZE_RATIO <= b.area <= typical * _SIZE_RATIO
