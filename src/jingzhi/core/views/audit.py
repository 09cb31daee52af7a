"""The audit log page, for auditors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import audit_entries_visible
from jingzhi.core.views.common import actor_view


@actor_view
def audit_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.has_capability(Capability.VIEW_AUDIT):
        raise PermissionDenied
    qs = audit_entries_visible(actor=actor)
    action = request.GET.get("action", "").strip()
    who = request.GET.get("actor", "").strip()
    if action:
        qs = qs.filter(action=action)
    if who:
        qs = qs.filter(actor_name=who)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"page": page, "action": action, "who": who})
