"""How long event snapshots and clips are kept, and the job that deletes them when they expire."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache

from django.core.files.storage import default_storage
from django.utils import timezone

from jingzhi.sensing.choices import DEFAULT_RETENTION_DAYS, FALLBACK_RETENTION_DAYS


@lru_cache(maxsize=1)
def _overrides() -> dict[str, int]:
    """``JINGZHI_MEDIA_RETENTION="access.pass=3,throw.detected=365"`` (days per event type)."""
    raw = os.environ.get("JINGZHI_MEDIA_RETENTION", "")
    result: dict[str, int] = {}
    for part in raw.split(","):
        if "=" in part:
            name, _sep, days = part.partition("=")
            result[name.strip()] = max(1, int(days))
    return result


def retention_days(event_type: str) -> int:
    return _overrides().get(event_type, DEFAULT_RETENTION_DAYS.get(event_type, FALLBACK_RETENTION_DAYS))


def purge_expired_media(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Delete the files of events whose retention has run out; the event rows stay."""
    from jingzhi.sensing.models import Event

    now = now or timezone.now()
    purged = 0
    while True:
        rows = list(
            Event.objects.filter(media_expires_at__lte=now).exclude(media="").values_list("pk", "media")[:batch]
        )
        if not rows:
            return purged
        for _pk, path in rows:
            if path:
                default_storage.delete(path)
        Event.objects.filter(pk__in=[pk for pk, _path in rows]).update(media="", media_expires_at=None)
        purged += len(rows)
