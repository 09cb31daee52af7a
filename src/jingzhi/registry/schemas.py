"""API schemas of the register."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class ResidentOut(Schema):
    id: int
    household_id: int
    name: str
    gender: str
    birth_date: dt.date
    age: int
    id_number: str = Field(description="Masked (320505********123X) unless revealed through /reveal.")
    phone: str = Field(description="Masked (138****5678) unless revealed through /reveal.")
    ethnicity: str
    residence_type: str
    relationship: str
    status: str
    address: str
    room_id: int


class HouseholdOut(Schema):
    id: int
    room_id: int
    address: str
    tenure: str
    members: list[ResidentOut]


class RevealIn(Schema):
    field: str = Field(description="id_number or phone")
    reason: str = Field(default="", max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class PersonIn(Schema):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=15, max_length=24)
    phone: str = Field(default="", max_length=24)
    ethnicity: str = Field(default="汉族", max_length=16)
    residence_type: str = "registered"


class HouseholdIn(Schema):
    room_id: int
    tenure: str = "owner"
    head: PersonIn


class MemberIn(PersonIn):
    relationship: str


class ResidentPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    id_number: str | None = None
    phone: str | None = None
    ethnicity: str | None = None
    residence_type: str | None = None
    relationship: str | None = None


class TimelineEntry(Schema):
    at: dt.datetime
    actor_name: str
    action: str
    changes: dict[str, object]


class CorrectionIn(Schema):
    resident_id: int
    field: str
    proposed: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=200)


class CorrectionOut(Schema):
    id: int
    field: str
    status: str
