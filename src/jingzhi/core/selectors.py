"""Reads of core data, always through the actor's scope."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from jingzhi.core.choices import Capability
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor, scope_q


def places_visible(*, actor: Actor, cap: Capability = Capability.VIEW_PLACES) -> QuerySet[Place]:
    return Place.objects.filter(scope_q(actor, cap, ""))


def place_get(*, actor: Actor, pk: int, cap: Capability = Capability.VIEW_PLACES) -> Place:
    """One place the actor may see; 404 (not 403) otherwise, so existence does not leak."""
    try:
        return places_visible(actor=actor, cap=cap).select_related("parent").get(pk=pk)
    except Place.DoesNotExist:
        raise Http404 from None


def place_children(*, actor: Actor, place: Place) -> QuerySet[Place]:
    return places_visible(actor=actor).filter(parent=place).order_by("code")


def place_ancestors(place: Place) -> list[Place]:
    """The chain from the sub-district down to ``place`` (inclusive)."""
    ids = place.ancestor_ids()
    if place.pk not in ids:
        ids.append(place.pk)
    by_id = Place.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def scope_top_places(*, actor: Actor) -> list[Place]:
    """The places at the top of the actor's view (their bindings, or all sub-districts for platform admins)."""
    if actor.is_platform_admin:
        return list(Place.objects.filter(parent__isnull=True).order_by("code"))
    return actor.scope_roots()


def audit_entries_visible(*, actor: Actor) -> QuerySet[AuditEntry]:
    """Audit entries about places within the actor's audit scope.

    Entries with no place (logins, account changes) are visible only to
    actors whose audit scope is a whole sub-district.
    """
    if actor.is_platform_admin:
        return AuditEntry.objects.all()
    places = actor.places_for(Capability.VIEW_AUDIT)
    if not places:
        return AuditEntry.objects.none()
    query = scope_q(actor, Capability.VIEW_AUDIT, "place")
    if any(p.parent_id is None for p in places):
        from django.db.models import Q

        query |= Q(place__isnull=True)
    return AuditEntry.objects.filter(query)


__all__ = [
    "audit_entries_visible",
    "place_ancestors",
    "place_children",
    "place_get",
    "places_visible",
    "scope_top_places",
]
