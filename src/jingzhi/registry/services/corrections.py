"""Residents' correction requests (PIPL art. 46) and their review by staff."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability
from jingzhi.core.masking import mask_name
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.registry.choices import CorrectionStatus
from jingzhi.registry.models import CorrectionRequest, Resident

CORRECTABLE = ("name", "id_number", "phone", "ethnicity")


def own_household_member(actor: Actor, resident: Resident) -> bool:
    """Whether the actor is a resident of the same household as ``resident``."""
    own = getattr(actor.user, "resident", None) if actor.user is not None else None
    return own is not None and own.household_id == resident.household_id


def correction_request(
    *, actor: Actor, resident: Resident, field: str, proposed: str, note: str = ""
) -> CorrectionRequest:
    """A resident asks for a correction of their own household's data; staff review it."""
    if not own_household_member(actor, resident):
        raise PermissionDenied(_("You can ask to correct your own household's data only."))
    if field not in CORRECTABLE:
        raise ValidationError({"field": _("This field cannot be corrected here.")})
    if not proposed.strip():
        raise ValidationError({"proposed": _("Give the correct value.")})
    assert actor.user is not None
    with transaction.atomic():
        request = CorrectionRequest.objects.create(
            resident=resident, requested_by=actor.user, field=field, proposed=proposed.strip(), note=note.strip()
        )
        audit_log(
            actor=actor,
            action="correction.request",
            obj=request,
            place=resident.household.room,
            object_repr=mask_name(resident.name),
            changes={"field": field},
        )
    return request


def correction_review(*, actor: Actor, request: CorrectionRequest, approve: bool, note: str = "") -> CorrectionRequest:
    """Approve (apply through resident_update, with its checks) or reject a pending request."""
    from jingzhi.registry.services.residents import resident_update

    room = request.resident.household.room
    if not actor.can(Capability.MANAGE_REGISTER, room):
        raise PermissionDenied(_("You may not review corrections here."))
    if request.status != CorrectionStatus.PENDING:
        raise ValidationError(_("This request has already been reviewed."))
    with transaction.atomic():
        if approve:
            resident_update(actor=actor, resident=request.resident, **{request.field: request.proposed})
        request.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
        request.reviewed_by = actor.user
        request.reviewed_at = timezone.now()
        request.review_note = note.strip()
        request.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_log(
            actor=actor,
            action="correction.review",
            obj=request,
            place=room,
            changes={"field": request.field, "approved": approve},
        )
    return request
