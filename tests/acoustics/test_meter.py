"""The streaming meter equals the batch measurement on the same signal, whatever the block sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jingzhi.acoustics.analysis import measure
from jingzhi.acoustics.config import MeterConfig
from jingzhi.acoustics.meter import SoundLevelMeter
from jingzhi.acoustics.results import Measurement
from tests.acoustics.signals import odd_blocks, rms_for_level, sine, white_noise

CONFIG = MeterConfig(fullscale_db=110.0)


def _varied_signal(rate: int, seconds: float) -> np.ndarray:
    """Noise whose level changes every 0.7 s, a tone burst and a click: every metric moves."""
    x = white_noise(0.02, seconds, rate, seed=7)
    gains = np.repeat(np.random.default_rng(8).uniform(0.2, 3.0, int(seconds / 0.7) + 2), int(0.7 * rate))
    x *= gains[: x.size]
    burst = sine(2000.0, 0.3, 0.2, rate)
    x[int(1.3 * rate) : int(1.3 * rate) + burst.size] += burst
    x[int(2.71 * rate)] += 0.9
    return x


def _stream(x: np.ndarray, rate: int, sizes: tuple[int, ...]) -> tuple[list, Measurement, SoundLevelMeter]:
    meter = SoundLevelMeter(rate, CONFIG)
    emitted = []
    for block in odd_blocks(x, sizes):
        emitted.extend(meter.process(block))
    return emitted, meter.summary(), meter


def _assert_same(a: Measurement, b: Measurement) -> None:
    for name in ("laeq", "lafmax", "lafmin", "lcpeak", "la10", "la50", "la90"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-9), name
    assert a.lafmax_time_s == b.lafmax_time_s
    assert a.samples == b.samples
    assert np.allclose(a.statistics_db, b.statistics_db, atol=1e-9, rtol=0)
    assert np.allclose(a.per_minute_laeq, b.per_minute_laeq, atol=1e-9, rtol=0)
    assert len(a.per_second) == len(b.per_second)
    for s, t in zip(a.per_second, b.per_second, strict=True):
        assert s.index == t.index
        for name in ("laeq", "lafmax", "lafmin", "lcpeak"):
            assert getattr(s, name) == pytest.approx(getattr(t, name), abs=1e-9), (s.index, name)


@pytest.mark.parametrize(
    ("rate", "sizes"),
    [
        (48_000, (1, 7, 997, 4799, 13, 48_001, 2)),
        (44_100, (4410, 3, 44_099, 65_536)),
        (11_025, (1102, 1103, 17)),  # 100 ms is 1102.5 samples: the statistics grid must still agree
    ],
)
def test_streaming_equals_batch_with_odd_block_sizes(rate, sizes):
    x = _varied_signal(rate, 4.3)
    emitted, streamed, _ = _stream(x, rate, sizes)
    batch = measure(x, rate, CONFIG)
    _assert_same(streamed, batch)
    assert [s.index for s in emitted] == [0, 1, 2, 3]
    assert emitted == list(streamed.per_second)


def test_a_single_block_and_many_blocks_agree_over_more_than_a_minute():
    rate = 8_000
    x = white_noise(0.05, 61.5, rate, seed=2)
    _, one, _ = _stream(x, rate, (x.size,))
    _, many, _ = _stream(x, rate, (3_333, 1))
    _assert_same(one, many)
    assert len(many.per_minute_laeq) == 1


def test_seconds_are_emitted_by_the_block_that_completes_them():
    rate = 48_000
    meter = SoundLevelMeter(rate, CONFIG)
    tone = sine(1000.0, rms_for_level(75.0, CONFIG.fullscale_db), 2.5, rate)
    assert meter.process(tone[: rate - 1]) == []
    done = meter.process(tone[rate - 1 : rate + 1])
    assert [s.index for s in done] == [0]
    assert meter.process(np.zeros(0)) == []
    done = meter.process(tone[rate + 1 :])
    assert [s.index for s in done] == [1]
    assert done[0].laeq == pytest.approx(75.0, abs=0.02)
    assert meter.samples_seen == tone.size


def test_summary_can_be_taken_mid_stream_and_reset_starts_over():
    rate = 16_000
    meter = SoundLevelMeter(rate, CONFIG)
    with pytest.raises(ValueError, match="not received"):
        meter.summary()
    x = white_noise(0.1, 2.0, rate, seed=4)
    meter.process(x[:rate])
    first = meter.summary()
    assert first.duration_s == 1.0 and not first.class1_claimed
    meter.process(x[rate:])
    assert meter.summary().duration_s == 2.0
    meter.reset()
    assert meter.samples_seen == 0 and meter.seconds == ()
    meter.process(x)
    _assert_same(meter.summary(), measure(x, rate, CONFIG))


def test_float32_blocks_are_accepted_and_bad_blocks_rejected():
    meter = SoundLevelMeter(48_000, CONFIG)
    meter.process(np.ones(100, dtype=np.float32) * 0.1)
    with pytest.raises(ValueError, match="one-dimensional"):
        meter.process(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        meter.process(np.array([math.inf]))
