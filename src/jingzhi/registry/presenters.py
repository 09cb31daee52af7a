"""How a resident is shown: the masking policy applied in one place."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.db import models
from django.utils.translation import get_language

from jingzhi.core.masking import mask_id_number, mask_phone
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus
from jingzhi.registry.models import Resident


@lru_cache(maxsize=64)
def _labels(choices: type[models.TextChoices], language: str | None) -> dict[str, str]:
    """Translated labels of an enumeration for one language (exports call this per row)."""
    return {value: str(label) for value, label in choices.choices}


def label(choices: type[models.TextChoices], value: str) -> str:
    return _labels(choices, get_language()).get(value, value)


def resident_row(resident: Resident, *, reveal: bool = False, today: dt.date | None = None) -> dict[str, Any]:
    """A flat, display-ready record; identity number and phone masked unless ``reveal``."""
    room = resident.household.room
    return {
        "id": resident.pk,
        "household_id": resident.household_id,
        "name": resident.name,
        "gender": label(Gender, resident.gender),
        "birth_date": resident.birth_date,
        "age": resident.age(today),
        "id_number": resident.id_number if reveal else mask_id_number(resident.id_number),
        "phone": resident.phone if reveal else mask_phone(resident.phone),
        "ethnicity": resident.ethnicity,
        "residence_type": label(ResidenceType, resident.residence_type),
        "relationship": label(Relationship, resident.relationship),
        "status": label(ResidentStatus, resident.status),
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
