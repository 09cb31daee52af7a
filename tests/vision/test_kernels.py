"""The compiled kernels of the change detector equal the OpenCV operations they replace, bit for bit."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from jingzhi.vision import kernels
from jingzhi.vision.change import (
    _KERNEL,
    _KERNEL_HALF_H,
    _KERNEL_HALF_W,
    _block_means,
    _contour_boxes,
    _gain,
    _padded_mask,
    _reduced,
    _relit_absdiff,
    _relit_gain,
    _upscale_gain,
)

U8 = npt.NDArray[np.uint8]

# Odd and even widths, widths below and above a vector's length, and a 16-pixel multiple.
SHAPES = [(1, 1), (3, 7), (17, 33), (40, 31), (64, 96), (37, 129), (120, 250)]


def _frame_view(rng: np.random.Generator, h: int, w: int) -> U8:
    """A row-strided view into a larger frame, as decoded luma crops are."""
    big = rng.integers(0, 256, (h + 5, w + 13), dtype=np.uint8)
    return big[3 : 3 + h, 7 : 7 + w]


def _similar(rng: np.random.Generator, base: U8, spread: int) -> U8:
    noise = rng.integers(-spread, spread + 1, base.shape)
    return np.clip(base.astype(np.int32) + noise, 0, 255).astype(np.uint8)


def _inputs(rng: np.random.Generator, h: int, w: int) -> tuple[U8, U8, U8, U8]:
    cur = _frame_view(rng, h, w)
    # Mostly small differences (static scene, codec noise), some large (changes), some exact ties.
    ref_big = np.zeros((h + 5, w + 13), np.uint8)
    ref_big[3 : 3 + h, 7 : 7 + w] = _similar(rng, cur, 30)
    ref = ref_big[3 : 3 + h, 7 : 7 + w]
    bg = _similar(rng, cur, 40)
    thr = rng.integers(5, 30, (h, w), dtype=np.uint8)
    thr[rng.random((h, w)) < 0.1] = 255  # outside the region
    return cur, ref, bg, thr


@pytest.mark.parametrize(("h", "w"), SHAPES)
def test_change_mask_equals_opencv(h: int, w: int) -> None:
    rng = np.random.default_rng(h * 1000 + w)
    cur, ref, bg, thr = _inputs(rng, h, w)
    both = cv2.min(cv2.absdiff(cur, ref), cv2.absdiff(cur, bg))
    expected = cv2.compare(both, thr, cv2.CMP_GT)
    padded = _padded_mask(h, w)
    padded[:] = 7  # stale content from an earlier frame, with its counts: every column is rewritten
    padded[:, w:] = 0
    rows = np.full(h, w, np.int32)
    n = kernels.change_mask(cur, ref, bg, thr, int(thr.min()), padded, rows)
    assert np.array_equal(padded[:, :w], expected)
    assert not padded[:, w:].any()  # the padding is left alone
    assert n == cv2.countNonZero(expected)
    assert np.array_equal(rows, np.count_nonzero(expected, axis=1))


@pytest.mark.parametrize(("h", "w"), SHAPES)
def test_change_mask_skips_still_rows_exactly(h: int, w: int) -> None:
    """Rows without temporal change are skipped, and the changed pixels an earlier frame left in
    them are cleared (their count says where); rows that change are compared in full."""
    rng = np.random.default_rng(h * 1000 + w + 1)
    padded = _padded_mask(h, w)
    rows = np.zeros(h, np.int32)
    for _ in range(4):
        cur, ref, bg, thr = _inputs(rng, h, w)
        ref = ref.copy()
        still = rng.random(h) < 0.6
        # Still rows: the temporal difference stays at the smallest threshold (a tie is no change).
        ref[still] = _similar(rng, cur[still], 3)
        thr_min = int(thr.min())
        ref[still] = np.clip(ref[still], cur[still].astype(np.int32) - thr_min, cur[still].astype(np.int32) + thr_min)
        both = cv2.min(cv2.absdiff(cur, ref), cv2.absdiff(cur, bg))
        expected = cv2.compare(both, thr, cv2.CMP_GT)
        n = kernels.change_mask(cur, ref, bg, thr, thr_min, padded, rows)
        assert np.array_equal(padded[:, :w], expected)
        assert n == cv2.countNonZero(expected)
        assert np.array_equal(rows, np.count_nonzero(expected, axis=1))


@pytest.mark.parametrize(("h", "w"), [*SHAPES, (16, 16), (48, 80), (15, 100)])
def test_relit_change_mask_equals_opencv(h: int, w: int) -> None:
    rng = np.random.default_rng(h * 1000 + w + 1)
    cur, ref, bg, thr = _inputs(rng, h, w)
    # A light change: the current frame darker on one side (a cloud shadow's edge).
    shade = np.linspace(0.6, 1.1, w)[None, :]
    cur = np.clip(cur * shade, 0, 255).astype(np.uint8)
    hs, ws = h - h % 16, w - w % 16
    gain = _gain(_block_means(cur), _block_means(ref)) if hs and ws else np.zeros((0, 0), np.uint8)
    diff = _relit_absdiff(cur, ref, None)
    both = cv2.min(diff, cv2.absdiff(cur, bg))
    expected = cv2.compare(both, thr, cv2.CMP_GT)
    padded = _padded_mask(h, w)
    both_out = np.full((h, w), 9, np.uint8)
    rows = np.zeros(h, np.int32)
    n = kernels.relit_change_mask(cur, ref, bg, thr, gain, padded, both_out, rows)
    assert np.array_equal(padded[:, :w], expected)
    assert np.array_equal(both_out, both)
    assert n == cv2.countNonZero(expected)
    assert np.array_equal(rows, np.count_nonzero(expected, axis=1))


@pytest.mark.parametrize(("h", "w"), SHAPES)
def test_shifted_change_mask_equals_opencv(h: int, w: int) -> None:
    # The shake path: the reference shifted by a fraction of a pixel, the temporal difference
    # reduced by the shifted reference's local range, then relit and compared as above.
    rng = np.random.default_rng(h * 1000 + w + 2)
    cur, ref, bg, thr = _inputs(rng, h, w)
    shade = np.linspace(1.1, 0.7, w)[None, :]
    cur = np.clip(cur * shade, 0, 255).astype(np.uint8)
    m = np.array([[1.0, 0.0, 1.37], [0.0, 1.0, -0.61]], np.float32)
    ref_s = np.asarray(cv2.warpAffine(ref, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    square = np.ones((3, 3), np.uint8)
    tolerance = np.asarray(cv2.subtract(cv2.dilate(ref_s, square), cv2.erode(ref_s, square)))
    hs, ws = h - h % 16, w - w % 16
    cur_means = _block_means(cur[:hs, :ws]) if hs and ws else None
    gain = _relit_gain(cur_means, ref_s)
    assert gain.shape == ((hs // 16, ws // 16) if hs and ws else (0, 0))
    both = cv2.min(_relit_absdiff(cur, ref_s, tolerance, cur_means), cv2.absdiff(cur, bg))
    expected = cv2.compare(both, thr, cv2.CMP_GT)
    padded = _padded_mask(h, w)
    both_out = np.full((h, w), 9, np.uint8)
    rows = np.zeros(h, np.int32)
    n = kernels.shifted_change_mask(cur, ref_s, bg, thr, gain, tolerance, padded, both_out, rows)
    assert np.array_equal(padded[:, :w], expected)
    assert not padded[:, w:].any()
    assert np.array_equal(both_out, both)
    assert n == cv2.countNonZero(expected)
    assert np.array_equal(rows, np.count_nonzero(expected, axis=1))
    # Without the tolerance it is the relit comparison.
    zero = np.zeros_like(tolerance)
    expected_relit = _padded_mask(h, w)
    kernels.relit_change_mask(cur, ref_s, bg, thr, gain, expected_relit, both_out, rows)
    kernels.shifted_change_mask(cur, ref_s, bg, thr, gain, zero, padded, both_out, rows)
    assert np.array_equal(padded, expected_relit)


def test_relit_product_rounds_as_opencv_multiply() -> None:
    # Every (reference, gain) pair: cv2.multiply with scale 1/128 rounds half to even. A constant
    # block gain map is that gain at every pixel.
    ref = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 16, axis=0)
    cur = np.zeros_like(ref)
    bg = np.full_like(ref, 255)  # the background difference never limits the minimum
    thr = np.full_like(ref, 255)
    both = np.zeros_like(ref)
    for g in range(256):
        gain = np.full((1, 16), g, np.uint8)
        kernels.relit_change_mask(cur, ref, bg, thr, gain, _padded_mask(16, 256), both, np.zeros(16, np.int32))
        assert np.array_equal(both, cv2.multiply(ref, np.full_like(ref, g), scale=1.0 / 128.0)), g


@pytest.mark.parametrize(("h", "w"), [(16, 16), (48, 80), (37, 129), (120, 250)])
def test_block_means_are_rounded_exact_means(h: int, w: int) -> None:
    rng = np.random.default_rng(h + w)
    img = _frame_view(rng, h, w)
    oh, ow = h // 16, w // 16
    sums = img[: oh * 16, : ow * 16].astype(np.int64).reshape(oh, 16, ow, 16).sum(axis=(1, 3))
    assert np.array_equal(_block_means(img), ((sums + 128) >> 8).astype(np.uint8))


def test_gain_interpolation_is_opencv_bilinear_to_within_one_level() -> None:
    rng = np.random.default_rng(5)
    small = rng.integers(60, 200, (7, 11), dtype=np.uint8)
    full = _upscale_gain(small, np.arange(7 * 16), np.arange(11 * 16))
    ref = np.asarray(cv2.resize(small, (11 * 16, 7 * 16), interpolation=cv2.INTER_LINEAR))
    assert int(np.abs(full.astype(int) - ref.astype(int)).max()) <= 1
    # A uniform map stays uniform (the weights sum to one exactly).
    for g in (0, 1, 127, 128, 255):
        flat = _upscale_gain(np.full((3, 4), g, np.uint8), np.arange(48), np.arange(64))
        assert (flat == g).all()


def test_subsampled_relit_difference_is_the_whole_one_subsampled() -> None:
    rng = np.random.default_rng(9)
    cur, ref, _, _ = _inputs(rng, 70, 99)
    tolerance = rng.integers(0, 6, (70, 99), dtype=np.uint8)
    whole = _relit_absdiff(cur, ref, tolerance)
    assert np.array_equal(_relit_absdiff(cur, ref, tolerance, step=4), whole[::4, ::4])


@pytest.mark.parametrize("use_both", [False, True])
@pytest.mark.parametrize("thr", [10.0, 12.7, 25.3])
def test_blob_moments_equal_opencv(use_both: bool, thr: float) -> None:
    rng = np.random.default_rng(int(thr * 10) + use_both)
    h, w = 61, 77
    cur, ref, bg, _ = _inputs(rng, h, w)
    both = cv2.min(cv2.absdiff(cur, ref), cv2.absdiff(cur, bg))
    given = rng.integers(0, 60, (h, w), dtype=np.uint8) if use_both else both
    boxes = [(0, 0, 1, 1), (3, 4, 10, 7), (70, 50, 7, 11), (0, 0, w, h), (20, 30, 1, 9), (40, 2, 13, 1)]
    out = np.zeros((len(boxes), 5), np.int64)
    kernels.blob_moments(cur, ref, bg, given, use_both, math.floor(thr), np.array(boxes, np.int32), out)
    for (bx, by, bw, bh), (m00, m10, m01, area, signed) in zip(boxes, out.tolist(), strict=True):
        weights = cv2.threshold(given[by : by + bh, bx : bx + bw], thr, 0, cv2.THRESH_TOZERO)[1]
        m = cv2.moments(weights)
        assert (m00, m10, m01) == (m["m00"], m["m10"], m["m01"])
        assert area == cv2.countNonZero(weights)
        sel = weights > 0
        expected = int(
            (cur[by : by + bh, bx : bx + bw][sel].astype(np.int64) - bg[by : by + bh, bx : bx + bw][sel]).sum()
        )
        assert signed == expected


def _reference_boxes(fg: U8) -> list[tuple[int, int, int, int]]:
    found, _ = cv2.findContours(cv2.dilate(fg, _KERNEL), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [tuple(int(v) for v in cv2.boundingRect(c)) for c in found]  # type: ignore[misc]


def _random_masks() -> list[U8]:
    rng = np.random.default_rng(7)
    masks: list[U8] = []
    for i in range(600):
        h, w = (int(v) for v in rng.integers(1, 140, 2))
        p = float(rng.choice([0.0005, 0.003, 0.01, 0.03, 0.1, 0.3]))
        fg = ((rng.random((h, w)) < p) * 255).astype(np.uint8)
        if i % 3 == 0 and h >= 4 and w >= 4:  # blocky blobs, some with holes
            fg = cv2.resize(fg[::4, ::4], (w, h), interpolation=cv2.INTER_NEAREST)
        masks.append(fg)
    # A blob inside a ring: RETR_EXTERNAL drops the inner one.
    ring = np.zeros((40, 45), np.uint8)
    cv2.rectangle(ring, (5, 5), (35, 33), 255, 1)
    ring[18:20, 19:22] = 255
    masks.append(ring)
    # Changes in the padding's last word and on every edge.
    edges = np.zeros((30, 41), np.uint8)
    edges[0, 0] = edges[29, 40] = edges[15, 40] = edges[0, 33:41] = 255
    masks.append(edges)
    return masks


def test_dilated_boxes_equal_find_contours() -> None:
    nested_seen = 0
    for fg in _random_masks():
        h, w = fg.shape
        padded = _padded_mask(h, w)
        padded[:, :w] = fg
        rows = np.count_nonzero(fg, axis=1).astype(np.int32)
        found, nested = kernels.dilated_boxes(padded.view(np.uint64), w, rows, _KERNEL_HALF_W, _KERNEL_HALF_H)
        got = [tuple(b) for b in found.tolist()]
        expected = _reference_boxes(fg)
        if nested:
            # A box strictly inside another: the caller labels this frame with OpenCV instead.
            nested_seen += 1
            assert _contour_boxes(fg, rows) == expected
        else:
            assert got == expected  # the same boxes, in findContours' order
    assert nested_seen > 0


def test_contour_boxes_in_bands_equal_whole_frame() -> None:
    for fg in _random_masks():
        rows = np.count_nonzero(fg, axis=1).astype(np.int32)
        assert _contour_boxes(fg, rows) == _reference_boxes(fg)


@pytest.mark.parametrize(("h", "w"), SHAPES)
@pytest.mark.parametrize("alpha", [0.1, 0.05, 0.37, 0.5])
def test_update_background_in_fixed_point_follows_the_float_update(h: int, w: int, alpha: float) -> None:
    """The 8.8 fixed-point background equals its integer formula exactly and stays near OpenCV's
    float ``accumulateWeighted`` (each update rounds by at most half a 256th of a grey level, and
    the update forgets old errors at the rate alpha: 0.02 grey levels at alpha 0.1); its 8-bit
    copy rounds it."""
    rng = np.random.default_rng(h * 1000 + w)
    start = _frame_view(rng, h, w)
    ours = np.left_shift(start.astype(np.uint16), 8)
    exact = ours.astype(np.int64)
    float_bg = start.astype(np.float32)
    out = np.zeros((h, w), np.uint8)
    a16 = round(alpha * 65536)
    for _ in range(40):  # repeated updates, as the detector makes them
        cur = _frame_view(rng, h, w) if rng.random() < 0.5 else _similar(rng, start, 3)
        exact = exact + (((cur.astype(np.int64) << 8) - exact) * a16 + 32768 >> 16)
        cv2.accumulateWeighted(cur, float_bg, alpha)
        kernels.update_background(cur, ours, out, a16)
        assert np.array_equal(ours, exact)
        assert np.array_equal(out, (exact + 128) >> 8)
        assert np.abs(ours / 256.0 - float_bg).max() <= 0.5 / 256 / alpha + 1e-4


def _shift_reference(src: U8, ox: int, a: int, oy: int, b: int) -> U8:
    """Bilinear sample at (x + ox + a/16, y + oy + b/16), indices clamped to the image, in integers."""
    h, w = src.shape
    xs = np.arange(w) + ox
    ys = np.arange(h) + oy
    x0, x1 = np.clip(xs, 0, w - 1), np.clip(xs + 1, 0, w - 1)
    y0, y1 = np.clip(ys, 0, h - 1), np.clip(ys + 1, 0, h - 1)
    s = src.astype(np.int64)
    top = (16 - a) * s[y0][:, x0] + a * s[y0][:, x1]
    bottom = (16 - a) * s[y1][:, x0] + a * s[y1][:, x1]
    return (((16 - b) * top + b * bottom + 128) >> 8).astype(np.uint8)


@pytest.mark.parametrize(("h", "w"), [(1, 1), (3, 7), (40, 31), (37, 129)])
@pytest.mark.parametrize(("ox", "a", "oy", "b"), [(0, 0, 0, 0), (-1, 3, 0, 15), (2, 8, -3, 1), (-200, 5, 90, 9)])
def test_shift_bilinear_equals_the_integer_reference(h: int, w: int, ox: int, a: int, oy: int, b: int) -> None:
    rng = np.random.default_rng(h + w + a)
    src = _frame_view(rng, h, w)
    out = np.full((h, w), 7, np.uint8)
    kernels.shift_bilinear(src, ox, a, oy, b, out)
    assert np.array_equal(out, _shift_reference(src, ox, a, oy, b))


def test_shift_bilinear_follows_opencv_warp_affine() -> None:
    # A smooth image moved by a fraction of a pixel: within a grey level of cv2.warpAffine
    # (which quantises the offset to 1/32 px) away from the replicated edges.
    yy, xx = np.mgrid[0:60, 0:80]
    src = (128 + 100 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint8)
    dx, dy = 1.375, -0.625  # exact in sixteenths
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    expected = np.asarray(cv2.warpAffine(src, m, (80, 60), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    qx, qy = round(-dx * 16), round(-dy * 16)
    out = np.zeros_like(src)
    kernels.shift_bilinear(src, qx >> 4, qx & 15, qy >> 4, qy & 15, out)
    assert int(np.abs(out.astype(int) - expected.astype(int))[3:-3, 3:-3].max()) <= 1


@pytest.mark.parametrize("k", [2, 4])
def test_reduced_copies_are_block_means(k: int) -> None:
    rng = np.random.default_rng(k)
    img = _frame_view(rng, 37, 129)
    oh, ow = 37 // k, 129 // k
    out = _reduced(img, k)
    expected = img[: oh * k, : ow * k].astype(np.float64).reshape(oh, k, ow, k).mean(axis=(1, 3))
    assert np.allclose(out, expected, atol=1e-4)


@pytest.mark.parametrize(("h", "w"), [*SHAPES, (1, 5), (5, 1), (2, 2)])
def test_local_range_equals_opencv_dilate_minus_erode(h: int, w: int) -> None:
    rng = np.random.default_rng(h * 7 + w)
    img = _frame_view(rng, h, w)
    square = np.ones((3, 3), np.uint8)
    out = np.full((h, w), 7, np.uint8)
    kernels.local_range(img, out)
    np.testing.assert_array_equal(out, cv2.subtract(cv2.dilate(img, square), cv2.erode(img, square)))
