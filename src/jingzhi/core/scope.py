"""The actor and its scope: the one place where "who may see what" is decided.

Every read of scoped data goes through :func:`scope_q` (directly or through a
selector), so a new page or API operation inherits the rules instead of
re-implementing them. A scope is the set of places a role is bound to; an
object is inside it when the place it belongs to lies at or below one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from jingzhi.core.choices import ROLE_CAPABILITIES, Capability, PlaceKind, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from jingzhi.core.models import Place, User


@dataclass(frozen=True)
class Grant:
    role: str
    place: Place


@dataclass
class Actor:
    """A user together with the places each of their roles reaches."""

    user: User | None
    grants: tuple[Grant, ...] = ()
    is_platform_admin: bool = False
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def for_user(cls, user: User | AnonymousUser | None) -> Actor:
        from jingzhi.core.models import RoleAssignment, User

        if user is None or not user.is_authenticated or not isinstance(user, User) or not user.is_active:
            return cls(user=None)
        assignments = RoleAssignment.objects.filter(user=user).select_related("place").order_by("id")
        grants = tuple(Grant(role=a.role, place=a.place) for a in assignments)
        return cls(user=user, grants=grants, is_platform_admin=bool(user.is_superuser))

    @classmethod
    def system(cls) -> Actor:
        """The platform itself (commands, jobs, demo data): unrestricted, audited as "system"."""
        return cls(user=None, is_platform_admin=True)

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        cached = getattr(request, "_jingzhi_actor", None)
        if cached is not None and cached.user == (request.user if request.user.is_authenticated else None):
            return cached
        actor = cls.for_user(request.user)
        request._jingzhi_actor = actor  # type: ignore[attr-defined]
        return actor

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    def places_for(self, cap: Capability) -> list[Place]:
        """The places in which this actor holds ``cap``."""
        key = ("places", cap)
        if key not in self._cache:
            self._cache[key] = [g.place for g in self.grants if cap in ROLE_CAPABILITIES[Role(g.role)]]
        return self._cache[key]

    def has_capability(self, cap: Capability) -> bool:
        return self.is_platform_admin or bool(self.places_for(cap))

    def can(self, cap: Capability, place: Place | None) -> bool:
        """Whether the actor holds ``cap`` at ``place`` (or above it)."""
        if self.is_platform_admin:
            return True
        if place is None:
            return False
        return any(scope_place.contains(place) for scope_place in self.places_for(cap))

    def scope_roots(self) -> list[Place]:
        """The distinct places the actor is bound to, for display."""
        seen: dict[int, Place] = {}
        for grant in self.grants:
            seen.setdefault(grant.place.pk, grant.place)
        return list(seen.values())


def place_q(prefix: str, place: Place, direct: tuple[str, ...] = ()) -> Q:
    """A filter for rows whose place (reached through ``prefix``) lies under ``place``.

    ``prefix`` is the lookup path from the queried model to its Place foreign
    key (``"room"``, ``"household__room"``), or ``""`` when querying Place.
    ``direct`` names levels the queried model also stores itself (``Resident`` keeps
    ``community`` …): those filter on the model's own indexed column, without a join.
    """
    if place.kind in direct:
        return Q(**{f"{place.kind}_id": place.pk})
    if place.kind == PlaceKind.ROOM:
        return Q(**{prefix or "pk": place.pk})
    lookup = f"{prefix}__{place.kind}" if prefix else place.kind
    return Q(**{lookup: place.pk})


def scope_q(actor: Actor, cap: Capability, prefix: str, direct: tuple[str, ...] = ()) -> Q:
    """The filter that restricts a queryset to what ``actor`` may see with ``cap``."""
    if actor.is_platform_admin:
        return Q()
    places = actor.places_for(cap)
    if not places:
        return Q(pk__in=[])
    query = Q()
    for place in places:
        query |= place_q(prefix, place, direct)
    return query
