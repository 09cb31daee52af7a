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
