"""Test data builders: places, people with roles, households and residents."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from jingzhi.core import idnumber
from jingzhi.core.choices import PlaceKind, Role
from jingzhi.core.models import Place, RoleAssignment, User
from jingzhi.registry.choices import Gender, Relationship
from jingzhi.registry.models import Household, Resident, households_recount

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def place(kind: str, parent: Place | None, code: str, name: str | None = None, **extra: object) -> Place:
    obj = Place(kind=kind, parent=parent, code=code, name=name or code, **extra)
    obj.save()
    return obj


def user(username: str | None = None, *, role: str | None = None, at: Place | None = None, **extra: object) -> User:
    obj = User(username=username or f"user{next(_seq)}", **extra)
    obj.set_password(PASSWORD)
    obj.save()
    if role is not None:
        assert at is not None
        RoleAssignment.objects.create(user=obj, role=role, place=at)
    return obj


def resident(
    household: Household,
    name: str,
    *,
    born: dt.date = dt.date(1950, 3, 5),
    male: bool = True,
    relationship: str = Relationship.HEAD,
    phone: str = "13812345678",
    region: str = "320505",
) -> Resident:
    seq = next(_seq) % 500 * 2 + (1 if male else 0)
    person = Resident.objects.create(
        household=household,
        name=name,
        gender=Gender.MALE if male else Gender.FEMALE,
        birth_date=born,
        id_number=idnumber.make(region, born, seq),
        phone=phone,
        relationship=relationship,
    )
    households_recount([household.pk])  # what the services keep up to date
    return person


@dataclass
class Community:
    """One community with one place of every level, one household and one resident."""

    community: Place
    grid: Place
    estate: Place
    building: Place
    unit: Place
    room: Place
    household: Household
    resident: Resident

    @property
    def places(self) -> list[Place]:
        return [self.community, self.grid, self.estate, self.building, self.unit, self.room]


def community(sub: Place, code: str, name: str, resident_name: str, estate_name: str) -> Community:
    comm = place(PlaceKind.COMMUNITY, sub, code, name)
    grid = place(PlaceKind.GRID, comm, "G01", f"{name}第1网格")
    estate = place(PlaceKind.ESTATE, grid, "E01", estate_name)
    building = place(PlaceKind.BUILDING, estate, "3", "3幢", floors=6, unit_count=2)
    unit = place(PlaceKind.UNIT, building, "2", "2单元")
    room = place(PlaceKind.ROOM, unit, "501", "501", floor=5, room_number="501")
    household = Household.objects.create(room=room)
    person = resident(household, resident_name)
    return Community(comm, grid, estate, building, unit, room, household, person)


ROLE_HOME = {
    Role.COMMUNITY_SECRETARY: "community",
    Role.COMMUNITY_STAFF: "community",
    Role.GRID_WORKER: "grid",
    Role.PROPERTY_MANAGER: "estate",
    Role.VOLUNTEER: "community",
    Role.RESIDENT: "room",
}


def device(
    at: Place, code: str, kind: str = "camera", *, location: str = "", vendor: str = "generic", **extra: object
) -> tuple[object, str]:
    """A device with its HTTP token: (Device, token)."""
    from jingzhi.core.scope import Actor
    from jingzhi.sensing.services.devices import device_create

    return device_create(
        actor=Actor.system(),
        code=code,
        place=at,
        name=extra.pop("name", code),  # type: ignore[arg-type]
        kind=kind,
        location=location,
        vendor=vendor,
        **extra,
    )
