"""Thrown-object (高空抛物) detector: change detection -> tracking -> physics gate -> origin window.

Per frame (luma plane, full resolution, facade region only):

1. ``change``: temporal difference AND slow background against an adaptive, edge-aware threshold;
   when change is widespread, compensate camera shake and smooth light changes before looking again;
   frames that stay globally changed (IR switch, exposure step) are skipped, not analysed.
2. ``tracker``: constant-acceleration Kalman tracks that coast through missed detections.
3. ``physics_gate``: in facade metres — downward, between drag-limited and free fall, ≥ 1.5 floors,
   smooth (a track of 1-2 px specks, whose centroids are exact, smoother still), not sideways, not
   upward, plausibly started on the facade; stricter in rain (an accelerating fall of more than
   specks, also without its first points, which in rain are the likeliest to belong to another
   drop or a splash, and with no long stretch of it a drop's steady descent). Before it is judged,
   a track needs more points the more other blobs crowd it (``clutter_weight``): where a passing
   shadow or the codec leaves flickering specks at every window edge, chance chains of them follow
   a parabola as often as not, and only a longer chain tells an object from chance.
4. The origin is the apex of the early trajectory (where it was first seen, if it was still rising
   then), corrected for the release point lying in front of the facade, and named as floor and
   window column through the facade homography. A track first seen well after its release takes
   up the earlier pieces of its fall that the tracker had lost (a speck the codec erased for a
   second), where they lie on the path it can have fallen, and is traced back from them.

Two outputs. An *alarm* (:meth:`ThrowDetector.take_alarms`) is raised on the frame on which a track
first meets the rules — what a live camera worker reports, within a frame of the rule being met.
The *event* (returned by ``process``/``finish``) comes when the track ends, after a short hold that
joins pieces of one fall that the tracker lost and found again; it carries the whole trajectory and
the ``alarm_id`` of the alarm it completes. A second track on an object that already alarmed (a
split blob, a lost-and-found piece) raises no second alarm.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from jingzhi.vision.change import ChangeDetector
from jingzhi.vision.config import ThrowConfig
from jingzhi.vision.facade import Facade
from jingzhi.vision.physics_gate import GateResult, Origin, judge, origin_of
from jingzhi.vision.tracker import Track, Tracker, TrackPoint

U8 = npt.NDArray[np.uint8]

__all__ = ["ThrowConfig", "ThrowDetector", "ThrowEvent"]

# A release back-extrapolated more than this before the first sighting was not seen: look for
# earlier pieces of the fall (``ThrowDetector._earlier_pieces``).
_UNSEEN_START_S = 0.2


@dataclass(frozen=True)
class ThrowEvent:
    """One detected throw. Times are seconds from the start of the video."""

    start_s: float  # first observation of the object
    end_s: float  # last observation
    alarm_s: float  # when the physics rule was first met (what a live worker would alarm at)
    release_s: float  # back-extrapolated release time
    floor: int  # 1 = bottom floor
    column: int  # 1 = leftmost window column
    confidence: float
    origin_m: tuple[float, float]  # (u, v) on the facade, metres from the bottom-left corner
    accel_g: float
    descent_mps: float
    track: tuple[tuple[float, float, float], ...]  # (t, x, y) image pixels
    alarm_id: int = 0  # the alarm (``take_alarms``) that this event completes

    def as_json(self) -> dict[str, Any]:
        """The public JSON shape (the ``vision throws`` output)."""
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "floor": self.floor,
            "column": self.column,
            "confidence": round(self.confidence, 3),
            "track": [[round(t, 3), round(x, 1), round(y, 1)] for t, x, y in self.track],
        }


@dataclass
class _Alarm:
    points: list[TrackPoint]
    alarm_t: float
    origin: Origin
    gate: GateResult
    ppm: float
    release_t: float
    alarm_id: int = 0
    # Earlier pieces of the fall, ended before the alarmed track began (``_earlier_pieces``).
    prefix: list[TrackPoint] = field(default_factory=list)


class ThrowDetector:
    """Feed luma frames in order with ``process``; call ``finish`` at the end of the stream."""

    def __init__(
        self, facade: Facade, frame_shape: tuple[int, int], fps: float, config: ThrowConfig | None = None
    ) -> None:
        self.cfg = config or ThrowConfig()
        self.facade = facade
        self.fps = fps
        self.change = ChangeDetector(facade, frame_shape, self.cfg.change)
        self.tracker = Tracker(self.cfg.track, fps)
        # Where the camera stands relative to the facade (from the calibration): for the origin's depth correction.
        self.camera = facade.camera_centre(frame_shape)
        self._clutter_r2 = (self.cfg.gate.clutter_radius * frame_shape[0]) ** 2
        self.frame_index = -1
        self._pending: list[_Alarm] = []
        self._alarmed: dict[int, _Alarm] = {}
        self._judged: dict[int, int] = {}
        self._emitted: list[_Alarm] = []
        self._live: list[ThrowEvent] = []
        # Tracks that ended without an alarm: candidate earlier pieces of a fall alarmed later.
        self._lost: deque[list[TrackPoint]] = deque(maxlen=64)
        self._alarm_ids = 0
        self.rain_level = 0.0
        self.rejections: dict[str, int] = {}  # why candidate tracks failed the gate (for tuning and logs)
        self.stats = {"frames": 0, "global": 0, "cluttered": 0, "blobs": 0, "tracks_judged": 0, "rain_frames": 0}

    @property
    def raining(self) -> bool:
        return self.rain_level >= self.cfg.gate.rain_streaks

    def process(self, luma: U8, t: float) -> list[ThrowEvent]:
        """Analyse one frame taken at ``t`` seconds; returns the throws that completed by now."""
        self.frame_index += 1
        self.stats["frames"] += 1
        res = self.change.process(luma)
        self.stats["global"] += int(res.global_change)
        self.stats["cluttered"] += int(res.cluttered)
        self.stats["blobs"] += len(res.blobs)
        # Rain shows as many thin vertical streaks at once, anywhere on the wall (``ChangeDetector._rain_streaks``);
        # a thrown object is one streak.
        self.rain_level = 0.95 * self.rain_level + 0.05 * res.streaks
        self.stats["rain_frames"] += int(self.raining)
        skip = res.global_change or res.cluttered
        ended = self.tracker.step(res.blobs, self.frame_index, t, skip=skip, hidden=self.change.is_hidden)
        if not skip:
            self.tracker.count_clutter(res.blobs, self.frame_index, self._clutter_r2)
        # Only tracks long enough to judge and seen on this frame can alarm (in rain, dozens of
        # short tentative tracks are alive): the cheap part of ``_maybe_alarm``'s test, inline.
        min_points = self.cfg.gate.min_points
        for tr in self.tracker.tracks:
            points = tr.points
            if len(points) >= min_points and points[-1].t == t:
                self._maybe_alarm(tr, t)
        for tr in ended:
            self._finish_track(tr)
        return self._emit(t)

    def take_alarms(self) -> list[ThrowEvent]:
        """The alarms raised since the last call, each once: the track so far, its origin and ``alarm_id``.

        Call after each ``process``; ``end_s`` is the alarm frame's time.
        """
        out, self._live = self._live, []
        return out

    def finish(self) -> list[ThrowEvent]:
        for tr in self.tracker.flush():
            self._finish_track(tr)
        return self._emit(None)

    # -- internals ----------------------------------------------------------------------------
    def _needed_points(self, tr: Track) -> float:
        """Points a track needs before it is judged: more where other blobs crowd it."""
        gcfg = self.cfg.gate
        return gcfg.min_points * (1.0 + gcfg.clutter_weight * tr.clutter / max(tr.clutter_frames, 1))

    def _maybe_alarm(self, tr: Track, t: float) -> None:
        gcfg = self.cfg.gate
        if tr.id in self._alarmed or tr.hits < gcfg.min_points or tr.points[-1].t != t:
            return
        if self.frame_index - self._judged.get(tr.id, -(10**9)) < gcfg.judge_every:
            return
        if tr.hits < self._needed_points(tr):
            return
        # Cheap pre-check in pixels before the metric fit: has it dropped far enough yet?
        ys = [p.y for p in tr.points]
        need_px = 0.7 * gcfg.min_span_floors * self.facade.calibration.floor_height_m * tr.ppm
        if max(ys) - min(ys) < need_px:
            return
        self.stats["tracks_judged"] += 1
        self._judged[tr.id] = self.frame_index
        gate = judge(tr.points, self.facade, gcfg, tr.ppm, strict=self.raining, camera=self.camera)
        if not gate.passed:
            self.rejections[gate.reason] = self.rejections.get(gate.reason, 0) + 1
            return
        origin = origin_of(tr.points, self.facade, gcfg, tr.ppm, self.camera)
        if origin is None or self._appeared_mid_air(tr, origin):
            return
        points = list(tr.points)
        prefix: list[TrackPoint] = []
        if origin.steady_when_seen or origin.release_offset_s <= -_UNSEEN_START_S:
            # First seen well after its release (or falling steadily, when the origin is a guess,
            # see ``origin_of``): earlier pieces of the same fall that the tracker lost (a small
            # object that the codec erased for a while) say where it began.
            pieces = self._earlier_pieces(points)
            prefix = [p for piece in pieces for p in piece]
            earlier = origin_of([*prefix, *points], self.facade, gcfg, tr.ppm, self.camera) if prefix else None
            if earlier is not None:
                origin, points = earlier, [*prefix, *points]
                for piece in pieces:
                    self._lost.remove(piece)  # taken up: not an earlier piece of another fall
            else:
                prefix = []
        release = points[0].t + origin.release_offset_s
        alarm = _Alarm(points, t, origin, gate, tr.ppm, release, prefix=prefix)
        self._alarmed[tr.id] = alarm
        # The same object already alarmed (another track on it, or an earlier piece of its fall)?
        for other in [*self._alarmed.values(), *self._pending, *self._emitted]:
            if other is not alarm and (self._duplicate(other, alarm) or self._continues(other, alarm.points)):
                alarm.alarm_id = other.alarm_id
                return
        self._alarm_ids += 1
        alarm.alarm_id = self._alarm_ids
        self._live.append(self._event(alarm))

    def _appeared_mid_air(self, tr: Track, origin: Origin) -> bool:
        """Already fast when first seen although the fall before that was in view: rain near the lens.

        A thrown object is visible from the window on; at most ``max_launch_mps`` of its first speed
        can come from the throw, the rest took (s - v_launch)/g seconds of falling. In rain, a fall
        that began out of view cannot be told from a drop, so the origin itself must be in view.
        """
        gcfg = self.cfg.gate
        g = 9.81
        rain = self.raining
        max_unseen = gcfg.max_unseen_s * (0.6 if rain else 1.0)
        if rain:
            ox, oy = self.facade.to_image([[origin.u, origin.v]])[0]
            if not self.change.in_region(float(ox), float(oy) + 3.0):
                return True
        extra = max(origin.first_descent_mps - gcfg.max_launch_mps, 0.0)
        if extra / g <= max_unseen:
            return False
        above = extra * extra / (2.0 * g)
        first = tr.points[0]
        u = float(self.facade.to_facade([[first.x, first.y]])[0, 0])
        x, y = self.facade.to_image([[u, origin.first_v + 0.5 * above]])[0]
        return rain or self.change.in_region(float(x), float(y))

    def _finish_track(self, tr: Track) -> None:
        self._judged.pop(tr.id, None)
        alarm = self._alarmed.pop(tr.id, None)
        if alarm is None:
            # A track that never passed may still continue an alarmed one (the object was lost for a while).
            for pend in self._pending:
                if self._continues(pend, tr.points):
                    pend.points = _merge_points(pend.points, tr.points)
                    return
            if len(tr.points) >= self.cfg.track.confirm_hits:
                self._lost.append(tr.points)
            return
        alarm.points = [*alarm.prefix, *tr.points]
        if self._rose_after_alarm(alarm):
            return
        for i, pend in enumerate(self._pending):
            if self._duplicate(pend, alarm):
                # Two tracks on one object (a split blob): keep the better-supported one.
                if len(alarm.points) > len(pend.points):
                    alarm.alarm_t = min(pend.alarm_t, alarm.alarm_t)
                    alarm.alarm_id = min(pend.alarm_id, alarm.alarm_id)
                    self._pending[i] = alarm
                return
            if self._continues(pend, alarm.points):
                pend.points = _merge_points(pend.points, alarm.points)
                pend.alarm_t = min(pend.alarm_t, alarm.alarm_t)
                return
        # Already reported (the object was lost for longer than the hold): do not report it twice.
        if any(self._duplicate(old, alarm) or self._continues(old, alarm.points) for old in self._emitted):
            return
        self._pending.append(alarm)

    def _earlier_pieces(self, points: list[TrackPoint]) -> list[list[TrackPoint]]:
        """Lost tracks that continue into ``points``, earliest first: earlier pieces of the same fall.

        Going back from the first sighting, a piece qualifies if it ended at most ``lookback_s``
        before, was not climbing, and lies where the fall can have been: in the same vertical band
        (the sideways drift carried back), and above the first sighting by at least what it falls
        in the gap at its own last speed and at most what it falls at the speed seen after the gap
        (a falling object only gets faster, up to its terminal speed). Up to three pieces, the
        nearest first; not in rain, where lost tracks of drops are everywhere.
        """
        gcfg = self.cfg.gate
        if gcfg.lookback_s <= 0.0 or self.raining or not self._lost:
            return []
        facade = self.facade
        floor_h = facade.calibration.floor_height_m
        pieces: list[list[TrackPoint]] = []
        head = points
        for _ in range(3):
            t1 = head[0].t
            early = [p for p in head if p.t <= t1 + 0.5] if len(head) > 3 else head
            if len(early) < 3:
                early = head[:3]
            uv = facade.to_facade(np.array([[p.x, p.y] for p in early]))
            ts = np.array([p.t for p in early]) - t1
            du, u1 = (float(c) for c in np.polyfit(ts, uv[:, 0], 1))
            dv, v1 = (float(c) for c in np.polyfit(ts, uv[:, 1], 1))
            speed1 = max(-dv, 0.0)
            ppm = self.change.pixels_per_metre(head[0].x, head[0].y)
            slack = 0.5 + 2.0 / max(ppm, 1e-6)
            found: list[TrackPoint] | None = None
            for piece in reversed(self._lost):
                gap = t1 - piece[-1].t
                if gap <= 0.0 or gap > gcfg.lookback_s or len(piece) < 3:
                    continue
                uvp = facade.to_facade(np.array([[p.x, p.y] for p in piece]))
                if float(np.max(uvp[:, 1] - uvp[0, 1])) > 0.3 * floor_h:
                    continue  # climbed: a bird, not the start of a fall
                tail = uvp[-min(len(piece), 5) :, 1]
                span_t = piece[-1].t - piece[-min(len(piece), 5)].t
                speed_p = max(float(tail[0] - tail[-1]) / span_t, 0.0) if span_t > 0 else 0.0
                drop = float(uvp[-1, 1]) - v1
                if not speed_p * gap - slack <= drop <= max(speed1, speed_p) * gap + slack:
                    continue
                if abs(float(uvp[-1, 0]) - (u1 - du * gap)) > slack + 0.5 * gap:
                    continue
                found = piece
                break
            if found is None:
                break
            pieces.insert(0, found)
            head = found
        return pieces

    def _rose_after_alarm(self, alarm: _Alarm) -> bool:
        """A falling object never climbs a floor after the alarm; a bird or linked clutter may."""
        after = [p for p in alarm.points if p.t >= alarm.alarm_t]
        if len(after) < 3:
            return False
        v = self.facade.to_facade(np.array([[p.x, p.y] for p in after]))[:, 1]
        rise = float(np.max(v - np.minimum.accumulate(v)))
        return rise > self.facade.calibration.floor_height_m

    def _duplicate(self, a: _Alarm, b: _Alarm) -> bool:
        ta = np.array([p.t for p in a.points])
        inside = [p for p in b.points if ta[0] <= p.t <= ta[-1]]
        if len(inside) < 2:
            return False
        xa = np.interp([p.t for p in inside], ta, [p.x for p in a.points])
        ya = np.interp([p.t for p in inside], ta, [p.y for p in a.points])
        d = np.hypot(xa - np.array([p.x for p in inside]), ya - np.array([p.y for p in inside]))
        return float(np.median(d)) <= max(10.0, 1.0 * a.ppm)

    def _continues(self, earlier: _Alarm, points: list[TrackPoint]) -> bool:
        """Does ``points`` lie on the continued fall of ``earlier`` (a lost-and-found object)?

        Judged in facade metres: the new piece must start below where the object was lost, no lower
        than it can have fallen in the gap (at most free fall from its last speed), and in the same
        vertical band (a falling object drifts sideways slowly).
        """
        if not points:
            return False
        last = earlier.points[-1]
        gap = points[0].t - last.t
        if gap > self.cfg.gate.stitch_s or points[-1].t <= earlier.points[0].t:
            return False
        ref = earlier.points[-min(len(earlier.points), 10) :]
        uv_ref = self.facade.to_facade(np.array([[p.x, p.y] for p in ref]))
        span_t = ref[-1].t - ref[0].t
        descent = float(uv_ref[0, 1] - uv_ref[-1, 1]) / span_t if span_t > 0 else 0.0
        u_new, v_new = self.facade.to_facade([[points[0].x, points[0].y]])[0]
        g = 9.81
        dt = max(gap, 0.0)
        slack = 1.0 + 0.5 * self.facade.calibration.floor_height_m
        lowest = uv_ref[-1, 1] - (max(descent, 0.0) * dt + 0.5 * g * dt * dt) - slack
        highest = uv_ref[-1, 1] - 0.3 * max(descent, 0.0) * dt + slack
        sideways = abs(float(u_new) - float(uv_ref[-1, 0])) <= 1.5 + self.cfg.gate.max_side_speed_mps * dt
        return sideways and lowest <= float(v_new) <= highest

    def _emit(self, now: float | None) -> list[ThrowEvent]:
        out: list[ThrowEvent] = []
        keep: list[_Alarm] = []
        for pend in self._pending:
            # Hold a finished alarm for the stitch window so a re-found object is not reported twice.
            if now is not None and now - pend.points[-1].t <= self.cfg.gate.stitch_s:
                keep.append(pend)
                continue
            out.append(self._event(pend))
            self._emitted = [*self._emitted[-19:], pend]
        self._pending = keep
        return out

    def _event(self, a: _Alarm) -> ThrowEvent:
        return ThrowEvent(
            start_s=a.points[0].t,
            end_s=a.points[-1].t,
            alarm_s=a.alarm_t,
            release_s=a.release_t,
            floor=a.origin.floor,
            column=a.origin.column,
            confidence=a.origin.confidence,
            origin_m=(a.origin.u, a.origin.v),
            accel_g=a.gate.accel_g,
            descent_mps=a.gate.descent_mps,
            track=tuple((p.t, p.x, p.y) for p in a.points),
            alarm_id=a.alarm_id,
        )


def _merge_points(a: list[TrackPoint], b: list[TrackPoint]) -> list[TrackPoint]:
    seen = {p.frame for p in a}
    return sorted([*a, *(p for p in b if p.frame not in seen)], key=lambda p: p.frame)
