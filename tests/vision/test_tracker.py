"""The tracker on exact blobs: a fall that passes behind a mask keeps its track."""

from __future__ import annotations

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
