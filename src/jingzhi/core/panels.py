"""Sections that apps add to a place's page (e.g. the households living in a room).

Like :mod:`jingzhi.core.attention`, apps register providers in ``AppConfig.ready()``
so that core never imports them. A provider returns ``None`` or a :class:`Panel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jingzhi.core.models import Place
from jingzhi.core.scope import Actor


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    links: list[Link] = field(default_factory=list)
    actions: list[Link] = field(default_factory=list)


Provider = Callable[[Actor, Place], Panel | None]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(actor: Actor, place: Place) -> list[Panel]:
    return [panel for provider in _providers if (panel := provider(actor, place)) is not None]
