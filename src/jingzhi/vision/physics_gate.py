"""The physics gate: is this track something falling from the facade, and from which window?

Tracks are judged in facade metres (through the calibrated homography), so the rules are the same
for every camera distance: downward, acceleration between drag-limited descent and free fall,
at least ~1.5 floors of descent, no sustained upward or erratic motion, no steady descent that drifts
sideways faster than it falls (a glider), a plausible origin. Facade metres take the object to be on
the wall's plane; where the calibration tells where the camera stands, the free-fall limit allows for
an object thrown away from the wall, towards the camera (``GateConfig.max_outward_mps``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jingzhi.vision.config import GateConfig
from jingzhi.vision.facade import Facade
from jingzhi.vision.tracker import TrackPoint

G = 9.81
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reason: str  # "ok" or the first rule that failed
    accel_g: float = 0.0  # fitted downward acceleration in g
    descent_mps: float = 0.0  # downward speed at the end of the judged window
    span_m: float = 0.0
    residual_m: float = 0.0


@dataclass(frozen=True)
class Origin:
    u: float
    v: float
    floor: int
    column: int
    confidence: float
    first_descent_mps: float  # downward speed when first seen
    first_v: float  # height (m) when first seen
    release_offset_s: float  # release time relative to the first sighting (usually negative)
    # First seen already descending steadily: nothing tells how long it had fallen, and the origin
    # is a guess (the release at most 1.5 s before the first sighting).
    steady_when_seen: bool = False


_EPS = float(np.finfo(np.float64).eps)
# The most confidence an origin gets when the object was first seen at a steady descent.
_STEADY_WHEN_SEEN_CONFIDENCE = 0.5


def _polyfit(x: FloatArray, y: FloatArray, deg: int) -> FloatArray:
    """``np.polyfit(x, y, deg)`` for 1-D float arrays: the same operations, so the same coefficients.

    In rain the gate judges a candidate track every few frames, and ``np.polyfit``'s argument
    checks cost as much as its least-squares solve. (Its rank warning is left out.)
    """
    x = x + 0.0
    y = y + 0.0
    lhs = np.vander(x, deg + 1)
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    coef = np.linalg.lstsq(lhs, y, len(x) * _EPS)[0]
    return np.asarray(coef / scale, dtype=np.float64)


def _parabolas(t: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Least-squares parabolas ``y = a t² + b t + c`` through each column of ``ys`` (n, k) at times
    ``t`` (n,): the coefficients (k, 3) as ``np.polyfit`` orders them, and each fit's rms residual.

    By the normal equations on ``t`` scaled to [-1, 1] (one 3×3 solve for all columns): tracks
    span at most a few seconds, where they are well conditioned, and in rain the gate fits a
    dozen candidate tracks a frame, for which ``np.polyfit``'s SVD per column cost more than the
    rest of the gate. (Coefficients agree with ``np.polyfit`` to about 1e-9 relative.) The times
    are those of at least three different frames (the gate's ``min_points``, the origin's fit).
    """
    span = float(np.max(np.abs(t)))
    s = t / span
    powers = np.vander(s, 5)  # s⁴, s³, s², s, 1
    sums = powers.sum(axis=0)
    normal = np.array([sums[0:3], sums[1:4], sums[2:5]])
    scaled = np.linalg.solve(normal, powers[:, 2:].T @ ys)  # (3, k): per column A, B, C in s
    res = ys - powers[:, 2:] @ scaled
    rms = np.sqrt(np.mean(res * res, axis=0))
    coef = scaled.T / np.array([span * span, span, 1.0])
    return coef, rms


def judge(
    points: Sequence[TrackPoint],
    facade: Facade,
    cfg: GateConfig,
    ppm: float,
    *,
    strict: bool = False,
    trim: bool = True,
    camera: tuple[float, float, float] | None = None,
) -> GateResult:
    """Apply the rules to the last ``window_s`` seconds of a track.

    ``strict`` (in rain): the descent must visibly accelerate, a steady fall looks like a raindrop;
    and the track must not be made of specks (``rain_min_area_px``): chance chains of raindrops are.
    A track that passes must still pass without any of its first ``rain_trim_points`` points
    (``trim``, see ``_fails_trimmed``), and no stretch of most of its points may be a steady
    descent (``_steady_stretch``). ``camera`` (its position in facade metres, from the calibration)
    lets the free-fall limit allow for a throw away from the wall (``_outward_accel_g``).
    """
    if len(points) < cfg.min_points:
        return GateResult(False, "too few points")
    t_end = points[-1].t
    window = [p for p in points if p.t >= t_end - cfg.window_s]
    if len(window) < cfg.min_points:
        window = list(points[-cfg.min_points :])
    frames_spanned = window[-1].frame - window[0].frame + 1
    if len(window) < cfg.min_fill * frames_spanned:
        return GateResult(False, "sparse")
    if strict:
        if _median_area(window) < cfg.rain_min_area_px:
            return GateResult(False, _SPECKS)
        # A raindrop's steady descent, lost for a while and "found" again on another drop, can look
        # like an acceleration: where the points before the track's last long gap are enough to
        # judge, they must not be a steady descent themselves.
        gaps = [i for i in range(1, len(window)) if window[i].t - window[i - 1].t > cfg.rain_max_gap_s]
        if gaps and gaps[-1] >= cfg.min_points:
            before = judge(window[: gaps[-1]], facade, cfg, ppm, strict=True, trim=False)
            if _steady(before):
                return _fail(before, _STEADY_THEN_GAP)
    t = np.array([p.t for p in window])
    uv = facade.to_facade(np.array([[p.x, p.y] for p in window]))
    v = uv[:, 1]
    span = float(v.max() - v.min())
    floor_h = facade.calibration.floor_height_m
    if span < cfg.min_span_floors * floor_h:
        return GateResult(False, "short descent", span_m=span)
    if v[-1] > v[0] - 0.8 * span:
        return GateResult(False, "not downward", span_m=span)
    tau = t - t[0]
    coefs, rms = _parabolas(tau, uv[:, ::-1])
    cv, cu = coefs[0], coefs[1]
    res_v, res_u = float(rms[0]), float(rms[1])
    accel = -2.0 * cv[0]  # downward positive
    accel_g = accel / G
    tail = tau[-1]
    descent = -(2.0 * cv[0] * tail + cv[1])
    residual = math.hypot(res_u, res_v)
    base = GateResult(False, "", accel_g=accel_g, descent_mps=descent, span_m=span, residual_m=residual)
    allowed = cfg.max_residual_m + cfg.residual_px / max(ppm, 1e-6)
    if residual > allowed:
        return _fail(base, "erratic path")
    if residual > cfg.speck_residual_share * allowed and _median_area(window) <= cfg.speck_area_px:
        # A speck's centroid is exact to a pixel, and a real speck-sized object keeps to its
        # parabola; chance chains of codec specks (a flicker that "hovers", then specks picked
        # across long gaps) are picked from many candidates and only just bend to fit.
        return _fail(base, "erratic path of specks")
    if accel_g > cfg.max_accel_g and _outward_accel_g(t, uv, cv, camera, cfg) > cfg.max_accel_g:
        return _fail(base, "faster than free fall")
    if accel_g < cfg.min_accel_g:
        return _fail(base, _BRAKING)
    if accel_g < cfg.drag_limited_accel_g:  # a steady, drag-limited descent
        if strict or descent < cfg.min_terminal_mps:
            return _fail(base, _STEADY_IN_RAIN if strict else "too slow (leaf, paper)")
        # Mean speeds over the window, from the fits: drifting sideways faster than it falls is a
        # glider (a throw at terminal speed has lost its sideways speed to drag too).
        drift = abs(float(cu[0]) * tail + float(cu[1]))
        mean_descent = -(float(cv[0]) * tail + float(cv[1]))
        if cfg.glide_side_ratio > 0.0 and drift > cfg.glide_side_ratio * max(mean_descent, 0.0):
            return _fail(base, "glides sideways")
    side_speed = float(np.abs(2.0 * cu[0] * tau + cu[1]).max())
    if side_speed > cfg.max_side_speed_mps:
        return _fail(base, "flies sideways")
    if abs(2.0 * cu[0]) > cfg.max_side_accel_g * G:
        return _fail(base, "swerves")
    # Speed already reached must be explainable by a fall from the top of the facade (plus a throw):
    # rain near the lens and insects project to absurd metric speeds.
    start_speed = abs(cv[1])
    drop = max(facade.height_m + floor_h - float(v[0]), 0.0)
    if start_speed > math.sqrt(2.0 * G * drop) + cfg.max_launch_mps:
        return _fail(base, "too fast for its height")
    steps = np.diff(v)
    noise = 2.0 / max(ppm, 1e-6)
    if np.mean(steps > noise) > cfg.max_up_fraction:
        return _fail(base, "moves up")
    extents = np.array([p.extent for p in window], dtype=np.float64)
    if float(np.median(extents)) / max(ppm, 1e-6) > cfg.max_object_m + descent * 0.04:
        return _fail(base, "too large")
    if strict and trim and cfg.rain_trim_points:
        reason = _fails_trimmed(window, facade, cfg, ppm)
        if reason:
            return _fail(base, reason)
    if strict and trim and cfg.rain_steady_share > 0.0 and _steady_stretch(tau, v, cfg, ppm):
        return _fail(base, _STEADY_STRETCH)
    return GateResult(True, "ok", accel_g=accel_g, descent_mps=descent, span_m=span, residual_m=residual)


def _outward_accel_g(
    t: FloatArray, uv: FloatArray, cv: FloatArray, camera: tuple[float, float, float] | None, cfg: GateConfig
) -> float:
    """The fall's downward acceleration (g) if it is moving away from the wall at ``max_outward_mps``.

    A point seen at facade position (u, v) lies on the ray from the camera to it; at ``z`` metres in
    front of the wall its height is ``v + (c_v - v) z / D`` (camera at height c_v, D in front). An
    object thrown outwards comes nearer a camera in front of the wall as it falls, so its image grows
    faster than its fall alone moves it: at 20 m, a fall that left the window at 2-3 m/s outwards
    reads 1.4-1.8 g in facade metres two seconds on (synthetic tuning throws, the true paths). Its
    depth here: ``release_depth_m`` at the release, which lies as long before the first point as its
    descent then takes from rest, plus ``max_outward_mps`` for every second since — the most a throw
    can have brought it nearer, so the least acceleration it can have had. ``inf`` without a camera.
    """
    if camera is None or cfg.max_outward_mps <= 0.0:
        return math.inf
    _cu, c_v, dist = camera
    since = t - t[0] + max(-float(cv[1]), 0.0) / G  # seconds since the release, at each point
    z = np.minimum(cfg.release_depth_m + cfg.max_outward_mps * since, 0.8 * dist)
    v = uv[:, 1]
    height = v + (c_v - v) * z / dist
    coef, _rms = _parabolas(t - t[0], height[:, None])
    return -2.0 * float(coef[0, 0]) / G


def _fails_trimmed(window: Sequence[TrackPoint], facade: Facade, cfg: GateConfig, ppm: float) -> str:
    """In rain: why the track fails without its first one, two … ``rain_trim_points`` points ("" if it passes).

    A new track takes whatever blob lies near its start (the start's plausibility test only bounds
    the speed), and in rain there is always one: a splash or a bigger streak followed by a
    raindrop's steady descent bends the fit into an acceleration, and its area lifts the median
    above the specks' limit. Without those first points the rest is a steady descent, braking or
    specks; a real fall accelerates, and stays the same object, on every stretch of it. A track
    too short to be judged without them waits for more points.
    """
    k_max = cfg.rain_trim_points
    if len(window) - k_max < cfg.min_points:
        return "too few points in rain"
    for k in range(1, k_max + 1):
        rest = judge(window[k:], facade, cfg, ppm, strict=True, trim=False)
        if _steady(rest) or rest.reason == _SPECKS:
            return f"{rest.reason}, without its first points"
    return ""


def _steady_stretch(tau: FloatArray, v: FloatArray, cfg: GateConfig, ppm: float) -> bool:
    """In rain: is some run of consecutive points, most of the track, a steady descent?

    A raindrop falls at a steady 6-10 m/s; a track that is mostly one drop, with a few other points
    before or after it (a flicker that stood still, a drop picked up lower down after a gap), can
    bend the fitted parabola into an acceleration and pass every test on the whole. A real fall
    accelerates on every stretch: a stretch of at least ``rain_steady_share`` of the points (and
    ``min_points``) that descends at ``min_terminal_mps`` or faster with an acceleration below
    ``drag_limited_accel_g`` by two standard errors (from the stretch's own scatter, at least half a
    pixel) is a drop's. Unlike the other tests, a stretch is judged however short its descent.
    """
    n = len(tau)
    shortest = max(cfg.min_points, math.ceil(cfg.rain_steady_share * n))
    limit = cfg.drag_limited_accel_g * G
    floor_sigma = 0.5 / max(ppm, 1e-6)
    for size in range(n, shortest - 1, -1):
        for i in range(n - size + 1):
            # Least squares v = c2 t² + c1 t + c0; (XᵀX)⁻¹ gives the fit and its standard errors.
            t = tau[i : i + size] - tau[i]
            x = np.vander(t, 3)
            inv = np.linalg.inv(x.T @ x)
            coef = inv @ (x.T @ v[i : i + size])
            c2, c1 = float(coef[0]), float(coef[1])
            a = -2.0 * c2  # downward acceleration
            descent = -c1 + 0.5 * a * float(t[-1])  # mean downward speed over the stretch
            if descent < cfg.min_terminal_mps or a >= limit:
                continue
            res = v[i : i + size] - x @ coef
            sigma = max(math.sqrt(float(np.mean(res * res)) * size / max(size - 3, 1)), floor_sigma)
            if a + 2.0 * 2.0 * sigma * math.sqrt(float(inv[0, 0])) < limit:
                return True
    return False


# The reasons the rain rules look for in the judgement of part of a track.
_BRAKING = "braking"
_SPECKS = "specks in rain"
_STEADY_IN_RAIN = "steady descent in rain"
_STEADY_THEN_GAP = "steady descent in rain, then a gap"
_STEADY_STRETCH = "mostly a steady descent in rain"


def _steady(result: GateResult) -> bool:
    """Was the track judged not to accelerate (braking, or a raindrop's steady descent)?"""
    return result.reason in (_BRAKING, _STEADY_IN_RAIN, _STEADY_THEN_GAP)


def _median_area(points: Sequence[TrackPoint]) -> float:
    return float(np.median([p.area for p in points]))


def _fail(base: GateResult, reason: str) -> GateResult:
    return GateResult(False, reason, base.accel_g, base.descent_mps, base.span_m, base.residual_m)


def origin_of(
    points: Sequence[TrackPoint],
    facade: Facade,
    cfg: GateConfig,
    ppm: float,
    camera: tuple[float, float, float] | None = None,
) -> Origin | None:
    """Back-extrapolate the start of the track to where it was released and name floor and column.

    A falling object is highest where its vertical speed is zero: dropped, that is the release
    point; thrown down, the apex lies before the first sighting, v0²/2g (≈0.3 m at 2.5 m/s) above
    the window. Seen still rising, the object was let go no higher than where it was first seen.
    ``camera`` (u, v, distance in facade metres) corrects for the release point lying in front of
    the facade plane.
    """
    t0 = points[0].t
    early = [p for p in points if p.t <= t0 + cfg.origin_fit_s]
    if len(early) < 4:
        early = list(points[: min(len(points), 6)])
    if len(early) < 3:
        return None
    t = np.array([p.t for p in early]) - t0
    uv = facade.to_facade(np.array([[p.x, p.y] for p in early]))
    coefs, rms = _parabolas(t, uv[:, 1:2])
    cv, res_v = coefs[0], float(rms[0])
    cu = _polyfit(t, uv[:, 0], 1)
    accel = float(np.clip(-2.0 * cv[0], 0.3 * G, 1.1 * G))
    # Re-fit speed and position with the acceleration fixed: far more stable on short or gappy tracks.
    y_adj = uv[:, 1] + 0.5 * accel * t * t
    c1, c0 = _polyfit(t, y_adj, 1)
    t_apex = float(c1) / accel  # v'(t) = c1 - a t = 0
    # Seen still rising (apex after the first sighting): released there or below, not at the apex.
    # Thrown up, it rose to the apex from the window; dropped from a balcony and pushed outward,
    # seen steeply from below, it only seems to rise (its image slides up the facade as it comes
    # out): at 20 m, a push of 2 m/s from floor 16 puts the apparent apex a floor too high.
    t_apex = float(np.clip(t_apex, -1.5, 0.0))
    v_origin = float(c0 + c1 * t_apex - 0.5 * accel * t_apex * t_apex)
    u_origin = float(np.polyval(cu, t_apex))
    if camera is not None and camera[2] > cfg.release_depth_m + 1.0:
        # The object is released in front of the facade (sill, balcony), so its image lies on a ray
        # that meets the facade plane farther from the camera's foot: seen from below, higher.
        # Slide back along that ray to the usual release depth.
        cu_, cv_, dist = camera
        scale = (dist - cfg.release_depth_m) / dist
        u_origin = cu_ + (u_origin - cu_) * scale
        v_origin = cv_ + (v_origin - cv_) * scale
    cal = facade.calibration
    h_top = facade.height_m
    v_origin = min(v_origin, h_top - 0.1)
    margin = cfg.origin_margin_m
    if not (-margin <= u_origin <= cal.width_m + margin) or v_origin < 0.0:
        return None
    cell = facade.cell_of_metres(min(max(u_origin, 0.0), cal.width_m - 1e-6), max(v_origin, 0.0))
    # Confidence: how far the origin sits from a floor/column boundary (in units of its own
    # uncertainty) and how well the early fit describes the points.
    sigma_v = 0.25 + res_v + 1.0 / max(ppm, 1e-6) + 0.3 * abs(t_apex)
    frac_f = cell.floor_f - math.floor(cell.floor_f)
    frac_c = cell.column_f - math.floor(cell.column_f)
    d_floor = min(frac_f, 1.0 - frac_f) * cal.floor_height_m
    d_col = min(frac_c, 1.0 - frac_c) * cal.width_m / cal.columns
    p_floor = 0.5 + 0.5 * math.erf(d_floor / (math.sqrt(2) * sigma_v))
    p_col = 0.5 + 0.5 * math.erf(d_col / (math.sqrt(2) * (sigma_v + 0.2)))
    confidence = float(np.clip(p_floor * p_col, 0.01, 0.99))
    steady = -2.0 * float(cv[0]) < cfg.drag_limited_accel_g * G and -float(c1) >= cfg.min_terminal_mps
    if steady:
        # First seen already descending steadily: a light object reaches its terminal speed within
        # a second, often before it is seen (too small or too faint while high up), and nothing in
        # a steady descent tells how long it had been falling. The origin found is then the lowest
        # the release can have been, not an estimate of it.
        confidence = min(confidence, _STEADY_WHEN_SEEN_CONFIDENCE)
    return Origin(
        u=u_origin,
        v=v_origin,
        floor=cell.floor,
        column=cell.column,
        confidence=confidence,
        first_descent_mps=float(-c1),
        first_v=float(c0),
        release_offset_s=t_apex,
        steady_when_seen=steady,
    )
