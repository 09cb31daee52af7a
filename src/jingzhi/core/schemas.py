"""API schemas of the core app."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class GrantOut(Schema):
    role: str
    role_label: str
    place_id: int
    place_name: str
    place_kind: str


class MeOut(Schema):
    username: str
    full_name: str
    is_platform_admin: bool
    grants: list[GrantOut]
    capabilities: list[str]


class PlaceOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    parent_id: int | None
    floors: int | None = None
    unit_count: int | None = None
    floor: int | None = None
    room_number: str = ""
    is_active: bool


class PlaceIn(Schema):
    kind: str
    parent_id: int
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    floors: int | None = Field(default=None, ge=1, le=200)
    unit_count: int | None = Field(default=None, ge=1, le=50)
    floor: int | None = Field(default=None, ge=-10, le=200)
    room_number: str = ""


class PlacePatch(Schema):
    code: str | None = Field(default=None, min_length=1, max_length=32)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    floors: int | None = Field(default=None, ge=1, le=200)
    unit_count: int | None = Field(default=None, ge=1, le=50)
    is_active: bool | None = None


class RoomsIn(Schema):
    floors: int = Field(ge=1, le=200)
    units: int = Field(ge=1, le=50)
    rooms_per_floor: int = Field(ge=1, le=50)


class RoomsOut(Schema):
    created: int


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    place_id: int | None
    ip_address: str | None
    changes: dict[str, object]
    reason: str
