"""How a resident is shown: the masking policy applied in one place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhi.core.masking import mask_id_number, mask_phone
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus
from jingzhi.registry.models import Resident


def resident_row(resident: Resident, *, reveal: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """A flat, display-ready record; identity number and phone masked unless ``reveal``."""
    room = resident.household.room
    return {
        "id": resident.pk,
        "household_id": resident.household_id,
        "name": resident.name,
        "gender": str(Gender(resident.gender).label),
        "birth_date": resident.birth_date,
        "age": resident.age(today),
        "id_number": resident.id_number if reveal else mask_id_number(resident.id_number),
        "phone": resident.phone if reveal else mask_phone(resident.phone),
        "ethnicity": resident.ethnicity,
        "residence_type": str(ResidenceType(resident.residence_type).label),
        "relationship": str(Relationship(resident.relationship).label),
        "status": str(ResidentStatus(resident.status).label),
        "address": address_of(room),
        "room_id": room.pk,
    }


def address_of(room: Any) -> str:
    """``西渚花苑3幢2单元501室`` style address from a room place (names of estate/building/unit)."""
    parts = []
    for attr in ("estate", "building", "unit"):
        place = getattr(room, attr, None)
        if place is not None:
            parts.append(place.name)
    parts.append(f"{room.name}室" if room.name.isdigit() else room.name)
    return "".join(parts)
