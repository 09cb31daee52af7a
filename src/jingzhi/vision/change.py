"""Change detection inside the facade region: temporal difference AND slow background, adaptive threshold.

Why both: the temporal difference ignores slow light changes (cloud shadows, exposure drift) that a
background model sees; the background difference removes the "ghost" a temporal difference leaves
where the object was ``gap`` frames ago. A pixel is foreground only where both agree.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from jingzhi.vision.config import ChangeConfig
from jingzhi.vision.facade import Facade

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
Box = tuple[int, int, int, int]

# Median of |N(0, s)| is 0.6745 s: turns the median absolute difference into the difference's σ.
_MAD_TO_SIGMA = 1.0 / 0.6745


class Blob(NamedTuple):
    """A connected changed region, in full-frame pixel coordinates.

    A named tuple rather than a frozen dataclass: a frame can have dozens, and a frozen
    dataclass costs five times as much to make.
    """

    x: float
    y: float
    area: int
    width: int
    height: int
    polarity: int  # +1 brighter than the background, -1 darker
    ppm: float  # local pixels per metre on the facade at the blob

    @property
    def extent(self) -> int:
        """Longest side of the changed region, without the growth of the joining dilation."""
        return max(self.width - 2, self.height - 4, 1)


@dataclass(frozen=True)
class ChangeResult:
    blobs: tuple[Blob, ...]
    changed_fraction: float
    global_change: bool  # lighting step, IR switch or uncompensated shake: ignore this frame
    cluttered: bool  # too many blobs (heavy rain, snow): detections dropped
    shift: tuple[float, float]  # estimated global image motion (px) against the reference frame
    threshold: float
    streaks: int = 0  # thin vertical blobs off the background's edges (rain); counted even when cluttered


class ChangeDetector:
    """Feeds on full luma frames; keeps only a crop around the facade region."""

    def __init__(self, facade: Facade, frame_shape: tuple[int, int], config: ChangeConfig) -> None:
        self.cfg = config
        self.facade = facade
        # numba (and the compiled kernels) only where a detector runs: the web app imports this
        # package for the facade geometry alone.
        from jingzhi.vision import kernels

        self._k = kernels
        kernels.warm_up()  # a worker loads the compiled code at the camera's start, not on its first frames
        h, w = frame_shape
        region = facade.region_mask((h, w), margin_m=config.margin_m)
        # The region's bounding box (``cv2.boundingRect`` of a mask: ten times cheaper than ``np.nonzero``).
        bx, by, bw, bh = cv2.boundingRect(region)
        if bw == 0 or bh == 0:
            raise ValueError("the facade region does not overlap the video frame")
        self.y0, self.y1 = by, by + bh
        self.x0, self.x1 = bx, bx + bw
        self.mask: U8 = np.ascontiguousarray(region[self.y0 : self.y1, self.x0 : self.x1])
        # Where a mask (a tree, a lamp post) hides part of the facade: an object passing behind it is
        # out of sight, not gone.
        unmasked = facade.region_mask((h, w), margin_m=config.margin_m, masks=False)
        self.hidden: U8 = np.ascontiguousarray(cv2.subtract(unmasked[self.y0 : self.y1, self.x0 : self.x1], self.mask))
        self.region_px = int(np.count_nonzero(self.mask))
        self._mask_sub = np.ascontiguousarray(self.mask[::4, ::4])
        self._outside = _u8(cv2.bitwise_not(self.mask))  # 255 outside the region (and under masks), 0 inside
        self.history: deque[U8] = deque(maxlen=config.frame_gap)
        # The 16×16 block means of each history frame, where the relighting computed them (it needs
        # them of the current frame and of the reference, which was the current frame ``gap`` ago).
        self._means: deque[U8 | None] = deque(maxlen=config.frame_gap)
        # Likewise the reduced copies the shake estimate made of each history frame, and its
        # Hanning window (the crop's shape never changes).
        self._smalls: deque[F32 | None] = deque(maxlen=config.frame_gap)
        self._window: F32 | None = None
        self._reduction = 4 if min(self.mask.shape) >= _QUARTER_MIN_SIDE else 2
        ch, cw = self.mask.shape
        # The reduced copies' size: whole blocks, cut to lengths the DFT takes as they are (``_dft_length``).
        self._small_shape = (_dft_length(ch // self._reduction), _dft_length(cw // self._reduction))
        # Per-frame buffers, reused: the masks and the weights live only during one ``process`` call.
        # The masks' rows are padded to whole 64-bit words, which the labelling scans; the kernels
        # write only the first ``cw`` columns (they are given the whole, contiguous buffers, which
        # they can store to with vector instructions).
        self._fg_padded = _padded_mask(ch, cw)
        self._fg_relit_padded = _padded_mask(ch, cw)
        self._both_relit: U8 = np.zeros((ch, cw), np.uint8)
        self._both_shifted: U8 = np.zeros((ch, cw), np.uint8)
        self._ref_shifted: U8 = np.zeros((ch, cw), np.uint8)  # the reference moved by the shake estimate
        self._tolerance: U8 = np.zeros((ch, cw), np.uint8)  # its local range (``_shifted_change``)
        self._spread: U8 = np.zeros((ch, cw), np.uint8)  # the background's local range (the threshold map)
        self._rows: npt.NDArray[np.int32] = np.zeros(ch, np.int32)
        self._rows_relit: npt.NDArray[np.int32] = np.zeros(ch, np.int32)
        self.background: npt.NDArray[np.uint16] | None = None  # grey levels × 256 (8.8 fixed point)
        self.background_u8: U8 | None = None
        self._bg_spare: U8 = np.empty((ch, cw), np.uint8)  # the 8-bit background the next update writes into
        self._alpha16 = round(config.background_alpha * 65536)  # the learning rate in the update's fixed point
        self.threshold = float(config.threshold_min)
        self.thr_map: U8 | None = None
        self._hold = 0  # frames left to compensate without trying the plain comparison
        self._shaking = False  # the last frame was compared against a shifted reference
        self._futile = False  # compensating did not help when the hold was decided: compare plainly
        self._streak = 0  # compensated frames in a row, up to the last
        self._thr_min = 0  # the threshold map's smallest value (``kernels.change_mask`` skips rows below it)
        self.count = 0
        # Blob-size limit in pixels from the local metric scale (a coarse grid is enough: it varies slowly).
        self._scale_grid = self._make_scale_grid()

    def _make_scale_grid(self) -> npt.NDArray[np.float64]:
        gy = np.linspace(self.y0, self.y1 - 1, 9)
        gx = np.linspace(self.x0, self.x1 - 1, 9)
        return np.array([[self.facade.pixels_per_metre(float(x), float(y)) for x in gx] for y in gy])

    def pixels_per_metre(self, x: float, y: float) -> float:
        gy = min(max(round((y - self.y0) / max(self.y1 - self.y0 - 1, 1) * 8), 0), 8)
        gx = min(max(round((x - self.x0) / max(self.x1 - self.x0 - 1, 1) * 8), 0), 8)
        return float(self._scale_grid[gy, gx])

    def in_region(self, x: float, y: float) -> bool:
        """Is image point (x, y) inside the analysed (unmasked) facade region?"""
        return self._on(self.mask, x, y)

    def is_hidden(self, x: float, y: float) -> bool:
        """Is image point (x, y) on the facade region but behind a mask?"""
        return self._on(self.hidden, x, y)

    def _on(self, crop_mask: U8, x: float, y: float) -> bool:
        xi, yi = int(x) - self.x0, int(y) - self.y0
        return 0 <= yi < crop_mask.shape[0] and 0 <= xi < crop_mask.shape[1] and bool(crop_mask[yi, xi])

    def _estimate_shift(self, ref: U8, cur: U8) -> tuple[tuple[float, float], F32]:
        """The global shift from ``ref`` to ``cur``, and the reduced copy of ``cur`` it was found on.

        Phase correlation on a reduced copy: cheap, and robust to the local motion of small objects.
        Quarter size (4×4 means) where the crop is large (``_QUARTER_MIN_SIDE``): its error, about a
        tenth of a pixel and at most half of one at full resolution, is absorbed by the registration
        tolerance (the local range of the shifted reference), which ``shifted_change_mask``
        subtracts. Smaller crops keep half size: a quarter of a small frame (QCIF, VGA) has too little
        detail left, and the estimate came out worse (more false alarms on the real clips). A shaking
        camera needs the estimate on consecutive frames, so the copy of the reference is usually the
        one made when it was the current frame (``_smalls``).

        The copies are cut (at the bottom and right) to even lengths made of the factors 2, 3 and 5
        only: ``cv2.phaseCorrelate`` pads each side to ``cv2.getOptimalDFTSize``, which can be odd
        (135, 225, 625 …), and with an odd length it puts the peak half a pixel off, even for two
        identical images (OpenCV 5.0.0) — at quarter size 2 px, more than the tolerance absorbs: the
        compensated frame was cluttered with edges and a shaking camera's throws were lost.
        """
        k = self._reduction
        sh, sw = self._small_shape
        small_cur = _reduced(cur[: sh * k, : sw * k], k)
        small_ref = self._smalls[0]
        if small_ref is None:
            small_ref = _reduced(ref[: sh * k, : sw * k], k)
        if sh < 8 or sw < 8:
            return (0.0, 0.0), small_cur
        if self._window is None:
            self._window = np.asarray(
                cv2.createHanningWindow((small_ref.shape[1], small_ref.shape[0]), cv2.CV_32F), dtype=np.float32
            )
        (dx, dy), _ = cv2.phaseCorrelate(small_ref, small_cur, self._window)
        return (k * float(dx), k * float(dy)), small_cur

    def _shifted(self, img: U8, dx: float, dy: float) -> U8:
        """``img`` moved by (dx, dy) px (bilinear, edges replicated), into this frame's buffer."""
        out = self._ref_shifted
        qx = round(-dx * 16.0)  # the source offset in sixteenths of a pixel
        qy = round(-dy * 16.0)
        self._k.shift_bilinear(img, qx >> 4, qx & 15, qy >> 4, qy & 15, out)
        return out

    def _shifted_change(
        self, cur: U8, ref: U8, bg: U8, moved: tuple[float, float], cur_means: U8 | None
    ) -> tuple[int, U8, U8]:
        """The shake-compensated comparison against ``ref`` moved by ``moved``, into the cheap
        path's buffers (no longer needed on this frame): the changed-pixel count, the shifted
        reference and its tolerance."""
        assert self.thr_map is not None
        ref_s = self._shifted(ref, moved[0], moved[1])
        # Sub-pixel registration errors show up at strong edges: discount the local range.
        tolerance = self._tolerance
        self._k.local_range(ref_s, tolerance)
        n = self._k.shifted_change_mask(
            cur,
            ref_s,
            bg,
            self.thr_map,
            _relit_gain(cur_means, ref_s),
            tolerance,
            self._fg_padded,
            self._both_shifted,
            self._rows,
        )
        return int(n), ref_s, tolerance

    def _restart_background(self, cur: U8) -> None:
        """The background from this frame alone (the first frame, or after a lighting step)."""
        self.background = _fixed(cur)
        self.background_u8 = cur.copy()

    def _update_threshold_map(self, bg: U8) -> None:
        # Codec noise grows with local contrast (edges re-quantised at every key frame), so the
        # threshold rises with the background's local range; flat wall keeps the global threshold.
        spread = self._spread
        self._k.local_range(bg, spread)
        thr_map = _u8(cv2.addWeighted(spread, self.cfg.edge_gain, spread, 0.0, self.threshold))
        # Outside the facade region (and under masks) nothing can exceed 255: the mask costs nothing per frame.
        cv2.max(thr_map, self._outside, dst=thr_map)
        self.thr_map = thr_map
        self._thr_min = int(thr_map.min())

    def _relit(self, cur: U8, ref: U8, cur_means: U8 | None) -> tuple[int, U8 | None]:
        """The relit comparison (``_relit_absdiff`` against ``ref``, no tolerance) into the relit buffers.

        Returns the changed-pixel count and the current frame's block means (kept for when this
        frame is the reference). The block means of the reference come from the history when the
        relighting ran on it then: in rain or a passing shadow it runs on most frames.
        """
        assert self.thr_map is not None and self.background_u8 is not None
        h, w = cur.shape
        if h < _LOWPASS_CELL or w < _LOWPASS_CELL:
            gain = np.zeros((0, 0), np.uint8)
        else:
            if cur_means is None:
                cur_means = _block_means(cur)
            ref_means = self._means[0]
            if ref_means is None:
                ref_means = _block_means(ref)
            gain = _gain(cur_means, ref_means)
        n = self._k.relit_change_mask(
            cur, ref, self.background_u8, self.thr_map, gain, self._fg_relit_padded, self._both_relit, self._rows_relit
        )
        return int(n), cur_means

    def _boxes(self, padded: U8, rows: npt.NDArray[np.int32]) -> list[Box]:
        """Bounding boxes of the dilated mask's outer contours, in the order ``cv2.findContours`` gives.

        ``padded`` is the mask with its rows padded to whole 64-bit words (``_padded_mask``).
        ``kernels.dilated_boxes`` labels the runs of changed pixels (on most frames a few hundred
        pixels out of a million or two). Where a box lies strictly inside another, a blob may sit
        in a hole of another, which ``RETR_EXTERNAL`` drops: then OpenCV labels the frame.
        """
        if not rows.any():
            return []
        w = self.mask.shape[1]
        found, nested = self._k.dilated_boxes(padded.view(np.uint64), w, rows, _KERNEL_HALF_W, _KERNEL_HALF_H)
        if not nested:
            return [(bx, by, bw, bh) for bx, by, bw, bh in found.tolist()]
        return _contour_boxes(padded[:, :w], rows)

    def _update_noise(self, diff: U8) -> None:
        """``diff`` is the chosen difference, subsampled by 4 in both directions."""
        hist = cv2.calcHist([diff], [0], self._mask_sub, [256], [0, 256]).ravel()
        total = float(hist.sum())
        if total < 100:
            return
        cdf = np.cumsum(hist) / total
        # Coded video leaves most static pixels exactly unchanged, so the median can be 0: use the
        # 75th percentile of a half-normal (1.15 σ) as a second, more stable noise estimate.
        q75 = float(np.searchsorted(cdf, 0.75)) / 1.15
        med = float(np.searchsorted(cdf, 0.5)) * _MAD_TO_SIGMA
        sigma = max(q75, med)
        target = float(np.clip(self.cfg.noise_k * sigma, self.cfg.threshold_min, self.cfg.threshold_max))
        self.threshold = 0.7 * self.threshold + 0.3 * target

    def process(self, luma: U8) -> ChangeResult:
        cfg = self.cfg
        # A view, not a copy: the caller hands over the frame (``open_luma`` yields a fresh buffer per
        # frame), and the history keeps these views for ``frame_gap`` frames.
        cur = luma[self.y0 : self.y1, self.x0 : self.x1]
        self.count += 1
        if self.background is None or len(self.history) < cfg.frame_gap:
            if self.background is None:
                self._restart_background(cur)
            self.history.append(cur)
            self._means.append(None)
            self._smalls.append(None)
            return ChangeResult((), 0.0, False, False, (0.0, 0.0), self.threshold)
        assert self.background_u8 is not None
        ref = self.history[0]
        bg = self.background_u8
        thr = self.threshold
        if self.thr_map is None or self.count % cfg.noise_every == 0:
            self._update_threshold_map(bg)
        assert self.thr_map is not None
        # Where the blob weights (the weaker difference) come from: None = computed from cur, ref and bg.
        both: U8 | None = None
        relit = False
        cur_means: U8 | None = None
        cur_small: F32 | None = None
        shifted: tuple[U8, U8] | None = None  # the shifted reference and its tolerance, where kept
        shift = (0.0, 0.0)
        boxes: list[Box] = []
        rows = self._rows
        changed = 0.0
        n_plain: int | None = None  # the plain comparison's count, where made on this frame
        futile = False  # compared plainly during a hold, because compensating did not help
        if self._hold > 0:
            # Rain, shake or a passing shadow last: the frames after one that needed compensating
            # are compensated without trying the plain comparison first (it would fail again).
            self._hold -= 1
            compensate = True
            if self._futile:
                # Unless compensating changed nothing when it was decided (rain, snow, a swarm:
                # many small blobs that no light or shift explains): then the plain comparison, for
                # as long as its changed share stays below the one that asks for a shift and it
                # does not clutter the frame (a shadow passing in the rain).
                n = int(self._k.change_mask(cur, ref, bg, self.thr_map, self._thr_min, self._fg_padded, rows))
                changed = n / max(self.region_px, 1)
                if changed <= cfg.shake_check_fraction:
                    boxes = self._boxes(self._fg_padded, rows) if n else []
                    futile = len(boxes) <= cfg.max_blobs
                if futile:
                    compensate = False
                else:
                    boxes = []
                    n_plain = n  # compensated after all, and judged again
        else:
            # Cheap path (almost every frame): the weaker of the temporal and background differences
            # against the threshold map, in one fused pass (``kernels.change_mask``).
            n_plain = int(self._k.change_mask(cur, ref, bg, self.thr_map, self._thr_min, self._fg_padded, rows))
            changed = n_plain / max(self.region_px, 1)
            if 0.0 < changed <= cfg.shake_check_fraction:  # nothing changed (a still scene): nothing to label
                boxes = self._boxes(self._fg_padded, rows)
            compensate = changed > cfg.shake_check_fraction or len(boxes) > cfg.relight_blobs
            # Held only once it lasts: a key frame re-quantises the whole picture, and the ``frame_gap``
            # frames compared across it need compensating; rain, shake and shadows go on for longer.
            if compensate and self._streak >= cfg.frame_gap:
                self._hold = cfg.compensate_hold
        self._streak = self._streak + 1 if compensate or futile else 0
        if compensate:
            # Widespread change: the camera moved, or the light changed (cloud shadow, exposure).
            # Compensate the global shift and the smooth multiplicative light change, then look again.
            # Foreground needs both differences, so compensating the temporal one is enough.
            region = max(self.region_px, 1)
            moved: tuple[float, float] | None = None
            tried: tuple[int, U8, U8] | None = None  # the shifted comparison, where made
            chosen = False
            if self._shaking:
                # The camera was shaking on the last frame: try the shift first, and where it
                # explains the change (what is left is below the share that asks for a shift),
                # the relit comparison without the shift, which cannot do better, is skipped.
                # ``shake_keep_px`` 0 tries it however small the shift: a shake passes through
                # offsets of a few tenths of a pixel, and uncompensated, the wall's edges leave
                # thin vertical residue that clutters the frame and reads as rain streaks.
                cur_means = _block_means(cur) if min(cur.shape) >= _LOWPASS_CELL else None
                moved, cur_small = self._estimate_shift(ref, cur)
                if max(abs(moved[0]), abs(moved[1])) > cfg.shake_keep_px:
                    tried = self._shifted_change(cur, ref, bg, moved, cur_means)
                    chosen = tried[0] / region <= cfg.shake_check_fraction
            if not chosen:
                n, cur_means = self._relit(cur, ref, cur_means)
                padded, rows, both, relit = self._fg_relit_padded, self._rows_relit, self._both_relit, True
                changed = n / region
                # Did relighting explain the change? If it left nine tenths of the plain comparison's
                # pixels, the hold compares plainly (``_futile``).
                self._futile = n_plain is not None and n >= _FUTILE_SHARE * n_plain
                if moved is None and changed > cfg.shake_check_fraction:
                    moved, cur_small = self._estimate_shift(ref, cur)
                if tried is None and moved is not None and max(abs(moved[0]), abs(moved[1])) > cfg.shake_min_px:
                    tried = self._shifted_change(cur, ref, bg, moved, cur_means)
                # Keep the shift only if it explains the change: a drifting cloud shadow also
                # produces a phase-correlation peak, but re-registering on it makes things worse.
                chosen = tried is not None and changed > cfg.shake_check_fraction and tried[0] / region < changed
            if chosen:
                assert tried is not None and moved is not None
                n_shifted, ref_s, tolerance = tried
                padded, rows, both, changed = self._fg_padded, self._rows, self._both_shifted, n_shifted / region
                shifted = (ref_s, tolerance)
                shift = moved
                self._futile = False  # a shaking camera is compensated through the hold
            self._shaking = chosen
            boxes = self._boxes(padded, rows)
        else:
            self._shaking = False
        if self.count % cfg.noise_every == 0:
            self._update_noise(self._noise_diff(cur, ref, relit, cur_means, shifted))
        global_change = changed > cfg.global_fraction
        self.history.append(cur)
        self._means.append(cur_means)
        self._smalls.append(cur_small)
        if global_change:
            # The old background is useless after a lighting step; restart it from this frame.
            self._restart_background(cur)
            return ChangeResult((), changed, True, False, shift, thr)
        if self.count % cfg.background_every == 0:
            # Into the spare 8-bit buffer: this frame's blobs are still weighed against the old one.
            spare = self._bg_spare
            self._k.update_background(cur, self.background, spare, self._alpha16)
            self._bg_spare, self.background_u8 = self.background_u8, spare
        streaks = self._rain_streaks(boxes)
        if len(boxes) > cfg.max_blobs:
            # Heavy rain: drop the thin streaks and keep looking at compact blobs if few are left.
            boxes = [b for b in boxes if not _is_streak(b[2], b[3])]
            if len(boxes) > cfg.max_blobs:
                return ChangeResult((), changed, False, True, shift, thr, streaks)
        return ChangeResult(self._blobs(boxes, cur, ref, bg, both, thr), changed, False, False, shift, thr, streaks)

    def _rain_streaks(self, boxes: list[Box]) -> int:
        """Thin vertical blobs that are not on the background's edges: rain streaks.

        Where the camera moves (a pole shaking faster than the shift estimate follows, motion blur
        on a jolt), every vertical edge of the wall leaves a thin vertical difference: window frames,
        pipes, balcony posts. Rain streaks lie anywhere, mostly on flat wall and glass. The measure is
        the background's 3×3 local range (``_spread``, the threshold map's) down the blob's centre column.
        """
        level = self.cfg.streak_edge_range
        spread = self._spread
        n = 0
        for bx, by, bw, bh in boxes:
            if _is_streak(bw, bh):
                col = spread[by : by + bh, bx + bw // 2]
                n += 2 * int(np.count_nonzero(col >= level)) < bh
        return n

    def _noise_diff(self, cur: U8, ref: U8, relit: bool, cur_means: U8 | None, shifted: tuple[U8, U8] | None) -> U8:
        """The chosen temporal difference, subsampled by 4: what the noise estimate looks at.

        Once every ``noise_every`` frames: the relit (and shift-compensated) difference is made
        again here, on the subsampled pixels only, as the kernels do not keep it.
        """
        if shifted is not None:
            ref_s, tolerance = shifted
            return _relit_absdiff(cur, ref_s, tolerance, cur_means, step=4)
        if relit:
            return _relit_absdiff(cur, ref, None, cur_means, step=4)
        c, r = cur[::4, ::4], ref[::4, ::4]
        return _u8(np.maximum(c, r) - np.minimum(c, r))

    def _blobs(self, boxes: list[Box], cur: U8, ref: U8, bg: U8, both: U8 | None, thr: float) -> tuple[Blob, ...]:
        """One ``Blob`` per box, weighted by the weaker of the two differences where it exceeds ``thr``.

        The weights are zero on the ghost the temporal difference leaves. All boxes' moments come
        from one ``kernels.blob_moments`` call, equal to ``cv2.moments`` of each thresholded crop.
        """
        cfg = self.cfg
        if cfg.drop_top_edge_blobs:
            # The region's first row (within the joining dilation's reach) cuts what touches it: not a position.
            boxes = [b for b in boxes if b[1] != 0]
        if not boxes:
            return ()
        box_arr = np.array(boxes, dtype=np.int32)
        mom = np.empty((len(boxes), 5), np.int64)
        self._k.blob_moments(
            cur, ref, bg, bg if both is None else both, both is not None, math.floor(thr), box_arr, mom
        )
        blobs: list[Blob] = []
        for (bx, by, bw, bh), (m00, m10, m01, area, signed) in zip(boxes, mom.tolist(), strict=True):
            if m00 <= 0 or area < cfg.min_area_px:
                continue
            cx = float(m10) / float(m00) + bx + self.x0 + 0.5
            cy = float(m01) / float(m00) + by + self.y0 + 0.5
            ppm = self.pixels_per_metre(cx, cy)
            if max(bw - 2, bh - 4) > cfg.max_extent_m * ppm:  # the dilation grew the box by 1 px sideways, 2 px up/down
                continue
            blobs.append(Blob(cx, cy, area, bw, bh, 1 if signed >= 0 else -1, ppm))
        return tuple(blobs)


def _u8(img: object) -> U8:
    # OpenCV's stubs type every result as "Mat | ndarray"; this is a no-copy narrowing.
    return np.asarray(img, dtype=np.uint8)


def _is_streak(width: int, height: int) -> bool:
    # Box sizes include the dilation (+2 px wide, +4 px tall).
    return height - 4 >= 4 and height - 4 >= 3 * max(width - 2, 1)


_QUARTER_MIN_SIDE = 480  # px: crops at least this high and wide are shake-estimated at quarter size
_LOWPASS_CELL = 16  # px: larger than any object we look for, smaller than a shadow's edge
# Relighting that leaves this share of the plain comparison's changed pixels did not help (rain
# leaves 0.99 of them, a cloud shadow a fifth, insects near the lens a fiftieth).
_FUTILE_SHARE = 0.9


def _padded_mask(h: int, w: int) -> U8:
    """A zero mask whose rows are padded to whole 64-bit words (use ``[:, :w]`` as the mask)."""
    return np.zeros((h, (w + 7) // 8 * 8), np.uint8)


def _contour_boxes(fg: U8, rows: npt.NDArray[np.int32]) -> list[Box]:
    """``cv2.boundingRect`` of the outer contours of the dilated mask, dilating and tracing only the
    bands of rows that hold changed pixels.

    The joining dilation reaches ``_KERNEL_HALF_H`` rows up and down, so bands whose changed rows
    lie more than ``_BAND_GAP`` (> 2 × half height + 1) rows apart cannot share a blob, and a band
    padded by the half height dilates and traces exactly as the whole image would. ``findContours``
    lists outer contours in reverse raster order of their first pixel, so the bands go bottom-up.
    """
    changed_rows = np.flatnonzero(rows)
    if changed_rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(changed_rows) > _BAND_GAP)
    firsts = changed_rows[np.concatenate(([0], breaks + 1))]
    lasts = changed_rows[np.concatenate((breaks, [changed_rows.size - 1]))]
    h = fg.shape[0]
    boxes: list[Box] = []
    for first, last in zip(firsts[::-1].tolist(), lasts[::-1].tolist(), strict=True):
        lo = max(first - _KERNEL_HALF_H, 0)
        hi = min(last + _KERNEL_HALF_H + 1, h)
        # Join codec-fragmented pieces of one object before labelling.
        found, _ = cv2.findContours(cv2.dilate(fg[lo:hi], _KERNEL), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in found:
            bx, by, bw, bh = cv2.boundingRect(c)
            boxes.append((bx, by + lo, bw, bh))
    return boxes


def _gain(cur_means: U8, ref_means: U8) -> U8:
    """The light gain (× 128) from ``ref`` to ``cur`` per 16×16 block, from their block means.

    The kernels interpolate it to full resolution row by row (``kernels._gain_rows``, the same
    arithmetic as ``_upscale_gain``).
    """
    cur_small = cur_means.astype(np.float32)
    ref_small = ref_means.astype(np.float32)
    return np.clip((cur_small + 1.0) / (ref_small + 1.0) * 128.0, 0.0, 255.0).astype(np.uint8)


def _relit_gain(cur_means: U8 | None, ref: U8) -> U8:
    """The block gain map ``_relit_absdiff`` applies to ``ref`` (empty where the image is smaller than a block).

    ``cur_means``: the current frame's block means (None only where the image is smaller).
    """
    h, w = ref.shape
    if cur_means is None or h < _LOWPASS_CELL or w < _LOWPASS_CELL:
        return np.zeros((0, 0), np.uint8)
    return _gain(cur_means, _block_means(ref))


def _interpolation(coords: npt.NDArray[np.int64], n: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Bilinear upscaling by 16 with half-pixel centres and clamped edges: for full-resolution
    coordinates, the two block indices and the second one's weight in 32nds."""
    u = 2 * coords - 15  # in 32nds of a block from the first block's centre
    i0 = u >> 5
    weight = u & 31
    return np.clip(i0, 0, n - 1), np.clip(i0 + 1, 0, n - 1), weight


def _upscale_gain(small: U8, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> U8:
    """The block gain map at full-resolution pixels ``rows`` × ``cols``, as the kernels compute it
    (``kernels._gain_rows``): interpolated in integers, weights in 32nds, rounded once."""
    gh, gw = small.shape
    r0, r1, wr = _interpolation(rows, gh)
    c0, c1, wc = _interpolation(cols, gw)
    s = small.astype(np.int64)
    mix = (32 - wr)[:, None] * s[r0] + wr[:, None] * s[r1]
    full = (32 - wc)[None, :] * mix[:, c0] + wc[None, :] * mix[:, c1]
    return ((full + 512) >> 10).astype(np.uint8)


def _relit_absdiff(cur: U8, ref: U8, tolerance: U8 | None, cur_means: U8 | None = None, step: int = 1) -> U8:
    """|cur - ref| after giving ``ref`` the smooth, multiplicative light change between the two.

    Cloud shadows and exposure changes scale the scene (edges included), so the correction is a
    low-resolution gain map, estimated as the ratio of 16×16 block means (a small object barely
    moves a block mean) and interpolated bilinearly (``_upscale_gain``; the strips of fewer than
    16 rows or columns at the bottom and right take the edge blocks' gain). The map is applied in
    8 bits (gain × 128) because float images at full resolution would cost more than the decoding.
    ``cur_means``: ``cur``'s block means, where known. ``step``: only every ``step``-th row and
    column (the noise estimate's sample). The kernels compute the same in their fused passes; this
    is their reference and the noise estimate's.
    """
    h, w = cur.shape
    cur_s = np.ascontiguousarray(cur[::step, ::step])
    ref_s = np.ascontiguousarray(ref[::step, ::step])
    if h < _LOWPASS_CELL or w < _LOWPASS_CELL:
        diff = _u8(cv2.absdiff(cur_s, ref_s))
    else:
        if cur_means is None:
            cur_means = _block_means(cur)
        rows = np.arange(0, h, step, dtype=np.int64)
        cols = np.arange(0, w, step, dtype=np.int64)
        gain = _upscale_gain(_gain(cur_means, _block_means(ref)), rows, cols)
        diff = _u8(cv2.absdiff(cur_s, cv2.multiply(ref_s, gain, scale=1.0 / 128.0)))
    if tolerance is not None:
        diff = _u8(cv2.subtract(diff, np.ascontiguousarray(tolerance[::step, ::step])))
    return diff


def _fixed(img: U8) -> npt.NDArray[np.uint16]:
    """An 8-bit image as the background's 8.8 fixed point (grey levels × 256)."""
    return np.left_shift(img.astype(np.uint16), 8)


def _block_sums(img: U8, k: int) -> npt.NDArray[np.int32]:
    """Sums of the whole k×k blocks of an image (``kernels.block_sums``: one pass, exact)."""
    from jingzhi.vision import kernels

    out = np.empty((img.shape[0] // k, img.shape[1] // k), np.int32)
    kernels.block_sums(img, k, out)
    return out


def _dft_length(n: int) -> int:
    """The largest even length up to ``n`` whose only prime factors are 2, 3 and 5 (0 below 2)."""
    m = n - n % 2
    while m > 0 and cv2.getOptimalDFTSize(m) != m:
        m -= 2
    return m


def _reduced(img: U8, k: int) -> F32:
    """A float copy ``k`` times smaller each way (means of whole k×k blocks) for the phase correlation."""
    return _block_sums(img, k).astype(np.float32) * np.float32(1.0 / (k * k))


def _block_means(img: U8) -> U8:
    """Means of the ``_LOWPASS_CELL``-square blocks of an image's top-left part made of whole blocks,
    exact sums rounded once to nearest."""
    return ((_block_sums(img, _LOWPASS_CELL) + 128) >> 8).astype(np.uint8)


# Taller than wide: a falling object's motion-blur streak is vertical and the codec breaks it up.
_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5))
_KERNEL_HALF_W = 1  # columns the joining dilation reaches left and right
_KERNEL_HALF_H = 2  # rows the joining dilation reaches up and down
# Changed rows further apart than this are labelled in separate bands (any value above
# 2 × _KERNEL_HALF_H + 1 gives the same blobs; a larger one saves calls on scattered changes).
_BAND_GAP = 16
