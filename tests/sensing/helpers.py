"""Event documents for tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

_ids = itertools.count(1)


def doc(device: str, type: str = "throw.detected", *, event_id: str | None = None, **payload: Any) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "throw.detected": {"floor": 12, "column": 2, "confidence": 0.9},
        "litter.detected": {"confidence": 0.8},
        "ebike.elevator": {"confidence": 0.95},
        "access.pass": {"direction": "in"},
        "noise.level": {"laeq": 55.0},
    }
    return {
        "event_id": event_id or f"e{next(_ids)}",
        "device": device,
        "type": type,
        "occurred_at": (timezone.now() - dt.timedelta(seconds=1)).isoformat(),
        "payload": {**defaults.get(type, {}), **payload},
    }
