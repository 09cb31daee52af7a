"""Home-page attention items contributed by the cases app."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.cases.choices import OPEN_STATES, CaseState, Escalation
from jingzhi.cases.selectors import cases_visible
from jingzhi.core.attention import AttentionItem
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor


def cases_attention(actor: Actor) -> list[AttentionItem]:
    if not actor.has_capability(Capability.VIEW_CASES):
        return []
    now = timezone.now()
    counts = (
        cases_visible(actor)
        .filter(state__in=OPEN_STATES)
        .aggregate(
            unassigned=Count("id", filter=Q(state=CaseState.NEW)),
            overdue=Count("id", filter=Q(resolution_due__lt=now)),
            escalated=Count("id", filter=Q(escalation__gte=Escalation.SECRETARY)),
            mine=Count("id", filter=Q(assignee=actor.user) if actor.user is not None else Q(pk__in=[])),
        )
    )
    url = reverse("cases:board")
    return [
        AttentionItem(_("Cases assigned to me"), counts["mine"], url + "?mine=1", "warning"),
        AttentionItem(_("Cases waiting for assignment"), counts["unassigned"], url + "?state=new", "warning"),
        AttentionItem(_("Overdue cases"), counts["overdue"], url + "?overdue=1", "urgent"),
        AttentionItem(_("Escalated cases"), counts["escalated"], url + "?escalated=1", "urgent"),
    ]
