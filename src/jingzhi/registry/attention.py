"""Home-page attention items contributed by the register."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.attention import AttentionItem
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import ResidentStatus
from jingzhi.registry.selectors import households_visible, residents_visible


def register_attention(actor: Actor) -> list[AttentionItem]:
    if not actor.has_capability(Capability.VIEW_REGISTER):
        return []
    today = timezone.localdate()
    born_before_80 = today.replace(year=today.year - 80)
    living = (
        households_visible(actor=actor)
        .filter(moved_out__isnull=True)
        .annotate(present=Count("members", filter=Q(members__status=ResidentStatus.PRESENT)))
    )
    alone_80 = (
        residents_visible(actor=actor)
        .filter(status=ResidentStatus.PRESENT, birth_date__lte=born_before_80)
        .filter(household__in=living.filter(present=1).values("pk"))
        .count()
    )
    no_head = living.exclude(members__relationship="head").count()
    url = reverse("registry:residents")
    return [
        AttentionItem(label=_("Residents aged 80+ living alone"), count=alone_80, url=url, level="warning"),
        AttentionItem(
            label=_("Households without a head"), count=no_head, url=url, level="warning" if no_head else "info"
        ),
    ]
