"""Decoding helpers: analysis batches, and frames that stay intact while a batch holds them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from jingzhi.vision.decode import batch_size, open_luma, read_ahead
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


def test_read_ahead_decodes_in_batches_and_keeps_every_frame_in_order() -> None:
    frames = [(i / 25, np.full((2, 2), i, np.uint8)) for i in range(10)]
    decoded = 0

    def source() -> Iterator[tuple[float, np.ndarray]]:
        nonlocal decoded
        for item in frames:
            decoded += 1
            yield item

    seen: list[tuple[int, float]] = []  # (frames decoded when this one was handed out, its time)
    for t, _ in read_ahead(source(), 4):
        seen.append((decoded, t))
    assert [n for n, _ in seen] == [4, 4, 4, 4, 8, 8, 8, 8, 10, 10]  # batches of 4, 4 and 2
    assert [t for _, t in seen] == [t for t, _ in frames]
    assert list(read_ahead(iter([]), 4)) == []


def test_frames_held_in_a_batch_are_not_overwritten_by_later_decoding(bottle_clip: Clip) -> None:
    _, frames = open_luma(bottle_clip.video)
    one_by_one = [(t, f.copy()) for t, f in frames]
    _, frames = open_luma(bottle_clip.video)
    held = list(read_ahead(frames, 4))
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
    for t, luma in read_ahead(frames, size):
        events.extend(det.process(luma, t))
    return events + det.finish()


def test_batching_does_not_change_what_is_detected(bottle_clip: Clip) -> None:
    single = _events(bottle_clip, 1)
    assert len(single) == 1
    assert _events(bottle_clip, 4) == single
