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


_ALL_WORK = frozenset(
    {
        Capability.VIEW_PLACES,
        Capability.MANAGE_PLACES,
        Capability.VIEW_REGISTER,
        Capability.MANAGE_REGISTER,
    }
)

#: The capability table. Reveal of sensitive personal information is held by
#: the sub-district administrator and the community secretary only.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.SUBDISTRICT_ADMIN: _ALL_WORK | {Capability.REVEAL_PII},
    Role.COMMUNITY_SECRETARY: _ALL_WORK | {Capability.REVEAL_PII},
    Role.COMMUNITY_STAFF: _ALL_WORK,
    Role.GRID_WORKER: frozenset({Capability.VIEW_PLACES, Capability.VIEW_REGISTER, Capability.MANAGE_REGISTER}),
    Role.VOLUNTEER: frozenset(),
    Role.PROPERTY_MANAGER: frozenset({Capability.VIEW_PLACES}),
    # Residents reach their own household through their linked record (self-service), not the register.
    Role.RESIDENT: frozenset(),
    Role.AUDITOR: frozenset({Capability.VIEW_PLACES, Capability.VIEW_REGISTER, Capability.VIEW_AUDIT}),
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
