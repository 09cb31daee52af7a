"""The home page: the actor's scope and what needs their attention."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jingzhi.core.attention import items_for
from jingzhi.core.choices import Role
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_ancestors
from jingzhi.core.views.common import actor_view


@actor_view
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    grants = [{"role": Role(g.role).label, "place": g.place, "path": place_ancestors(g.place)} for g in actor.grants]
    return render(request, "core/home.html", {"grants": grants, "attention": items_for(actor)})
