"""Compiled per-pixel kernels of the change detector (numba).

Why: at 1080p the facade crop is one to two million pixels, and the change detector used to make
five to ten full passes over it per frame with OpenCV (two absolute differences, their minimum, the
threshold-map comparison, the count, and on frames with widespread change the relighting: gain map,
product, difference, minimum, comparison, count again). Each pass reads and writes whole images
that no longer fit the caches, so memory traffic, not arithmetic, set the cost. The kernels here
fuse those passes into one that reads the inputs once and writes only the foreground mask, and
they compute the blobs' moments for all boxes in one call instead of several OpenCV calls per blob.

Every kernel reproduces the OpenCV operations it replaces bit for bit (``tests/vision/test_kernels.py``
checks them against OpenCV on random images): ``cv2.absdiff``, ``cv2.min``, ``cv2.compare(CMP_GT)``,
``cv2.countNonZero``, ``cv2.multiply(a, b, scale=1/128)`` (rounds half to even), ``cv2.subtract`` (saturates),
``cv2.threshold(THRESH_TOZERO)`` (a fractional threshold on 8-bit images is floored),
``cv2.dilate`` less ``cv2.erode`` with a 3×3 square (``local_range``) and ``cv2.moments`` of an
8-bit image (exact integer sums). ``update_background`` is our own
fixed-point update, ``block_sums`` exact block sums, and the relit comparisons interpolate the
light gain map from its 16×16 blocks themselves, within one level of ``cv2.resize``'s bilinear
upscaling (``change._upscale_gain`` is their reference).

``cache=True`` keeps the compiled code next to this module, so only the first run on a machine
pays the compilation (a few seconds); ``nogil=True`` lets a camera worker run several streams in
threads.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

U8 = npt.NDArray[np.uint8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
U16 = npt.NDArray[np.uint16]


# The per-pixel arithmetic is written in 8, 16 and 32 bits with explicit truncations: numba widens
# integer arithmetic to 64 bits, and the truncations let LLVM narrow it again, so that one vector
# instruction handles 16 to 64 pixels instead of 8. Two things defeat the narrowing: a product
# with a loop-invariant number (read such a factor from a small array inside the loop:
# ``shift_bilinear``, ``update_background``), and a 64-bit sum carried along the loop (count the
# mask afterwards: ``_count_marked``). Compare ``inspect_asm()`` when changing a loop.
_u8 = np.uint8
_u16 = np.uint16


@njit(cache=True, nogil=True, inline="always")
def _absdiff(a: np.uint8, b: np.uint8) -> np.uint8:  # pragma: no cover - compiled
    return _u8(max(a, b) - min(a, b))


@njit(cache=True, nogil=True, inline="always")
def _plain_row(c: U8, r: U8, b: U8, t: U8, f: U8, o: U8, w: int, write_both: bool) -> np.int64:  # pragma: no cover
    for x in range(w):
        cv = c[x]
        v = min(_absdiff(cv, r[x]), _absdiff(cv, b[x]))
        if write_both:
            o[x] = v
        f[x] = _u8(_u8(v > t[x]) * _u8(255))
    return _count_marked(f, w)


_BYTE_ONES = np.uint64(0x0101010101010101)


@njit(cache=True, nogil=True, inline="always")
def _count_marked(f: U8, w: int) -> np.int64:  # pragma: no cover - compiled
    """The number of 255s in ``f[:w]``, a mask row of 0s and 255s, eight pixels at a time.

    Counting in the comparison's own loop held it to 64-bit lanes (eight pixels to a vector
    instruction instead of 64: a third of the speed on rows in the cache); the row just written
    is read back as 64-bit words, and each word's low bits are summed with one multiplication.
    ``f`` must be contiguous.
    """
    nw = w >> 3
    words = f[: nw * 8].view(np.uint64)
    n = np.uint64(0)
    for i in range(nw):
        n += ((words[i] & _BYTE_ONES) * _BYTE_ONES) >> np.uint64(56)
    total = np.int64(n)
    for x in range(nw * 8, w):
        total += np.int64(f[x] & _u8(1))
    return total


@njit(cache=True, nogil=True, inline="always")
def _relight(rv: np.uint8, gv: np.uint8) -> np.uint8:  # pragma: no cover - compiled
    """``saturate(round_half_even(rv * gv / 128))``: ``cv2.multiply(ref, gain, scale=1/128)`` per pixel."""
    p = _u16(_u16(rv) * _u16(gv))
    # Round half to even: add 63, plus 1 when the truncated quotient is odd.
    q = _u16(_u16(p + _u16(63) + ((p >> 7) & _u16(1))) >> 7)
    return _u8(min(q, _u16(255)))


@njit(cache=True, nogil=True, inline="always")
def _relit_ref_row(r: U8, g: U8, out: U8, w: int) -> None:  # pragma: no cover - compiled
    """``out = relight(r, g)`` over a row. A loop of its own: fused into the comparison's loop,
    the relighting kept it from vectorising as well (a quarter slower in all)."""
    for x in range(w):
        out[x] = _relight(r[x], g[x])


@njit(cache=True, nogil=True, inline="always")
def _across(mix: I32, out: I32) -> None:  # pragma: no cover - compiled
    """Horizontal part of the gain interpolation: ``out[x] = (32 - a)·mix[j0] + a·mix[j1]`` for
    each full-resolution column ``x`` (block centres at 16·j + 7.5, ``a`` in 32nds), the edge
    blocks' values left of the first centre and right of the last (to the end of ``out``)."""
    gw = mix.shape[0]
    first = np.int32(32) * mix[0]
    for x in range(8):
        out[x] = first
    for j in range(gw - 1):
        m0 = mix[j]
        m1 = mix[j + 1]
        base = 16 * j + 8
        for k in range(16):
            wa = np.int32(2 * k + 1)
            out[base + k] = (np.int32(32) - wa) * m0 + wa * m1
    last = np.int32(32) * mix[gw - 1]
    for x in range(16 * gw - 8, out.shape[0]):
        out[x] = last


@njit(cache=True, nogil=True, inline="always")
def _gain_rows(small: U8, y: int, mix: I32, acc: I32, step: I32, g: U8) -> None:  # pragma: no cover - compiled
    """Row ``y`` of the gain map at full resolution into ``g`` (the image's width), for rows taken
    in order from 0.

    ``small`` (one value per 16×16 block) upscaled 16 times bilinearly, with pixel centres at half
    pixels and the edges clamped (as ``cv2.resize`` with ``INTER_LINEAR``; beyond the last whole
    block the edge blocks' values), in integers: weights in 32nds, the sum over 1024ths rounded
    once at the end (``change._upscale_gain`` is the same arithmetic in numpy). Between two rows of
    block centres the unrounded map changes by the same amount every row, so ``acc`` (the
    unrounded row) is computed in full only where such a band starts, with its per-row ``step``,
    and advanced by one addition per pixel elsewhere. ``mix`` is scratch space of ``small``'s width.
    """
    gh, gw = small.shape
    w = g.shape[0]
    if y < 8 or (y - 8) % 16 == 0:
        v = 2 * y - 15  # the row's centre in 32nds of a block, from the first block's centre
        i0 = min(v >> 5, gh - 1)
        wb = v & 31
        i1 = min(i0 + 1, gh - 1)
        i0 = max(i0, 0)
        s0 = small[i0]
        s1 = small[i1]
        for j in range(gw):
            mix[j] = np.int32(32 - wb) * np.int32(s0[j]) + np.int32(wb) * np.int32(s1[j])
        _across(mix, acc)
        for j in range(gw):
            mix[j] = np.int32(2) * (np.int32(s1[j]) - np.int32(s0[j]))
        _across(mix, step)
    else:
        for x in range(w):
            acc[x] = np.int32(acc[x] + step[x])
    for x in range(w):
        # Truncated to 32 bits before the shift: otherwise it is done in 64-bit lanes.
        g[x] = _u8(np.int32(acc[x] + np.int32(512)) >> np.int32(10))


@njit(cache=True, nogil=True)
def block_sums(img: U8, k: int, out: I32) -> None:  # pragma: no cover - compiled
    """Sums of the k×k blocks of ``img``'s top-left (k·oh)×(k·ow) part into ``out`` (oh, ow);
    ``k`` at most 16 (the relighting's block means, the shake estimate's reduced copies).

    One pass over the pixels: the columns of a band of k rows are summed in 16 bits (at most
    16 × 255), then each run of k column sums.
    """
    oh, ow = out.shape
    ws = ow * k
    col = np.empty(ws, np.uint16)
    for i in range(oh):
        for x in range(ws):
            col[x] = 0
        for yy in range(k):
            r = img[i * k + yy]
            for x in range(ws):
                col[x] = _u16(col[x] + _u16(r[x]))
        for j in range(ow):
            s = np.int32(0)
            for q in range(k):
                s += np.int32(col[j * k + q])
            out[i, j] = s


@njit(cache=True, nogil=True, inline="always")
def _max_absdiff(c: U8, r: U8, w: int) -> np.uint8:  # pragma: no cover - compiled
    m = _u8(0)
    for x in range(w):
        m = max(m, _absdiff(c[x], r[x]))
    return m


@njit(cache=True, nogil=True)
def change_mask(
    cur: U8, ref: U8, bg: U8, thr_map: U8, thr_min: int, fg: U8, row_counts: I32
) -> np.int64:  # pragma: no cover - compiled
    """``fg = 255 * (min(|cur - ref|, |cur - bg|) > thr_map)``; per-row and total counts of ``fg``.

    The cheap path of every frame: temporal and background differences, their minimum, the
    comparison with the threshold map and the count, in one pass. ``cur``, ``ref``, ``bg`` and
    ``thr_map`` have the same shape; ``cur`` and ``ref`` may be row-strided views into decoded
    frames; ``fg`` may be wider (its rows padded), the columns beyond theirs are left alone.
    (Skipping the columns outside the region, a quarter of the crop, was tried: loops that start
    at a run-time column vectorise worse and came out slower.)

    Most rows of a still scene change nowhere: a row whose temporal difference stays at or below
    ``thr_min`` (at most the smallest value of ``thr_map``) can have no changed pixel, so only
    ``cur`` and ``ref`` are read there, not ``bg`` and ``thr_map``, and ``fg``'s row is written
    only if it held changed pixels before. For that, ``row_counts`` must hold on entry the counts
    of ``fg`` as it is (as every kernel writing this ``fg`` leaves them; zeros with a zero ``fg``).
    A still 1080p frame costs about a quarter of the full pass.
    """
    h, w = cur.shape
    total = np.int64(0)
    for y in range(h):
        f = fg[y]
        if _max_absdiff(cur[y], ref[y], w) > thr_min:
            n = _plain_row(cur[y], ref[y], bg[y], thr_map[y], f, f, w, False)
        else:
            n = np.int64(0)
            if row_counts[y] != 0:
                for x in range(w):
                    f[x] = 0
        row_counts[y] = n
        total += n
    return total


@njit(cache=True, nogil=True)
def relit_change_mask(
    cur: U8, ref: U8, bg: U8, thr_map: U8, gain: U8, fg: U8, both_out: U8, row_counts: I32
) -> np.int64:  # pragma: no cover - compiled
    """The relit comparison: ``fg = 255 * (min(|cur - relit(ref)|, |cur - bg|) > thr_map)``.

    ``relit(ref) = saturate(round_half_even(ref * g / 128))`` (``cv2.multiply`` with scale 1/128),
    where ``g`` is the light gain (× 128) at full resolution: ``gain`` holds it per 16×16 block
    (of the whole blocks; the strips of fewer than 16 rows or columns at the bottom and right take
    the edge blocks' gain), and each row of ``g`` is interpolated from it as the row is compared
    (``_gain_rows``; a full-resolution gain map would be written and read again). An empty
    ``gain`` (an image smaller than a block) compares plainly. ``both_out`` receives the minimum
    itself (the blobs' weights). ``fg`` may be wider than the others (its rows padded), the
    columns beyond theirs are left alone. ``change._relit_absdiff`` is the reference.
    """
    h, w = cur.shape
    gh, gw = gain.shape
    total = np.int64(0)
    if gh == 0 or gw == 0:
        for y in range(h):
            n = _plain_row(cur[y], ref[y], bg[y], thr_map[y], fg[y], both_out[y], w, True)
            row_counts[y] = n
            total += n
        return total
    g = np.empty(w, np.uint8)
    relit = np.empty(w, np.uint8)
    mix = np.empty(gw, np.int32)
    acc = np.empty(w, np.int32)
    step = np.empty(w, np.int32)
    for y in range(h):
        _gain_rows(gain, y, mix, acc, step, g)
        _relit_ref_row(ref[y], g, relit, w)
        n = _plain_row(cur[y], relit, bg[y], thr_map[y], fg[y], both_out[y], w, True)
        row_counts[y] = n
        total += n
    return total


@njit(cache=True, nogil=True, inline="always")
def _shifted_row(c: U8, r: U8, b: U8, t: U8, tol: U8, f: U8, o: U8, w: int) -> np.int64:  # pragma: no cover
    """The comparison against the relit row ``r`` of the shifted reference, less its tolerance."""
    for x in range(w):
        cv = c[x]
        d = _absdiff(cv, r[x])
        tv = tol[x]
        d = _u8(d - min(d, tv))  # cv2.subtract: saturates at 0
        v = min(d, _absdiff(cv, b[x]))
        o[x] = v
        f[x] = _u8(_u8(v > t[x]) * _u8(255))
    return _count_marked(f, w)


@njit(cache=True, nogil=True)
def shifted_change_mask(
    cur: U8, ref: U8, bg: U8, thr_map: U8, gain: U8, tolerance: U8, fg: U8, both_out: U8, row_counts: I32
) -> np.int64:  # pragma: no cover - compiled
    """The shake-compensated comparison: as ``relit_change_mask`` against the shifted reference,
    with the temporal difference first reduced by ``tolerance`` (``cv2.subtract``, saturating).

    Replaces ``change._relit_absdiff(cur, ref, tolerance)``, ``cv2.absdiff(cur, bg)``, ``cv2.min``,
    ``cv2.compare(CMP_GT)``, ``cv2.countNonZero`` and the per-row counts. An empty ``gain`` is a
    gain of one (``relit`` of 128 is the identity).
    """
    h, w = cur.shape
    gh, gw = gain.shape
    g = np.full(w, 128, np.uint8)
    relit = np.empty(w, np.uint8)
    mix = np.empty(max(gw, 1), np.int32)
    acc = np.empty(w, np.int32)
    step = np.empty(w, np.int32)
    total = np.int64(0)
    for y in range(h):
        if gh > 0 and gw > 0:
            _gain_rows(gain, y, mix, acc, step, g)
            _relit_ref_row(ref[y], g, relit, w)
            row = relit
        else:
            row = ref[y]  # a gain of one
        n = _shifted_row(cur[y], row, bg[y], thr_map[y], tolerance[y], fg[y], both_out[y], w)
        row_counts[y] = n
        total += n
    return total


@njit(cache=True, nogil=True, inline="always")
def _shift_px(r0: U8, r1: U8, i0: int, i1: int, weights: U8) -> np.uint8:  # pragma: no cover
    wa0 = _u16(weights[0])
    wa1 = _u16(weights[1])
    wb0 = _u16(weights[2])
    wb1 = _u16(weights[3])
    h0 = _u16(_u16(wa0 * _u16(r0[i0])) + _u16(wa1 * _u16(r0[i1])))
    h1 = _u16(_u16(wa0 * _u16(r1[i0])) + _u16(wa1 * _u16(r1[i1])))
    return _u8(_u16(_u16(_u16(wb0 * h0) + _u16(wb1 * h1)) + _u16(128)) >> 8)


@njit(cache=True, nogil=True)
def shift_bilinear(src: U8, ox: int, a: int, oy: int, b: int, out: U8) -> None:  # pragma: no cover - compiled
    """``out(x, y) = src(x + ox + a/16, y + oy + b/16)``: a translated copy, bilinear, edges replicated.

    A camera shake is a translation, so the interpolation weights are the same at every pixel
    (``cv2.warpAffine`` works them out per pixel): in sixteenths (``0 <= a, b < 16``, a shift
    quantised to 1/16 px, finer than the shake estimate's error), all in 16-bit arithmetic, the sum
    rounded once. ``tests/vision/test_kernels.py`` holds a numpy reference.

    The weights are read from a small array of bytes inside the loop rather than passed as
    numbers: LLVM then sees them as 8-bit values and multiplies in 16-bit lanes (32 pixels to an
    instruction); as 64-bit numbers hoisted out of the loop, they kept the products in 64-bit
    lanes, at a third of the speed.
    """
    h, w = src.shape
    weights = np.empty(4, np.uint8)
    weights[0] = 16 - a
    weights[1] = a
    weights[2] = 16 - b
    weights[3] = b
    lo = min(max(-ox, 0), w)  # columns [lo, hi) read src columns x + ox and x + ox + 1 in range
    hi = max(min(w - 1 - ox, w), lo)
    for y in range(h):
        r0 = src[min(max(y + oy, 0), h - 1)]
        r1 = src[min(max(y + oy + 1, 0), h - 1)]
        o = out[y]
        if hi > lo:
            # The interior, as views that start at column 0: loops from 0 vectorise best.
            s0 = r0[lo + ox : hi + ox + 1]
            s1 = r1[lo + ox : hi + ox + 1]
            oo = o[lo:hi]
            for x in range(hi - lo):
                oo[x] = _shift_px(s0, s1, x, x + 1, weights)
        for x in range(lo):
            o[x] = _shift_px(r0, r1, min(max(x + ox, 0), w - 1), min(max(x + ox + 1, 0), w - 1), weights)
        for x in range(hi, w):
            o[x] = _shift_px(r0, r1, min(max(x + ox, 0), w - 1), min(max(x + ox + 1, 0), w - 1), weights)


@njit(cache=True, nogil=True)
def local_range(img: U8, out: U8) -> None:  # pragma: no cover - compiled
    """``out = cv2.subtract(cv2.dilate(img, 3×3), cv2.erode(img, 3×3))``: the 3×3 local range.

    OpenCV's morphology ignores the pixels beyond the border, as repeating the edge rows and
    columns does (a repeated pixel changes no maximum or minimum). Separable: the maximum and
    minimum of each column's three rows, then of three neighbouring columns; one pass over the
    image instead of three (dilate, erode, subtract), each of which reads and writes it whole.
    """
    h, w = img.shape
    hi = np.empty(w, np.uint8)
    lo = np.empty(w, np.uint8)
    for y in range(h):
        r0 = img[max(y - 1, 0)]
        r1 = img[y]
        r2 = img[min(y + 1, h - 1)]
        for x in range(w):
            a = r0[x]
            b = r1[x]
            c = r2[x]
            hi[x] = max(max(a, b), c)
            lo[x] = min(min(a, b), c)
        o = out[y]
        if w == 1:
            o[0] = _u8(hi[0] - lo[0])
            continue
        o[0] = _u8(max(hi[0], hi[1]) - min(lo[0], lo[1]))
        # Views shifted by one column: loops from column 0 over plain views vectorise best.
        hl, hm, hr = hi[: w - 2], hi[1 : w - 1], hi[2:]
        ll, lm, lr = lo[: w - 2], lo[1 : w - 1], lo[2:]
        oi = o[1 : w - 1]
        for x in range(w - 2):
            oi[x] = _u8(max(max(hl[x], hm[x]), hr[x]) - min(min(ll[x], lm[x]), lr[x]))
        o[w - 1] = _u8(max(hi[w - 2], hi[w - 1]) - min(lo[w - 2], lo[w - 1]))


@njit(cache=True, nogil=True)
def update_background(cur: U8, bg: U16, bg_u8_out: U8, alpha16: int) -> None:  # pragma: no cover - compiled
    """The slow background in 8.8 fixed point: ``bg += (cur·256 - bg) · alpha`` and its 8-bit copy.

    ``bg`` holds grey levels × 256 (a 256th of a grey level is far below codec noise);
    ``alpha16`` is the learning rate × 65536 (at most 32768), and the update rounds to nearest.
    ``bg_u8_out`` receives ``round(bg / 256)``. Two bytes a pixel instead of a float's four: the
    update moves 6 bytes a pixel through memory (OpenCV's ``accumulateWeighted`` on a float
    image followed by ``convertScaleAbs`` moved 14), and it runs on every fourth frame.
    """
    h, w = cur.shape
    # The rate is read inside the loop from a one-element array (see ``shift_bilinear``), and every
    # step truncated to 32 bits, so that LLVM computes in 32-bit lanes: the values fit (|cur·256 -
    # bg| < 2^16, alpha16 <= 2^15, and bg never exceeds 255·256).
    rate = np.empty(1, np.int32)
    rate[0] = alpha16
    for y in range(h):
        c = cur[y]
        b = bg[y]
        u = bg_u8_out[y]
        for x in range(w):
            a = np.int32(rate[0])
            bv = np.int32(b[x])
            d = np.int32(np.int32(np.int32(c[x]) << np.int32(8)) - bv)
            p = np.int32(np.int32(d * a) + np.int32(32768))
            v = np.int32(bv + np.int32(p >> np.int32(16)))
            b[x] = _u16(v)
            u[x] = _u8(np.int32(v + np.int32(128)) >> np.int32(8))


@njit(cache=True, nogil=True)
def blob_moments(
    cur: U8, ref: U8, bg: U8, both: U8, use_both: bool, thr_floor: int, boxes: I32, out: I64
) -> None:  # pragma: no cover - compiled
    """Weighted moments of every box: the weight is ``min(|cur - ref|, |cur - bg|)`` (or ``both``
    when ``use_both``) where it exceeds ``thr_floor``, else 0 (``cv2.threshold(THRESH_TOZERO)``).

    ``boxes`` is (n, 4) x, y, width, height; ``out`` (n, 5) receives per box m00, m10, m01 (box-local
    coordinates, as ``cv2.moments`` of the box crop), the count of weighted pixels and the sum of
    ``cur - bg`` over them (the sign gives the polarity).
    """
    for i in range(boxes.shape[0]):
        bx, by, bw, bh = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        # 64-bit signed throughout (``int()`` of an unsigned 8-bit value would be unsigned in numba).
        m00 = np.int64(0)
        m10 = np.int64(0)
        m01 = np.int64(0)
        area = np.int64(0)
        signed = np.int64(0)
        for yy in range(bh):
            y = by + yy
            row00 = np.int64(0)
            row10 = np.int64(0)
            for xx in range(bw):
                x = bx + xx
                cv = np.int64(cur[y, x])
                bgv = np.int64(bg[y, x])
                wv = np.int64(both[y, x]) if use_both else min(abs(cv - np.int64(ref[y, x])), abs(cv - bgv))
                if wv > thr_floor:
                    row00 += wv
                    row10 += wv * xx
                    area += 1
                    signed += cv - bgv
            m00 += row00
            m10 += row10
            m01 += row00 * yy
        out[i, 0] = m00
        out[i, 1] = m10
        out[i, 2] = m01
        out[i, 3] = area
        out[i, 4] = signed


@njit(cache=True, nogil=True, inline="always")
def _add_run(
    run_a: I32, run_b: I32, n_runs: int, first: int, a: int, b: int, half_w: int, w: int
) -> int:  # pragma: no cover
    """Append run [a, b] widened by half_w (merged with the row's previous run if they touch)."""
    a = max(a - half_w, 0)
    b = min(b + half_w, w - 1)
    if n_runs > first and a <= run_b[n_runs - 1] + 1:
        run_b[n_runs - 1] = b
        return n_runs
    run_a[n_runs] = a
    run_b[n_runs] = b
    return n_runs + 1


@njit(cache=True, nogil=True)
def dilated_boxes(
    fg_words: npt.NDArray[np.uint64], width: int, row_counts: I32, half_w: int, half_h: int
) -> tuple[I32, bool]:  # pragma: no cover - compiled
    """Bounding boxes of the 8-connected components of the mask dilated by a
    (2·half_w+1)×(2·half_h+1) rectangle, in the order ``cv2.findContours(RETR_EXTERNAL)`` lists
    their outer contours (reverse raster order of each component's first pixel). Returns (n, 4)
    x, y, width, height, and whether a box lies strictly inside another.

    ``fg_words`` is the mask (0 or nonzero bytes) seen as 64-bit words: its rows are padded with
    zeros to a multiple of eight bytes, and ``width`` is the mask's real width. The kernel works
    on runs, not pixels: the changed pixels of a frame are few and clustered, so rows without any
    (``row_counts`` 0) are skipped, the others are scanned eight pixels at a time up to their last
    changed pixel, and the dilation and the labelling operate on runs. Unlike ``findContours`` it
    does not drop a component that lies inside a hole of another; such a component's box lies
    strictly inside the other's (a necessary condition, rare with small blobs), and the second
    result tells the caller to fall back to OpenCV then.
    """
    h = fg_words.shape[0]
    nw = fg_words.shape[1]
    w = width
    # 1. Runs of changed pixels in raster order, each widened by half_w and merged with its
    # neighbours in the row where they touch: the horizontal part of the dilation.
    n_px = 0
    for y in range(h):
        n_px += row_counts[y]
    run_a = np.empty(n_px + 1, np.int32)
    run_b = np.empty(n_px + 1, np.int32)
    row_lo = np.zeros(h + 1, np.int32)  # runs of row y: [row_lo[y], row_hi[y])
    row_hi = np.zeros(h + 1, np.int32)
    n_runs = 0
    for y in range(h):
        first = n_runs
        row_lo[y] = first
        left = row_counts[y]
        if left == 0:
            row_hi[y] = n_runs
            continue
        words = fg_words[y]
        in_run = False
        a = 0
        for wi in range(nw):
            if left == 0 and not in_run:
                break  # past the row's last changed pixel
            wv = words[wi]
            if wv == 0:
                if in_run:
                    n_runs = _add_run(run_a, run_b, n_runs, first, a, wi * 8 - 1, half_w, w)
                    in_run = False
                continue
            for k in range(8):
                x = wi * 8 + k
                if (wv >> np.uint64(8 * k)) & np.uint64(0xFF):
                    if not in_run:
                        a = x
                        in_run = True
                    left -= 1
                elif in_run:
                    n_runs = _add_run(run_a, run_b, n_runs, first, a, x - 1, half_w, w)
                    in_run = False
        if in_run:
            n_runs = _add_run(run_a, run_b, n_runs, first, a, nw * 8 - 1, half_w, w)
        row_hi[y] = n_runs
    # 2. The vertical part: dilated row y is the union of the widened runs of rows y - half_h to
    # y + half_h, a merge of those sorted lists.
    cap = n_runs * (2 * half_h + 1) + 1
    d_y = np.empty(cap, np.int32)
    d_a = np.empty(cap, np.int32)
    d_b = np.empty(cap, np.int32)
    n_d = 0
    heads = np.empty(2 * half_h + 1, np.int32)
    ends = np.empty(2 * half_h + 1, np.int32)
    for y in range(h):
        lo = max(y - half_h, 0)
        hi = min(y + half_h, h - 1)
        if row_hi[hi] == row_lo[lo]:
            continue  # no runs in rows lo..hi (the runs are numbered in raster order)
        k = 0
        for src in range(lo, hi + 1):
            if row_hi[src] > row_lo[src]:
                heads[k] = row_lo[src]
                ends[k] = row_hi[src]
                k += 1
        if k == 0:
            continue
        open_run = False
        ca = 0
        cb = 0
        while True:
            best = -1
            for j in range(k):
                if heads[j] < ends[j] and (best < 0 or run_a[heads[j]] < run_a[heads[best]]):
                    best = j
            if best < 0:
                break
            i = heads[best]
            heads[best] += 1
            if open_run and run_a[i] <= cb + 1:  # overlapping or touching: one run
                cb = max(cb, run_b[i])
                continue
            if open_run:
                d_y[n_d] = y
                d_a[n_d] = ca
                d_b[n_d] = cb
                n_d += 1
            ca = run_a[i]
            cb = run_b[i]
            open_run = True
        d_y[n_d] = y
        d_a[n_d] = ca
        d_b[n_d] = cb
        n_d += 1
    # 3. Union-find over the dilated runs, 8-connected between consecutive rows. The root of a
    # component is its first run in raster order (the smallest index).
    parent = np.arange(n_d).astype(np.int32)
    prev_lo = 0
    prev_hi = 0  # runs [prev_lo, prev_hi) are those of the previous row
    i = 0
    while i < n_d:
        yy = d_y[i]
        j = i
        while j < n_d and d_y[j] == yy:
            j += 1
        if prev_hi > prev_lo and d_y[prev_lo] == yy - 1:
            p = prev_lo
            for k in range(i, j):
                while p < prev_hi and d_b[p] < d_a[k] - 1:
                    p += 1
                q = p
                while q < prev_hi and d_a[q] <= d_b[k] + 1:
                    # union(k, q)
                    rk = k
                    while parent[rk] != rk:
                        rk = parent[rk]
                    rq = q
                    while parent[rq] != rq:
                        rq = parent[rq]
                    if rk != rq:
                        if rk < rq:
                            parent[rq] = rk
                        else:
                            parent[rk] = rq
                    q += 1
        prev_lo = i
        prev_hi = j
        i = j
    # 4. Boxes per root, listed by decreasing root index.
    x0 = np.empty(n_d, np.int32)
    y0 = np.empty(n_d, np.int32)
    x1 = np.empty(n_d, np.int32)
    y1 = np.empty(n_d, np.int32)
    n_boxes = 0
    for k in range(n_d):
        r = k
        while parent[r] != r:
            r = parent[r]
        parent[k] = r
        if r == k:
            x0[k] = d_a[k]
            y0[k] = d_y[k]
            x1[k] = d_b[k]
            y1[k] = d_y[k]
            n_boxes += 1
        else:
            x0[r] = min(x0[r], d_a[k])
            x1[r] = max(x1[r], d_b[k])
            y1[r] = max(y1[r], d_y[k])
    out = np.empty((n_boxes, 4), np.int32)
    m = 0
    for k in range(n_d - 1, -1, -1):
        if parent[k] == k:
            out[m, 0] = x0[k]
            out[m, 1] = y0[k]
            out[m, 2] = x1[k] - x0[k] + 1
            out[m, 3] = y1[k] - y0[k] + 1
            m += 1
    nested = False
    for a in range(n_boxes):
        ax0, ay0 = out[a, 0], out[a, 1]
        ax1, ay1 = ax0 + out[a, 2], ay0 + out[a, 3]
        for b in range(n_boxes):
            if out[b, 0] > ax0 and out[b, 1] > ay0 and out[b, 0] + out[b, 2] < ax1 and out[b, 1] + out[b, 3] < ay1:
                nested = True
                break
        if nested:
            break
    return out, nested


def warm_up() -> None:
    """Load every kernel's compiled code now, for the argument types the change detector passes.

    Loading a kernel from numba's cache takes tens of milliseconds the first time it runs in a
    process, half a second for all of them: a camera worker pays that before its first frame, not
    in the middle of a fall, and a benchmark outside the frames it times. Frame crops come both as
    row-strided views and as whole contiguous rows (a crop as wide as the frame), which numba
    compiles separately: both are loaded.
    """
    h, w = 24, 40
    big = np.zeros((h, w + 8), np.uint8)
    crops: list[U8] = [big[:, 4 : 4 + w], np.zeros((h, w), np.uint8)]
    bg = np.zeros((h, w), np.uint8)
    thr = np.full((h, w), 255, np.uint8)
    fg = np.zeros((h, w), np.uint8)
    both = np.zeros((h, w), np.uint8)
    rows = np.zeros(h, np.int32)
    gain = np.full((1, 2), 128, np.uint8)
    sums = np.zeros((1, 2), np.int32)
    boxes = np.zeros((1, 4), np.int32)
    boxes[0] = (0, 0, 4, 4)
    moments = np.zeros((1, 5), np.int64)
    bg_16 = np.zeros((h, w), np.uint16)
    for cur in crops:
        change_mask(cur, cur, bg, thr, 0, fg, rows)
        relit_change_mask(cur, cur, bg, thr, gain, fg, both, rows)
        shifted_change_mask(cur, bg, bg, thr, gain, bg, fg, both, rows)
        blob_moments(cur, cur, bg, both, True, 10, boxes, moments)
        update_background(cur, bg_16, both, 6554)
        block_sums(cur, 16, sums)
        shift_bilinear(cur, -1, 3, 0, 5, both)
        local_range(cur, both)
    dilated_boxes(fg.view(np.uint64), w, rows, 1, 2)
