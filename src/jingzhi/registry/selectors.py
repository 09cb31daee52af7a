"""Reads of the register, always through the actor's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor, scope_q
from jingzhi.registry.models import Household, Resident


def residents_visible(*, actor: Actor) -> QuerySet[Resident]:
    return Resident.objects.filter(scope_q(actor, Capability.VIEW_REGISTER, Resident.SCOPE_PREFIX))


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
    """Residents in scope whose name contains ``text`` (the full search is the register issue's)."""
    qs = residents_visible(actor=actor).select_related("household__room")
    text = text.strip()
    if text:
        qs = qs.filter(Q(name__contains=text))
    return qs.order_by("household__room__code", "id")
