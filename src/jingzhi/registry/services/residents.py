"""Registering, changing, moving and (auditedly) revealing residents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability
from jingzhi.core.masking import mask_name
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log, model_changes
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.models import Household, Resident, ResidentTag, Tag, households_recount
from jingzhi.registry.services.common import checked_identity, refuse_duplicate, require, snapshot

REVEALABLE = ("id_number", "phone")
UPDATABLE = ("name", "id_number", "phone", "ethnicity", "residence_type", "relationship", "moved_in")
AUDITED = (*UPDATABLE, "gender", "birth_date", "status", "away_reason", "expected_return", "moved_out", "household_id")


def _audit(actor: Actor, action: str, resident: Resident, changes: dict[str, Any]) -> None:
    audit_log(
        actor=actor,
        action=action,
        obj=resident,
        place=resident.household.room,
        object_repr=mask_name(resident.name),
        changes=changes,
    )


def _present_head(household: Household, *, exclude: int | None = None) -> Resident | None:
    qs = household.members.filter(
        relationship=Relationship.HEAD, status__in=[ResidentStatus.PRESENT, ResidentStatus.AWAY]
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def _others_remain(household: Household, resident: Resident) -> bool:
    return (
        household.members.exclude(pk=resident.pk)
        .filter(status__in=[ResidentStatus.PRESENT, ResidentStatus.AWAY])
        .exists()
    )


def tags_set(*, resident: Resident, tags: Iterable[str | tuple[str, int | None]]) -> None:
    """Replace a resident's stored tags (codes, or (code, grade) pairs)."""
    wanted: dict[str, int | None] = {}
    for item in tags:
        code, grade = (item, None) if isinstance(item, str) else item
        if code not in TagCode.values:
            raise ValidationError({"tags": _("Unknown tag: %(code)s") % {"code": code}})
        wanted[code] = grade
    by_code = {t.code: t for t in Tag.objects.filter(code__in=wanted)}
    ResidentTag.objects.filter(resident=resident).exclude(tag__code__in=wanted).delete()
    for code, grade in wanted.items():
        ResidentTag.objects.update_or_create(resident=resident, tag=by_code[code], defaults={"grade": grade})


def resident_register(
    *,
    actor: Actor,
    household: Household,
    name: str,
    id_number: str,
    relationship: str,
    phone: str = "",
    ethnicity: str = "汉族",
    residence_type: str = ResidenceType.REGISTERED,
    moved_in: dt.date | None = None,
    birth_date: dt.date | None = None,
    gender: str | None = None,
    tags: Iterable[str | tuple[str, int | None]] = (),
) -> Resident:
    """Add a person to a household. Birth date and gender come from the identity number;
    a duplicate identity number is refused with the existing record's id; one head per household."""
    require(actor, Capability.MANAGE_REGISTER, household.room)
    parsed = checked_identity(id_number, birth_date=birth_date, gender=gender)
    refuse_duplicate(parsed.value)
    if relationship == Relationship.HEAD and _present_head(household) is not None:
        raise ValidationError(
            {"relationship": ValidationError(_("This household already has a head."), code="second_head")}
        )
    resident = Resident(
        household=household,
        name=" ".join(name.split()),
        id_number=parsed.value,
        phone=phone.strip(),
        gender=Gender.MALE if parsed.is_male else Gender.FEMALE,
        birth_date=parsed.birth_date,
        relationship=relationship,
        ethnicity=ethnicity,
        residence_type=residence_type,
        moved_in=moved_in or timezone.localdate(),
    )
    resident.full_clean(exclude=["household", "user"], validate_constraints=False)
    with transaction.atomic():
        resident.save()
        if tags:
            tags_set(resident=resident, tags=tags)
        households_recount([household.pk])
        _audit(
            actor,
            "resident.create",
            resident,
            model_changes({}, snapshot(resident, AUDITED), sensitive=Resident.SENSITIVE_FIELDS),
        )
    return resident


def resident_update(*, actor: Actor, resident: Resident, **values: Any) -> Resident:
    """Change a resident's details; a new identity number is re-checked and re-derives birth date and gender."""
    require(actor, Capability.MANAGE_REGISTER, resident.household.room)
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(resident, AUDITED)
    if "id_number" in values and values["id_number"] != resident.id_number:
        parsed = checked_identity(values["id_number"])
        refuse_duplicate(parsed.value, exclude=resident.pk)
        values["id_number"] = parsed.value
        resident.birth_date = parsed.birth_date
        resident.gender = Gender.MALE if parsed.is_male else Gender.FEMALE
    new_relationship = values.get("relationship", resident.relationship)
    if (
        resident.relationship == Relationship.HEAD
        and new_relationship != Relationship.HEAD
        and _others_remain(resident.household, resident)
    ):
        raise ValidationError(
            {
                "relationship": ValidationError(
                    _("Choose a new head of household first: a household cannot be left without a head."),
                    code="no_head",
                )
            }
        )
    becomes_head = new_relationship == Relationship.HEAD and resident.relationship != Relationship.HEAD
    if becomes_head and _present_head(resident.household, exclude=resident.pk) is not None:
        raise ValidationError(
            {"relationship": ValidationError(_("This household already has a head."), code="second_head")}
        )
    for key, value in values.items():
        setattr(resident, key, value.strip() if isinstance(value, str) else value)
    resident.full_clean(exclude=["household", "user"], validate_constraints=False)
    with transaction.atomic():
        resident.save()
        changes = model_changes(before, snapshot(resident, AUDITED), sensitive=Resident.SENSITIVE_FIELDS)
        if changes:
            _audit(actor, "resident.update", resident, changes)
    return resident


def resident_set_status(
    *,
    actor: Actor,
    resident: Resident,
    status: str,
    away_reason: str = "",
    expected_return: dt.date | None = None,
    on: dt.date | None = None,
) -> Resident:
    """Mark a resident present, away (with reason and expected return), moved out or deceased."""
    require(actor, Capability.MANAGE_REGISTER, resident.household.room)
    if status not in ResidentStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == ResidentStatus.AWAY and not away_reason:
        raise ValidationError({"away_reason": ValidationError(_("Say why the resident is away."), code="away_reason")})
    leaving = status in (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED)
    if leaving and resident.relationship == Relationship.HEAD and _others_remain(resident.household, resident):
        raise ValidationError(
            {
                "status": ValidationError(
                    _("Choose a new head of household first: a household cannot be left without a head."),
                    code="no_head",
                )
            }
        )
    before = snapshot(resident, AUDITED)
    resident.status = status
    resident.away_reason = away_reason if status == ResidentStatus.AWAY else ""
    resident.expected_return = expected_return if status == ResidentStatus.AWAY else None
    resident.moved_out = (on or timezone.localdate()) if leaving else None
    with transaction.atomic():
        resident.save()
        if leaving and not _others_remain(resident.household, resident):
            Household.objects.filter(pk=resident.household_id).update(moved_out=resident.moved_out)
        households_recount([resident.household_id])
        _audit(actor, "resident.status", resident, model_changes(before, snapshot(resident, AUDITED)))
    return resident


def resident_move(
    *, actor: Actor, resident: Resident, to_household: Household, relationship: str, on: dt.date | None = None
) -> Resident:
    """Move a resident to another household (and room); the old household keeps a head or empties."""
    old = resident.household
    require(actor, Capability.MANAGE_REGISTER, old.room)
    require(actor, Capability.MANAGE_REGISTER, to_household.room)
    if to_household.pk == old.pk:
        raise ValidationError(_("The resident already lives in this household."))
    if resident.relationship == Relationship.HEAD and _others_remain(old, resident):
        raise ValidationError(
            {
                "household": ValidationError(
                    _("Choose a new head of household first: a household cannot be left without a head."),
                    code="no_head",
                )
            }
        )
    if relationship == Relationship.HEAD and _present_head(to_household) is not None:
        raise ValidationError(
            {"relationship": ValidationError(_("This household already has a head."), code="second_head")}
        )
    before = snapshot(resident, AUDITED)
    with transaction.atomic():
        resident.household = to_household
        resident.relationship = relationship
        resident.moved_in = on or timezone.localdate()
        resident.save()
        if not old.members.filter(status__in=[ResidentStatus.PRESENT, ResidentStatus.AWAY]).exists():
            Household.objects.filter(pk=old.pk).update(moved_out=resident.moved_in)
        households_recount([old.pk, to_household.pk])
        changes = model_changes(before, snapshot(resident, AUDITED))
        changes["room"] = {"from": old.room_id, "to": to_household.room_id}
        _audit(actor, "resident.move", resident, changes)
    return resident


def resident_view_record(*, actor: Actor, resident: Resident, channel: str) -> None:
    """Record that ``actor`` opened a resident's detail (PIPL access log)."""
    _audit(actor, "resident.view", resident, {"channel": channel})


def resident_reveal(*, actor: Actor, resident: Resident, field: str, reason: str = "") -> str:
    """Return one sensitive value in clear, if the actor may reveal it here; always audited."""
    if field not in REVEALABLE:
        raise ValidationError({"field": _("This field cannot be revealed.")})
    room = resident.household.room
    allowed = actor.can(Capability.REVEAL_PII, room)
    audit_log(
        actor=actor,
        action="pii.reveal" if allowed else "pii.reveal_denied",
        obj=resident,
        place=room,
        object_repr=mask_name(resident.name),
        changes={"field": field},
        reason=reason,
    )
    if not allowed:
        raise PermissionDenied(_("You may not reveal personal information here."))
    return str(getattr(resident, field))
