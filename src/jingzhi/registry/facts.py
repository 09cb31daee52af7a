"""Facts that apps add to a resident's page (e.g. when they last passed a gate).

Apps above the register register providers in ``AppConfig.ready()`` so the register never
imports them. A provider returns (label, value) pairs, already within the actor's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jingzhi.core.scope import Actor

Provider = Callable[[Actor, Any], list[tuple[str, str]]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def facts_for(actor: Actor, resident: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for provider in _providers:
        out.extend(provider(actor, resident))
    return out
