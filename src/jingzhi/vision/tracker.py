"""Multi-target tracker with a constant-acceleration Kalman model that coasts through missed frames.

Small falling objects after H.264 are missed in 40-70 % of frames, so a track must survive gaps;
the constant-acceleration model predicts a parabola, which is what a thrown object follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from jingzhi.vision.change import Blob
from jingzhi.vision.config import TrackConfig

FloatArray = npt.NDArray[np.float64]

G = 9.81
_ids = count(1)


class TrackPoint(NamedTuple):
    """One detection of a track (a named tuple: one is made for every blob on every frame)."""

    frame: int
    t: float
    x: float
    y: float
    area: int
    extent: int
    polarity: int


@dataclass
class Track:
    """Internal, mutable tracker state; the physics gate reads ``points``.

    The Kalman state and covariance live in the tracker's arrays (one row per track, in the order
    of ``Tracker.tracks``): rain and clutter keep dozens of tentative tracks alive, and a few numpy
    calls on all of them cost less than one per track.
    """

    id: int
    ppm: float  # local pixels per metre where the track started (metric gates, process noise)
    points: list[TrackPoint] = field(default_factory=list)
    missed: int = 0
    missed_s: float = 0.0
    hidden_s: float = 0.0  # time coasted behind masks since the last detection
    global_frames: int = 0
    # Other blobs seen near the track, summed over the frames it was looked at (``clutter_frames``):
    # where changes are dense, chance chains of unrelated blobs pass the physics gate.
    clutter: int = 0
    clutter_frames: int = 0
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
        self._jerk = np.array([config.jerk_sigma_x_mps3, config.jerk_sigma_mps3])
        self.tracks: list[Track] = []
        # Row i belongs to ``tracks[i]``: per axis (x, y) position, velocity, acceleration in px,
        # px/s, px/s²; their covariances; and the process noise added at each prediction, which
        # depends only on the track's ppm and so is computed once, when the track starts.
        self.state: FloatArray = np.zeros((0, 2, 3))
        self.cov: FloatArray = np.zeros((0, 2, 3, 3))
        self._noise: FloatArray = np.zeros((0, 2, 3, 3))

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
        tracks = self.tracks
        ended: list[Track] = []
        if not tracks and (skip or not blobs):
            return ended
        if tracks:
            # Predict every track and both axes at once.
            F = self.F
            self.state = self.state @ F.T
            self.cov = F @ self.cov @ F.T + self._noise
        if skip:
            for tr in tracks:
                tr.global_frames += 1
                tr.missed_s += dt
            return ended

        used = [False] * len(blobs)
        if blobs and tracks:
            self._associate(blobs, used, frame, t)
        # Unmatched tracks age; tentative ones die fast so clutter does not pile up.
        keep: list[Track] = []
        rows: list[int] = []
        positions: list[list[float]] | None = None  # the predicted (x, y) of every track, as floats, once needed
        for i, tr in enumerate(tracks):
            if tr.points[-1].frame == frame:
                keep.append(tr)
                rows.append(i)
                continue
            confirmed = len(tr.points) >= cfg.confirm_hits
            if confirmed and hidden is not None and tr.hidden_s < cfg.max_hidden_s:
                if positions is None:
                    positions = self.state[:, :, 0].tolist()
                if hidden(*positions[i]):
                    tr.hidden_s += dt
                    keep.append(tr)
                    rows.append(i)
                    continue
            tr.missed += 1
            tr.missed_s += dt
            if (confirmed and tr.missed_s > cfg.max_missed_s) or (not confirmed and tr.missed > cfg.tentative_missed):
                ended.append(tr)
            else:
                keep.append(tr)
                rows.append(i)
        if ended:
            idx = np.array(rows, dtype=np.intp)
            self.state, self.cov, self._noise = self.state[idx], self.cov[idx], self._noise[idx]
        self.tracks = keep
        fresh = [b for b, u in zip(blobs, used, strict=True) if not u]
        if fresh:
            self._start(fresh, frame, t)
        return ended

    def count_clutter(self, blobs: tuple[Blob, ...], frame: int, radius2: float) -> None:
        """Add to each confirmed track the number of other blobs within ``sqrt(radius2)`` px of it.

        Call after ``step`` on an analysed frame. Measured from where the track is (its detection on
        this frame, or its prediction when missed); its own blob, and the pieces the codec broke it
        into, do not count.
        """
        rows = [i for i, tr in enumerate(self.tracks) if len(tr.points) >= self.cfg.confirm_hits]
        if not rows:
            return
        tracks = [self.tracks[i] for i in rows]
        pos = self.state[rows, :, 0]  # (m, 2): x, y
        own = np.zeros(len(rows))
        for j, tr in enumerate(tracks):
            last = tr.points[-1]
            if last.frame == frame:
                pos[j] = (last.x, last.y)
                own[j] = (last.extent + 3.0) ** 2
            tr.clutter_frames += 1
        if not blobs:
            return
        bxy = np.array([(b.x, b.y) for b in blobs])
        d2 = ((pos[:, None, :] - bxy[None, :, :]) ** 2).sum(axis=2)
        counts = ((d2 <= radius2) & (d2 > own[:, None])).sum(axis=1)
        for tr, c in zip(tracks, counts.tolist(), strict=True):
            tr.clutter += c

    def flush(self) -> list[Track]:
        out, self.tracks = self.tracks, []
        self.state, self.cov, self._noise = self.state[:0], self.cov[:0], self._noise[:0]
        return out

    def _start(self, blobs: list[Blob], frame: int, t: float) -> None:
        """A new track on each of ``blobs``: at rest but for gravity, with wide speed uncertainty."""
        cfg = self.cfg
        r = cfg.measurement_sigma_px**2
        states: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = []
        variances: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = []
        for b in blobs:
            ppm = b.ppm
            g_px = G * ppm
            v_sigma = cfg.max_speed_mps * ppm / 2.0
            states.append(((b.x, 0.0, 0.0), (b.y, 0.0, 0.5 * g_px)))
            variances.append(
                ((r, (cfg.max_side_speed_mps * ppm / 2.0) ** 2, (0.3 * g_px) ** 2), (r, v_sigma**2, (0.5 * g_px) ** 2))
            )
            tr = Track(id=next(_ids), ppm=ppm)
            tr.points.append(TrackPoint(frame, t, b.x, b.y, b.area, b.extent, b.polarity))
            self.tracks.append(tr)
        n = len(blobs)
        cov = np.zeros((n, 2, 3, 3))
        diag = np.arange(3)
        cov[:, :, diag, diag] = variances
        ppms = np.array([b.ppm for b in blobs])
        q = (self._jerk[None, :] * ppms[:, None]) ** 2  # (n, 2): jerk variance per axis
        noise = q[:, :, None, None] * self.Q1
        self.state = np.concatenate((self.state, np.array(states)))
        self.cov = np.concatenate((self.cov, cov))
        self._noise = np.concatenate((self._noise, noise))

    def _associate(self, blobs: tuple[Blob, ...], used: list[bool], frame: int, t: float) -> None:
        cfg = self.cfg
        tracks = self.tracks
        r = cfg.measurement_sigma_px**2
        bx = np.array([b.x for b in blobs])
        by = np.array([b.y for b in blobs])
        state, cov = self.state, self.cov
        px, py = state[:, 0, 0], state[:, 1, 0]
        sx, sy = cov[:, 0, 0, 0] + r, cov[:, 1, 0, 0] + r
        d2 = (bx[None, :] - px[:, None]) ** 2 / sx[:, None] + (by[None, :] - py[:, None]) ** 2 / sy[:, None]
        # Confirmed tracks choose first: a long track's prediction is worth more than a fresh pairing.
        confirmed = np.array([len(tr.points) >= cfg.confirm_hits for tr in tracks], dtype=bool)
        priority = d2 - 1000.0 * confirmed[:, None]
        valid = d2 <= cfg.gate_chi2
        n_valid = int(np.count_nonzero(valid))
        if n_valid == 0:
            return
        order = np.argsort(np.where(valid, priority, np.inf), axis=None)
        track_used = [False] * len(tracks)
        n_blobs = len(blobs)
        pairs_t: list[int] = []
        pairs_b: list[int] = []
        most = min(len(tracks), n_blobs)  # once every track or every blob is taken, nothing can pair
        for flat in order[:n_valid].tolist():
            if len(pairs_t) == most:
                break
            ti, bi = divmod(flat, n_blobs)
            if track_used[ti] or used[bi]:
                continue
            tr = tracks[ti]
            b = blobs[bi]
            if len(tr.points) == 1 and not self._plausible_start(tr, b, frame):
                continue
            if frame - tr.points[-1].frame > _REFIND_FRAMES and not _same_size(tr, b):
                # After a long coast the gate is wide: insist on an object of about the same size.
                continue
            track_used[ti] = True
            used[bi] = True
            pairs_t.append(ti)
            pairs_b.append(bi)
            tr.points.append(TrackPoint(frame, t, b.x, b.y, b.area, b.extent, b.polarity))
            tr.missed = 0
            tr.missed_s = 0.0
            tr.hidden_s = 0.0
        if pairs_t:
            self._update(np.array(pairs_t, dtype=np.intp), bx[pairs_b], by[pairs_b])

    def _plausible_start(self, tr: Track, b: Blob, frame: int) -> bool:
        # Two-point start: the step must be a speed a thrown object can have, in metres per second.
        cfg = self.cfg
        p0 = tr.points[0]
        dt = (frame - p0.frame) * self.dt
        ppm = tr.ppm
        vx = (b.x - p0.x) / dt / ppm
        vy = (b.y - p0.y) / dt / ppm  # image y grows downward
        return abs(vx) <= cfg.max_side_speed_mps and -cfg.max_up_speed_mps <= vy <= cfg.max_speed_mps

    def _update(self, rows: npt.NDArray[np.intp], x: FloatArray, y: FloatArray) -> None:
        """Kalman update of tracks ``rows`` with measured positions (x, y), all at once.

        The axes are independent and only the position is measured, so each axis's update is a few
        element-wise operations (the same, element by element, as one track at a time).
        """
        r = self.cfg.measurement_sigma_px**2
        p = self.cov[rows]  # (m, 2, 3, 3)
        state = self.state[rows]  # (m, 2, 3)
        k = p[:, :, :, 0] / (p[:, :, 0, 0] + r)[:, :, None]  # (m, 2, 3) gains
        innovation = np.stack((x, y), axis=1) - state[:, :, 0]  # (m, 2)
        self.state[rows] = state + k * innovation[:, :, None]
        self.cov[rows] = p - k[:, :, :, None] * p[:, :, None, 0, :]


_REFIND_FRAMES = 3  # frames without a detection after which a re-found object must match in size
_SIZE_RATIO = 5.0  # motion blur changes a falling object's blob area, but not by more than this


def _same_size(tr: Track, b: Blob) -> bool:
    recent = sorted(p.area for p in tr.points[-5:])
    typical = max(recent[len(recent) // 2], 1)
    return typical / _SIZE_RATIO <= b.area <= typical * _SIZE_RATIO
