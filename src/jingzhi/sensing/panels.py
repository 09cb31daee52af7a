"""What the sensing app adds to other apps' pages: a place's devices, a resident's last gate pass."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.panels import Link, Panel
from jingzhi.core.scope import Actor, place_q
from jingzhi.sensing.models import Device, Presence
from jingzhi.sensing.selectors import devices_visible


def devices_here(actor: Actor, place: Place) -> Panel | None:
    """The devices at or under an estate, building or unit, with their online state."""
    kinds = (PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.ESTATE, PlaceKind.BUILDING, PlaceKind.UNIT)
    if place.kind not in kinds or not actor.has_capability(Capability.VIEW_DEVICES):
        return None
    devices = devices_visible(actor).filter(place_q(Device.SCOPE_PREFIX, place, Device.SCOPE_DIRECT))
    rows = list(devices.order_by("code")[:50])
    actions = (
        [Link(label=_("Add a device here"), url=reverse("sensing:device_new", args=[place.pk]))]
        if actor.can(Capability.MANAGE_DEVICES, place)
        else []
    )
    if not rows and not actions:
        return None
    return Panel(
        actions=actions,
        title=_("Devices"),
        links=[
            Link(
                label=d.name,
                url=reverse("sensing:device_detail", args=[d.code]),
                note=_("online") if d.online else _("offline"),
            )
            for d in rows
        ],
    )


def last_seen(actor: Actor, resident: Any) -> list[tuple[str, str]]:
    if not actor.has_capability(Capability.VIEW_DEVICES):
        return []
    presence = Presence.objects.filter(resident=resident).select_related("device").first()
    if presence is None:
        return []
    when = timezone.localtime(presence.last_seen_at).strftime("%Y-%m-%d %H:%M")
    direction = _("in") if presence.direction == "in" else _("out")
    gate = presence.device.name if presence.device is not None else "—"
    return [(_("Last gate pass"), f"{when} · {gate} · {direction}")]
