"""Gate credentials: card numbers and device-side face template references (never raw biometrics)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability
from jingzhi.core.fields import digest_for
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.registry.choices import CredentialKind
from jingzhi.registry.models import Credential, Resident
from jingzhi.registry.services.common import require


def credential_issue(
    *, actor: Actor, resident: Resident, kind: str, reference: str, consent_at: dt.datetime | None = None
) -> Credential:
    """Bind a card number or face-template id to a resident; faces need recorded separate consent."""
    require_room = resident.household.room
    require(actor, Capability.MANAGE_REGISTER, require_room)
    if kind not in CredentialKind.values:
        raise ValidationError({"kind": _("Unknown credential kind.")})
    if kind == CredentialKind.FACE and consent_at is None:
        raise ValidationError(
            {"consent_at": _("Face credentials need the resident's separate consent (PIPL art. 29).")}
        )
    credential = Credential(resident=resident, kind=kind, reference=reference.strip(), consent_at=consent_at)
    try:
        with transaction.atomic():
            credential.save()
            audit_log(
                actor=actor, action="credential.issue", obj=credential, place=require_room, changes={"kind": kind}
            )
    except IntegrityError:
        raise ValidationError(
            {"reference": ValidationError(_("This credential is already issued to someone."), code="duplicate")}
        ) from None
    return credential


def credential_revoke(*, actor: Actor, credential: Credential) -> None:
    room = credential.resident.household.room
    require(actor, Capability.MANAGE_REGISTER, room)
    with transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(revoked_at=timezone.now())
        audit_log(actor=actor, action="credential.revoke", obj=credential, place=room)


def credential_match(*, kind: str, reference: str) -> Credential | None:
    """The active credential with this reference (for gate events), found by its keyed hash."""
    digest = digest_for(Credential, "reference", reference.strip())
    return (
        Credential.objects.filter(kind=kind, reference_digest=digest, revoked_at__isnull=True)
        .select_related("resident__household__room")
        .first()
    )
