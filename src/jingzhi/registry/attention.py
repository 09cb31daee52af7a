"""Home-page attention items contributed by the register."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.attention import AttentionItem
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor, scope_q
from jingzhi.registry.choices import CorrectionStatus, RentalRegistration, ResidentStatus
from jingzhi.registry.models import CorrectionRequest, Rental
from jingzhi.registry.selectors import households_visible, residents_visible


def register_attention(actor: Actor) -> list[AttentionItem]:
    if not actor.has_capability(Capability.VIEW_REGISTER):
        return []
    today = timezone.localdate()
    born_before_80 = today.replace(year=today.year - 80)
    living = households_visible(actor=actor).filter(moved_out__isnull=True)
    alone_80 = (
        residents_visible(actor=actor)
        .filter(status=ResidentStatus.PRESENT, birth_date__lte=born_before_80, household__member_count=1)
        .count()
    )
    no_head = living.exclude(members__relationship="head").count()
    url = reverse("registry:residents")
    rentals = Rental.objects.filter(
        scope_q(actor, Capability.VIEW_REGISTER, Rental.SCOPE_PREFIX), ended_at__isnull=True
    )
    expiring = rentals.filter(lease_end__gte=today, lease_end__lte=today + dt.timedelta(days=30)).count()
    unregistered = rentals.exclude(registration=RentalRegistration.REGISTERED).count()
    items = [
        AttentionItem(
            label=_("Residents aged 80+ living alone"),
            count=alone_80,
            url=url + "?q=%E9%AB%98%E9%BE%84",
            level="warning",
        ),
        AttentionItem(
            label=_("Households without a head"), count=no_head, url=url, level="warning" if no_head else "info"
        ),
        AttentionItem(label=_("Leases ending within 30 days"), count=expiring, level="warning" if expiring else "info"),
        AttentionItem(
            label=_("Rentals not registered"), count=unregistered, level="warning" if unregistered else "info"
        ),
    ]
    if actor.has_capability(Capability.MANAGE_REGISTER):
        pending = CorrectionRequest.objects.filter(
            scope_q(actor, Capability.MANAGE_REGISTER, CorrectionRequest.SCOPE_PREFIX), status=CorrectionStatus.PENDING
        ).count()
        items.append(
            AttentionItem(
                label=_("Correction requests to review"),
                count=pending,
                url=reverse("registry:corrections"),
                level="urgent" if pending else "info",
            )
        )
    return items
