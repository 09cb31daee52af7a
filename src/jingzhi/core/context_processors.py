"""Template context for the UI shell: the actor and the navigation for their roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor

# (label, url name, capability needed or None for everyone logged in)
NAV: list[tuple[Any, str, Capability | None]] = [
    (_("Home"), "core:home", None),
    (_("Places"), "core:places", Capability.VIEW_PLACES),
    (_("Residents"), "registry:residents", Capability.VIEW_REGISTER),
    (_("Audit log"), "core:audit", Capability.VIEW_AUDIT),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    actor = Actor.from_request(request)
    nav = [
        {
            "label": label,
            "url": reverse(name),
            "active": request.path == reverse(name) or (name != "core:home" and request.path.startswith(reverse(name))),
        }
        for label, name, cap in NAV
        if cap is None or actor.has_capability(cap)
    ]
    return {"nav": nav, "actor": actor}
