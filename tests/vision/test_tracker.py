"""The tracker on exact blobs: a fall that passes behind a mask keeps its track."""

from __future__ import annotations

import numpy as np

from jingzhi.vision.change import Blob
from jingzhi.vision.config import TrackConfig
from jingzhi.vision.tracker import Tracker

FPS = 25.0
PPM = 20.0  # pixels per metre
G_PX = 9.81 * PPM


def fall(t: float) -> tuple[float, float]:
    return 400.0 + 30.0 * t, 100.0 + 0.5 * G_PX * t * t


def blob(x: float, y: float, area: int = 40) -> Blob:
    return Blob(x, y, area, 6, 8, -1, PPM)


def behind_tree(x: float, y: float) -> bool:
    return 150.0 <= y <= 260.0


def run(hidden: bool, area_after: int = 40) -> list[list[float]]:
    """Frames 0-49 of a fall; no detection while the object is behind the "tree" (y 150-260)."""
    tracker = Tracker(TrackConfig(), FPS)
    finished: list[list[float]] = []
    for i in range(50):
        t = i / FPS
        x, y = fall(t)
        blobs = () if behind_tree(x, y) else (blob(x, y, 40 if y < 150 else area_after),)
        ended = tracker.step(blobs, i, t, skip=False, hidden=behind_tree if hidden else None)
        finished.extend([p.t for p in tr.points] for tr in ended)
    finished.extend([p.t for p in tr.points] for tr in tracker.flush())
    return finished


def test_a_fall_behind_a_mask_keeps_one_track() -> None:
    hidden_frames = [i for i in range(50) if behind_tree(*fall(i / FPS))]
    assert len(hidden_frames) >= 12  # longer than a confirmed track may coast in the open (0.4 s)
    tracks = [tr for tr in run(hidden=True) if len(tr) > 2]
    assert len(tracks) == 1
    times = tracks[0]
    assert times[0] == 0.0 and times[-1] == 49 / FPS
    # Without knowing about the mask the fall breaks in two.
    assert len([tr for tr in run(hidden=False) if len(tr) > 2]) == 2


def test_a_refound_object_must_be_about_the_same_size() -> None:
    # Something 20 times larger where the object should reappear is not the object.
    tracks = [tr for tr in run(hidden=True, area_after=800) if len(tr) > 2]
    assert len(tracks) == 2


def test_the_state_rows_follow_the_tracks() -> None:
    # The Kalman state lives in arrays with one row per track: starting, ending and flushing tracks
    # (clutter that comes and goes, a fall, frames skipped for a global change) keep them aligned.
    rng = np.random.default_rng(5)
    tracker = Tracker(TrackConfig(), FPS)
    for i in range(60):
        t = i / FPS
        clutter = tuple(blob(float(x), float(y)) for x, y in rng.uniform(0, 600, (int(rng.integers(0, 6)), 2)))
        x, y = fall(t)
        tracker.step((*clutter, blob(x, y)), i, t, skip=i % 17 == 16)
        n = len(tracker.tracks)
        assert tracker.state.shape == (n, 2, 3) and tracker.cov.shape == (n, 2, 3, 3)
        # A fresh track sits at its blob; a continued one near its last point.
        for row, tr in enumerate(tracker.tracks):
            if tr.points[-1].frame == i:
                assert abs(tracker.state[row, 0, 0] - tr.points[-1].x) < 3.0
                assert abs(tracker.state[row, 1, 0] - tr.points[-1].y) < 3.0
    assert any(len(tr.points) >= 40 for tr in tracker.flush())
    assert tracker.state.shape == (0, 2, 3) and not tracker.tracks
