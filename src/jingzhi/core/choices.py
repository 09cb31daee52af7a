"""Enumerations of the core app, with translated labels."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("Sub-district")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    ESTATE = "estate", _("Estate")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit")
    ROOM = "room", _("Room")


#: Levels of the places tree, top first. Every place's parent is one level up.
PLACE_LEVELS: tuple[str, ...] = tuple(PlaceKind.values)
#: Levels that have an ancestor column on Place (``room`` is the place itself).
ANCESTOR_LEVELS: tuple[str, ...] = PLACE_LEVELS[:-1]


def parent_kind(kind: str) -> str | None:
    index = PLACE_LEVELS.index(kind)
    return PLACE_LEVELS[index - 1] if index else None


def child_kind(kind: str) -> str | None:
    index = PLACE_LEVELS.index(kind)
    return PLACE_LEVELS[index + 1] if index + 1 < len(PLACE_LEVELS) else None


class Role(models.TextChoices):
    SUBDISTRICT_ADMIN = "subdistrict_admin", _("Sub-district administrator")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VOLUNTEER = "volunteer", _("Party-member volunteer")
    PROPERTY_MANAGER = "property_manager", _("Property manager")
    RESIDENT = "resident", _("Resident")
    AUDITOR = "auditor", _("Auditor")


class Capability(StrEnum):
    """What a role may do inside the places it is bound to."""

    VIEW_PLACES = "view_places"
    MANAGE_PLACES = "manage_places"
    VIEW_REGISTER = "view_register"
    MANAGE_REGISTER = "manage_register"
    REVEAL_PII = "reveal_pii"
    VIEW_AUDIT = "view_audit"
    VIEW_DEVICES = "view_devices"
    MANAGE_DEVICES = "manage_devices"
    VIEW_CASES = "view_cases"
    WORK_CASES = "work_cases"
    ASSIGN_CASES = "assign_cases"
    MANAGE_RULES = "manage_rules"


_ALL_WORK = frozenset(
    {
        Capability.VIEW_PLACES,
        Capability.MANAGE_PLACES,
        Capability.VIEW_REGISTER,
        Capability.MANAGE_REGISTER,
    }
)

#: Devices and cases: who sees them, who works on cases, who assigns them.
_CASE_WORK = frozenset({Capability.VIEW_DEVICES, Capability.VIEW_CASES, Capability.WORK_CASES})
_CASE_DESK = _CASE_WORK | {Capability.MANAGE_DEVICES, Capability.ASSIGN_CASES}

#: The capability table. Reveal of sensitive personal information is held by
#: the sub-district administrator and the community secretary only; so is the
#: power to change the rules that turn device events into cases.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.SUBDISTRICT_ADMIN: _ALL_WORK | _CASE_DESK | {Capability.REVEAL_PII, Capability.MANAGE_RULES},
    Role.COMMUNITY_SECRETARY: _ALL_WORK | _CASE_DESK | {Capability.REVEAL_PII, Capability.MANAGE_RULES},
    Role.COMMUNITY_STAFF: _ALL_WORK | _CASE_DESK,
    Role.GRID_WORKER: frozenset({Capability.VIEW_PLACES, Capability.VIEW_REGISTER, Capability.MANAGE_REGISTER})
    | _CASE_WORK,
    Role.VOLUNTEER: frozenset(),
    Role.PROPERTY_MANAGER: frozenset({Capability.VIEW_PLACES}) | _CASE_WORK,
    # Residents reach their own household through their linked record (self-service), not the register;
    # they file and follow their own reports through the resident pages.
    Role.RESIDENT: frozenset(),
    Role.AUDITOR: frozenset(
        {Capability.VIEW_PLACES, Capability.VIEW_REGISTER, Capability.VIEW_AUDIT, Capability.VIEW_DEVICES}
    )
    | {Capability.VIEW_CASES},
}

#: The place kinds each role may be bound to.
ROLE_PLACE_KINDS: dict[str, frozenset[str]] = {
    Role.SUBDISTRICT_ADMIN: frozenset({PlaceKind.SUBDISTRICT}),
    Role.COMMUNITY_SECRETARY: frozenset({PlaceKind.COMMUNITY}),
    Role.COMMUNITY_STAFF: frozenset({PlaceKind.COMMUNITY}),
    Role.GRID_WORKER: frozenset({PlaceKind.GRID}),
    Role.VOLUNTEER: frozenset({PlaceKind.COMMUNITY, PlaceKind.GRID}),
    Role.PROPERTY_MANAGER: frozenset({PlaceKind.ESTATE}),
    Role.RESIDENT: frozenset({PlaceKind.ROOM}),
    Role.AUDITOR: frozenset({PlaceKind.SUBDISTRICT}),
}
