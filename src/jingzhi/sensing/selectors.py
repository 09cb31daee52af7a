"""Reading devices, events and rejections within the actor's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.scope import Actor, scope_q
from jingzhi.sensing.models import Device, Event, RejectedEvent


def devices_visible(actor: Actor) -> QuerySet[Device]:
    return Device.objects.filter(scope_q(actor, Capability.VIEW_DEVICES, Device.SCOPE_PREFIX, Device.SCOPE_DIRECT))


def events_visible(actor: Actor) -> QuerySet[Event]:
    return Event.objects.filter(scope_q(actor, Capability.VIEW_DEVICES, Event.SCOPE_PREFIX, Event.SCOPE_DIRECT))


def rejected_visible(actor: Actor) -> QuerySet[RejectedEvent]:
    """Rejections of the actor's communities' devices for those who manage devices; rejections
    that name no known device go to sub-district administrators."""
    if actor.is_platform_admin:
        return RejectedEvent.objects.all()
    places = actor.places_for(Capability.MANAGE_DEVICES)
    if not places:
        return RejectedEvent.objects.none()
    query = Q(pk__in=[])
    for place in places:
        if place.kind == PlaceKind.SUBDISTRICT:
            query |= Q(community__subdistrict=place) | Q(community__isnull=True)
        elif place.kind == PlaceKind.COMMUNITY:
            query |= Q(community=place)
    return RejectedEvent.objects.filter(query)
