"""Shared checks for the register's services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from jingzhi.core import idnumber
from jingzhi.core.choices import Capability
from jingzhi.core.fields import digest_for
from jingzhi.core.models import Place
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import Gender
from jingzhi.registry.models import Resident


def require(actor: Actor, cap: Capability, room: Place) -> None:
    if not actor.can(cap, room):
        raise PermissionDenied(_("You may not change the register here."))


def checked_identity(raw: str, *, birth_date: Any = None, gender: str | None = None) -> idnumber.IdNumber:
    """Parse an identity number; a birth date or gender given alongside must agree with it."""
    try:
        parsed = idnumber.parse(raw)
    except idnumber.IdNumberError as exc:
        raise ValidationError({"id_number": ValidationError(str(exc), code=exc.code)}) from None
    if birth_date is not None and birth_date != parsed.birth_date:
        message = _("The birth date does not match the identity number (%(date)s).") % {"date": parsed.birth_date}
        raise ValidationError({"birth_date": ValidationError(message, code="birth_date_mismatch")})
    if gender and gender != (Gender.MALE if parsed.is_male else Gender.FEMALE):
        message = _("The gender does not match the identity number.")
        raise ValidationError({"gender": ValidationError(message, code="gender_mismatch")})
    return parsed


def existing_with_id(value: str, *, exclude: int | None = None) -> Resident | None:
    qs = Resident.objects.filter(id_number_digest=digest_for(Resident, "id_number", value))
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("household__room").first()


def refuse_duplicate(value: str, *, exclude: int | None = None) -> None:
    """Refuse an identity number already in the register, naming the existing person's record."""
    existing = existing_with_id(value, exclude=exclude)
    if existing is not None:
        message = _("This identity number is already registered (resident #%(pk)s).") % {"pk": existing.pk}
        raise ValidationError(
            {"id_number": ValidationError(message, code="duplicate", params={"existing": existing.pk})}
        )


def snapshot(resident: Resident, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(resident, f) for f in fields}
