"""Writes and audited reads of the register."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability
from jingzhi.core.masking import mask_name
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.registry.models import Resident

REVEALABLE = ("id_number", "phone")


def resident_view_record(*, actor: Actor, resident: Resident, channel: str) -> None:
    """Record that ``actor`` opened a resident's detail (PIPL access log)."""
    audit_log(
        actor=actor,
        action="resident.view",
        obj=resident,
        place=resident.household.room,
        object_repr=mask_name(resident.name),
        changes={"channel": channel},
    )


def resident_reveal(*, actor: Actor, resident: Resident, field: str, reason: str = "") -> str:
    """Return one sensitive value in clear, if the actor may reveal it here; always audited."""
    if field not in REVEALABLE:
        raise ValidationError({"field": _("This field cannot be revealed.")})
    room = resident.household.room
    if not actor.can(Capability.REVEAL_PII, room):
        audit_log(
            actor=actor,
            action="pii.reveal_denied",
            obj=resident,
            place=room,
            object_repr=mask_name(resident.name),
            changes={"field": field},
            reason=reason,
        )
        raise PermissionDenied(_("You may not reveal personal information here."))
    audit_log(
        actor=actor,
        action="pii.reveal",
        obj=resident,
        place=room,
        object_repr=mask_name(resident.name),
        changes={"field": field},
        reason=reason,
    )
    return str(getattr(resident, field))
