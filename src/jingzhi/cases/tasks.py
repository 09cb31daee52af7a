"""Periodic jobs of the cases app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jingzhi.cases.services import escalate_overdue


@db_periodic_task(crontab(minute="*"))
def escalation_sweep() -> int:
    return escalate_overdue()
