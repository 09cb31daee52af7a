"""API schemas of cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class CaseOut(Schema):
    id: int
    number: str
    category: str
    title: str
    state: str
    priority: str
    source: str
    place_id: int
    location: str
    assignee: str | None
    created_at: dt.datetime
    response_due: dt.datetime
    resolution_due: dt.datetime
    resolved_at: dt.datetime | None
    escalation: int
    repeats: int
    overdue: bool

    @staticmethod
    def resolve_category(obj: Any) -> str:
        return str(obj.category.code)

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.overdue())


class ActivityOut(Schema):
    at: dt.datetime
    kind: str
    actor_name: str
    note: str
    data: dict[str, Any]


class CaseDetailOut(CaseOut):
    description: str
    resolution_note: str
    activities: list[ActivityOut]

    @staticmethod
    def resolve_activities(obj: Any) -> list[Any]:
        return list(obj.activities.all())


class CaseIn(Schema):
    category: str = Field(description="category code (see /open311/v2/services.json)")
    place_id: int
    title: str = Field(max_length=120)
    description: str = ""
    location: str = Field(default="", max_length=120)
    priority: str | None = None


class AssignIn(Schema):
    assignee: str = Field(description="username")
    note: str = ""


class TransitionIn(Schema):
    to: str = Field(description="assigned, in_progress, resolved, closed, rejected or reopened")
    note: str = ""


class CommentIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


class RateIn(Schema):
    rating: int = Field(ge=1, le=5)
    confirmed: bool = True
    comment: str = Field(default="", max_length=300)
