"""Template context for the UI shell: the actor and the navigation for their roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor

Visible = Capability | Callable[[Actor], bool] | None

# (label, url name, who sees it: a capability, a predicate, or None for everyone logged in).
# Apps add their entries with ``register_nav`` in ``AppConfig.ready()``.
NAV: list[tuple[Any, str, Visible]] = [
    (_("Home"), "core:home", None),
    (_("Places"), "core:places", Capability.VIEW_PLACES),
]
NAV_TAIL: list[tuple[Any, str, Visible]] = [(_("Audit log"), "core:audit", Capability.VIEW_AUDIT)]


def register_nav(label: Any, url_name: str, visible: Visible) -> None:
    if all(name != url_name for _label, name, _v in NAV):
        NAV.append((label, url_name, visible))


def _visible(actor: Actor, rule: Visible) -> bool:
    if rule is None:
        return True
    if isinstance(rule, Capability):
        return actor.has_capability(rule)
    return rule(actor)


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
        for label, name, rule in [*NAV, *NAV_TAIL]
        if _visible(actor, rule)
    ]
    return {"nav": nav, "actor": actor}
