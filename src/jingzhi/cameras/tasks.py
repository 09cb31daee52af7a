"""Periodic jobs of the cameras app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jingzhi.cameras.services import purge_expired_clips


@db_periodic_task(crontab(minute="23", hour="3"))
def clip_retention() -> int:
    return purge_expired_clips()
