"""What needs the actor's attention on the home page.

Each app registers a provider in its ``AppConfig.ready()``; a provider takes
the actor and returns items. Core does not import the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jingzhi.core.scope import Actor


@dataclass(frozen=True)
class AttentionItem:
    label: str
    count: int
    url: str = ""
    level: str = "info"  # info | warning | urgent


Provider = Callable[[Actor], list[AttentionItem]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def items_for(actor: Actor) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    for provider in _providers:
        items.extend(provider(actor))
    return items
