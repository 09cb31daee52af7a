"""Reads of the register, always through the actor's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from jingzhi.core.choices import Capability
from jingzhi.core.models import AuditEntry
from jingzhi.core.scope import Actor, scope_q
from jingzhi.registry import search
from jingzhi.registry.models import Household, Resident


def residents_visible(*, actor: Actor) -> QuerySet[Resident]:
    return Resident.objects.filter(
        scope_q(actor, Capability.VIEW_REGISTER, Resident.SCOPE_PREFIX, Resident.SCOPE_DIRECT)
    )


def resident_get(*, actor: Actor, pk: int) -> Resident:
    try:
        return residents_visible(actor=actor).select_related("household__room").get(pk=pk)
    except Resident.DoesNotExist:
        raise Http404 from None


def households_visible(*, actor: Actor) -> QuerySet[Household]:
    return Household.objects.filter(scope_q(actor, Capability.VIEW_REGISTER, Household.SCOPE_PREFIX))


def household_get(*, actor: Actor, pk: int) -> Household:
    try:
        return households_visible(actor=actor).select_related("room").get(pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def residents_search(*, actor: Actor, text: str = "") -> QuerySet[Resident]:
    """Residents in scope matching the search box (see ``registry.search``), in a stable order."""
    qs = search.apply(residents_visible(actor=actor), search.classify(text))
    return qs.select_related("household__room").order_by("id")


def resident_timeline(*, resident: Resident, limit: int = 200) -> QuerySet[AuditEntry]:
    """The changes to a resident and their household, newest first (views and reveals excluded)."""
    return (
        AuditEntry.objects.filter(
            Q(object_type="registry.resident", object_id=str(resident.pk))
            | Q(object_type="registry.household", object_id=str(resident.household_id))
        )
        .exclude(action__in=["resident.view", "pii.reveal", "pii.reveal_denied"])
        .order_by("-at", "-id")[:limit]
    )
