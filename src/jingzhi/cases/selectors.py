"""Reading cases within the actor's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from jingzhi.cases.models import Case
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor, scope_q


def cases_visible(actor: Actor, cap: Capability = Capability.VIEW_CASES) -> QuerySet[Case]:
    return Case.objects.filter(scope_q(actor, cap, Case.SCOPE_PREFIX, Case.SCOPE_DIRECT))


def case_for(actor: Actor, pk: int) -> Case:
    """The case, if the actor may see it (404 otherwise)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(cases_visible(actor).select_related("category", "place", "assignee", "reporter"), pk=pk)
