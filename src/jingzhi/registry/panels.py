"""The register's section on a room's page: who lives there, and registering a household."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.panels import Link, Panel
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import Tenure


def room_households(actor: Actor, place: Place) -> Panel | None:
    if place.kind != PlaceKind.ROOM or not actor.can(Capability.VIEW_REGISTER, place):
        return None
    links = []
    for household in place.households.order_by("moved_out", "-moved_in").prefetch_related("members"):
        names = "、".join(m.name for m in household.members.all())
        note = str(Tenure(household.tenure).label)
        if household.moved_out:
            note += " · " + _("moved out %(date)s") % {"date": household.moved_out}
        links.append(
            Link(
                label=names or _("(no members)"),
                url=reverse("registry:household_detail", args=[household.pk]),
                note=note,
            )
        )
    actions = []
    if actor.can(Capability.MANAGE_REGISTER, place):
        actions.append(Link(label=_("Register a household"), url=reverse("registry:household_create", args=[place.pk])))
    return Panel(title=_("Households"), links=links, actions=actions)
