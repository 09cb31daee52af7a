"""Creating households (always with a head) and changing who heads them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.registry.choices import Relationship, Tenure
from jingzhi.registry.models import Household, Resident
from jingzhi.registry.services.common import require


def household_create(
    *, actor: Actor, room: Place, head: dict[str, Any], tenure: str = Tenure.OWNER, moved_in: dt.date | None = None
) -> Household:
    """Create a household in ``room`` together with its head (``head`` holds resident_register's fields)."""
    from jingzhi.registry.services.residents import resident_register

    require(actor, Capability.MANAGE_REGISTER, room)
    if room.kind != PlaceKind.ROOM:
        raise ValidationError({"room": _("A household lives in a room.")})
    if tenure not in Tenure.values:
        raise ValidationError({"tenure": _("Unknown tenure.")})
    with transaction.atomic():
        household = Household.objects.create(room=room, tenure=tenure, moved_in=moved_in or timezone.localdate())
        audit_log(actor=actor, action="household.create", obj=household, place=room, changes={"tenure": tenure})
        resident_register(
            actor=actor, household=household, relationship=Relationship.HEAD, moved_in=household.moved_in, **head
        )
    return household


def household_set_head(
    *, actor: Actor, household: Household, resident: Resident, former_head_becomes: str = Relationship.OTHER
) -> None:
    """Make ``resident`` the head; the former head takes ``former_head_becomes``."""
    require(actor, Capability.MANAGE_REGISTER, household.room)
    if resident.household_id != household.pk:
        raise ValidationError(_("The new head must belong to the household."))
    if former_head_becomes == Relationship.HEAD:
        raise ValidationError(_("The former head needs another relationship."))
    with transaction.atomic():
        former = household.members.filter(relationship=Relationship.HEAD).exclude(pk=resident.pk).first()
        if former is not None:
            Resident.objects.filter(pk=former.pk).update(relationship=former_head_becomes)
        Resident.objects.filter(pk=resident.pk).update(relationship=Relationship.HEAD)
        audit_log(
            actor=actor,
            action="household.set_head",
            obj=household,
            place=household.room,
            changes={"head": {"from": former.pk if former else None, "to": resident.pk}},
        )
