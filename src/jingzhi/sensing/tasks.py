"""Periodic jobs of the sensing app (run by ``jingzhi run_huey``, started by ``jingzhi up``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jingzhi.sensing.services.retention import purge_expired_media
from jingzhi.sensing.services.watchers import watch_offline, watch_tenants, watch_welfare


@db_periodic_task(crontab(minute="*"))
def offline_sweep() -> int:
    return watch_offline()


@db_periodic_task(crontab(minute="*/10"))
def welfare_and_tenant_watch() -> int:
    return watch_welfare() + watch_tenants()


@db_periodic_task(crontab(minute="17", hour="3"))
def media_retention() -> int:
    return purge_expired_media()
