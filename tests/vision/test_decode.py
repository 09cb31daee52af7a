"""Decoding helpers: analysis batches, and frames that stay intact while a batch holds them."""

from __future__ import annotations

import numpy as np
import pytest

from jingzhi.vision.decode import batch_size, in_batches, open_luma
from jingzhi.vision.facade import load_facade
from jingzhi.vision.throws import ThrowDetector, ThrowEvent

from .conftest import Clip


@pytest.mark.parametrize(
    ("fps", "latency_s", "size"),
    [
        (25.0, 0.12, 4),
        (30.0, 0.12, 4),
        (10.0, 0.12, 2),
        (12.5, 0.12, 2),
        (5.0, 0.12, 1),
        (1.0, 0.12, 1),
        (25.0, 0.0, 1),
        (25.0, 0.04, 2),
        (60.0, 1.0, 4),
        (0.0, 0.12, 1),
        (float("nan"), 0.12, 1),
    ],
)
def test_batch_size_keeps_the_delay_within_the_latency(fps: float, latency_s: float, size: int) -> None:
    assert batch_size(fps, latency_s) == size


def test_in_batches_keeps_every_frame_in_order() -> None:
    frames = [(i / 25, np.full((2, 2), i, np.uint8)) for i in range(10)]
    batches = list(in_batches(iter(frames), 4))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert [t for b in batches for t, _ in b] == [t for t, _ in frames]
    assert list(in_batches(iter([]), 4)) == []


def test_frames_held_in_a_batch_are_not_overwritten_by_later_decoding(bottle_clip: Clip) -> None:
    _, frames = open_luma(bottle_clip.video)
    one_by_one = [(t, f.copy()) for t, f in frames]
    _, frames = open_luma(bottle_clip.video)
    held = [item for batch in in_batches(frames, 4) for item in batch]
    assert len(held) == len(one_by_one) > 8
    for (t0, a), (t1, b) in zip(one_by_one, held, strict=True):
        assert t0 == t1
        assert np.array_equal(a, b)
    assert any(not np.array_equal(one_by_one[0][1], f) for _, f in one_by_one[1:])


def _events(clip: Clip, size: int) -> list[ThrowEvent]:
    facade = load_facade(clip.facade)
    info, frames = open_luma(clip.video)
    det = ThrowDetector(facade, (info.height, info.width), info.fps)
    events: list[ThrowEvent] = []
    for batch in in_batches(frames, size):
        for t, luma in batch:
            events.extend(det.process(luma, t))
    return events + det.finish()


def test_batching_does_not_change_what_is_detected(bottle_clip: Clip) -> None:
    single = _events(bottle_clip, 1)
    assert len(single) == 1
    assert _events(bottle_clip, 4) == single
