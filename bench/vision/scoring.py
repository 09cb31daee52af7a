"""The matching rule and the report's percentages, shared by the synthetic (``run.py``) and real-clip
(``real.py``) benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def track_matches(track: Iterable[Sequence[float]], trajectory: Iterable[Sequence[float]], size_px: float) -> bool:
    """Does a detection's track ``(t, x, y)`` follow the true trajectory ``(t, x, y)``?

    At the frame times both share (at least three), the median distance must be within
    max(12 px, 3 object sizes).
    """
    truth = {round(float(t), 3): (float(x), float(y)) for t, x, y in trajectory}
    d = [
        float(np.hypot(x - truth[round(t, 3)][0], y - truth[round(t, 3)][1]))
        for t, x, y in track
        if round(t, 3) in truth
    ]
    return len(d) >= 3 and float(np.median(d)) <= max(12.0, 3.0 * size_px)


def pct(a: int, b: int, decimals: int = 0) -> str:
    """``a`` of ``b`` as a percentage with its counts, e.g. ``98.6% (69/70)``; "n/a" when ``b`` is 0."""
    return f"{100.0 * a / b:.{decimals}f}% ({a}/{b})" if b else "n/a"
