"""The change detector's choice of comparison: plain first, compensated where the scene needs it."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from jingzhi.vision.change import ChangeDetector, _u8
from jingzhi.vision.config import ChangeConfig
from jingzhi.vision.facade import Facade, FacadeCalibration

U8 = npt.NDArray[np.uint8]
H, W = 240, 320


def _detector() -> tuple[ChangeDetector, list[int], list[int]]:
    facade = Facade(
        FacadeCalibration(corners=[(20, 10), (300, 10), (300, 230), (20, 230)], floors=8, columns=6, width_m=24.0)
    )
    det = ChangeDetector(facade, (H, W), ChangeConfig())
    plain_tries: list[int] = []
    relit_tries: list[int] = []
    kernels = det._k

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(kernels, name)

        @staticmethod
        def change_mask(*args: Any) -> Any:
            plain_tries.append(det.count)
            return kernels.change_mask(*args)

        @staticmethod
        def relit_change_mask(*args: Any) -> Any:
            relit_tries.append(det.count)
            return kernels.relit_change_mask(*args)

    det._k = Counting()  # type: ignore[assignment]
    return det, plain_tries, relit_tries


def _wall(rng: np.random.Generator) -> U8:
    return np.asarray(cv2.GaussianBlur(rng.integers(0, 256, (H, W), dtype=np.uint8), (0, 0), 1.5), np.uint8)


def _shifted(img: U8, dx: float, dy: float) -> U8:
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    return np.asarray(cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def test_a_still_scene_is_compared_plainly_every_frame() -> None:
    det, tries, _ = _detector()
    wall = _wall(np.random.default_rng(1))
    for _ in range(40):
        det.process(wall.copy())
    assert tries == list(range(3, 41))  # every frame once the history is full


def test_a_shaking_camera_is_compensated_without_trying_the_plain_comparison_each_frame() -> None:
    det, tries, _ = _detector()
    cfg = det.cfg
    wall = _wall(np.random.default_rng(2))
    for i in range(60):
        # A slow pan: every frame 2 px off the one two frames before (the reference), none repeats.
        det.process(_shifted(wall, 1.0 * i, 0.5 * i))
    # The history fills (2 frames); the plain comparison fails ``frame_gap + 1`` frames in a row,
    # then is tried again only after each hold.
    first = cfg.frame_gap + 1
    assert tries[:first] == list(range(3, 3 + first))
    assert set(np.diff(tries[first - 1 :]).tolist()) == {cfg.compensate_hold + 1}
    assert tries[-1] > 60 - cfg.compensate_hold - 1


def test_a_key_frame_alone_does_not_hold_the_compensation() -> None:
    """A key frame re-quantises the whole picture: the ``frame_gap`` frames compared across it need
    compensating, and the frame after them is tried plainly again."""
    det, tries, _ = _detector()
    rng = np.random.default_rng(3)
    wall = _wall(rng)
    # Re-quantised: scattered pixels jump (1 %: more than the share that asks for compensation,
    # far less than a global change).
    requantised = wall.copy()
    jumped = rng.random((H, W)) < 0.01
    requantised[jumped] = np.where(wall[jumped] > 128, wall[jumped] - 60, wall[jumped] + 60)
    frames = [wall] * 20 + [requantised] * 20
    for f in frames:
        det.process(f.copy())
    assert tries == list(range(3, 41))


def _rain(wall: U8, rng: np.random.Generator, drops: int = 15) -> U8:
    """Bright 1×6 px streaks at new places every frame: nothing a light change or a shift explains."""
    out = wall.copy()
    for _ in range(drops):
        y, x = int(rng.integers(20, 220)), int(rng.integers(30, 290))
        out[y : y + 6, x] = np.minimum(out[y : y + 6, x].astype(np.int32) + 90, 255).astype(np.uint8)
    return out


def test_rain_that_relighting_does_not_explain_is_compared_plainly_through_the_hold() -> None:
    det, tries, relit = _detector()
    cfg = det.cfg
    rng = np.random.default_rng(4)
    wall = _wall(rng)
    for _ in range(60):
        det.process(_rain(wall, rng))
    # Every frame is compared plainly; relighting is tried only where a hold is decided.
    assert tries == list(range(3, 61))
    assert 0 < len(relit) <= 60 // (cfg.compensate_hold + 1) + cfg.frame_gap + 1
    # A cloud shadow in the rain: the plain comparison no longer suffices, relighting comes back.
    shade = np.ones((H, W), np.float32)
    shade[:, : W // 2] = 0.6
    before = len(relit)
    for i in range(6):
        lit = np.clip(_rain(wall, rng) * (1.0 + (shade - 1.0) * (i + 1) / 6), 0, 255).astype(np.uint8)
        det.process(lit)
    assert len(relit) - before >= 4


def test_the_shake_estimate_is_not_thrown_off_by_an_odd_transform_length() -> None:
    """``cv2.phaseCorrelate`` pads to ``getOptimalDFTSize``, which can be odd (135, 225 …), and with
    an odd length it puts the peak half a (reduced) pixel off, even between identical frames."""
    h, w = 285, 440
    facade = Facade(
        FacadeCalibration(
            corners=[(20, 10), (w - 20, 10), (w - 20, h - 10), (20, h - 10)], floors=8, columns=6, width_m=24.0
        )
    )
    det = ChangeDetector(facade, (h, w), ChangeConfig())
    k = det._reduction
    ch, cw = det.mask.shape
    # The case in question: both reduced lengths have an odd optimal transform length.
    assert cv2.getOptimalDFTSize(ch // k) % 2 == 1 and cv2.getOptimalDFTSize(cw // k) % 2 == 1
    rng = np.random.default_rng(5)
    wall = np.asarray(cv2.GaussianBlur(rng.integers(0, 256, (h, w), dtype=np.uint8), (0, 0), 2.0), np.uint8)
    crop = (slice(det.y0, det.y1), slice(det.x0, det.x1))
    # Shifts by whole reduced pixels, where the estimate is otherwise exact (between them, the
    # peak's sub-pixel centroid has errors of its own, which the registration tolerance absorbs).
    for dx, dy in [(0.0, 0.0), (2.0, -2.0), (-4.0, 2.0)]:
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
        moved = np.asarray(cv2.warpAffine(wall, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
        det._smalls.clear()
        det._smalls.append(None)  # no cached copy of the reference
        (ex, ey), _small = det._estimate_shift(wall[crop], moved[crop])
        assert abs(ex - dx) < 0.2 and abs(ey - dy) < 0.2, ((ex, ey), (dx, dy))


def _streaks(frame: U8, config: ChangeConfig) -> int:
    """Thin vertical blobs counted as rain on ``frame``, after four frames of the striped wall."""
    facade = Facade(
        FacadeCalibration(corners=[(20, 10), (300, 10), (300, 230), (20, 230)], floors=8, columns=6, width_m=24.0)
    )
    det = ChangeDetector(facade, (H, W), config)
    for _ in range(4):
        det.process(_posted_wall())
    return det.process(frame).streaks


def _posted_wall() -> U8:
    """Flat wall (grey 120) with dark window posts: 3 px wide, 24 px tall, every 40 px."""
    img = np.full((H, W), 120, np.uint8)
    for x in range(40, 300, 40):
        img[60:84, x : x + 3] = 30
        img[150:174, x : x + 3] = 30
    return img


def test_thin_residue_on_the_walls_edges_is_not_rain_but_streaks_on_flat_wall_are() -> None:
    # A jolt blurs the picture sideways: every post leaves thin vertical differences along its sides,
    # which no shift or light change explains.
    jolted = _u8(cv2.blur(_posted_wall(), (5, 1)))
    # Rain: thin bright streaks, 12 px long, on the flat wall between the posts.
    rain = _posted_wall()
    for x in range(55, 300, 40):
        rain[100:112, x] = 200
    assert _streaks(rain, ChangeConfig()) == 7
    assert _streaks(jolted, ChangeConfig()) == 0
    # Counted as rain when every thin blob counts (``streak_edge_range`` 256, the rule before).
    assert _streaks(jolted, ChangeConfig(streak_edge_range=256)) >= 7


def _blobs_at(config: ChangeConfig) -> list[tuple[int, int]]:
    """Blobs found where three dark spots appear on a flat wall: on the region's top row, mid-wall and on
    its bottom row."""
    facade = Facade(
        FacadeCalibration(corners=[(20, 10), (300, 10), (300, 230), (20, 230)], floors=8, columns=6, width_m=24.0)
    )
    det = ChangeDetector(facade, (H, W), config)
    wall = np.full((H, W), 120, np.uint8)
    for _ in range(4):
        det.process(wall.copy())
    frame = wall.copy()
    top, bottom = det.y0, det.y1
    frame[top : top + 2, 60:66] = 20
    frame[119:123, 160:164] = 20
    frame[bottom - 2 : bottom, 260:266] = 20
    return sorted((round(b.x), round(b.y)) for b in det.process(frame).blobs)


def test_blobs_cut_by_the_regions_top_row_are_not_positions() -> None:
    # A roof line or the frame's top edge cuts what touches it, and a shaking camera leaves rows of
    # specks there: not objects. The bottom row is kept (a fall leaving the frame needs its last points).
    assert _blobs_at(ChangeConfig()) == [(162, 121), (263, 230)]
    assert _blobs_at(ChangeConfig(drop_top_edge_blobs=False)) == [(63, 11), (162, 121), (263, 230)]
