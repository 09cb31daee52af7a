"""Core API operations: the actor, places, the audit log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from jingzhi.core.choices import Capability, PlaceKind, Role
from jingzhi.core.models import Place
from jingzhi.core.schemas import AuditOut, GrantOut, MeOut, PlaceIn, PlaceOut, PlacePatch, RoomsIn, RoomsOut
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import audit_entries_visible, place_get, places_visible
from jingzhi.core.services.places import building_rooms_bulk_create, place_create, place_update

router = Router(tags=["core"])


def actor_of(request: HttpRequest) -> Actor:
    return Actor.from_request(request)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    actor = actor_of(request)
    assert actor.user is not None
    caps = sorted(c.value for c in Capability if actor.has_capability(c))
    return {
        "username": actor.user.username,
        "full_name": actor.user.full_name,
        "is_platform_admin": actor.is_platform_admin,
        "grants": [
            GrantOut(
                role=g.role,
                role_label=str(Role(g.role).label),
                place_id=g.place.pk,
                place_name=g.place.name,
                place_kind=g.place.kind,
            )
            for g in actor.grants
        ],
        "capabilities": caps,
    }


@router.get("/places", response=list[PlaceOut])
@paginate(LimitOffsetPagination)
def places_list(request: HttpRequest, parent_id: int | None = None, kind: str | None = None) -> object:
    qs = places_visible(actor=actor_of(request)).order_by("kind", "code")
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs


@router.get("/places/{place_id}", response=PlaceOut)
def places_detail(request: HttpRequest, place_id: int) -> Place:
    return place_get(actor=actor_of(request), pk=place_id)


@router.post("/places", response={201: PlaceOut})
def places_create(request: HttpRequest, data: PlaceIn) -> Status:
    actor = actor_of(request)
    parent = place_get(actor=actor, pk=data.parent_id)
    if data.kind not in PlaceKind.values:
        raise PermissionDenied("unknown kind")
    place = place_create(
        actor=actor,
        kind=data.kind,
        parent=parent,
        code=data.code,
        name=data.name,
        floors=data.floors,
        unit_count=data.unit_count,
        floor=data.floor,
        room_number=data.room_number,
    )
    return Status(201, place)


@router.patch("/places/{place_id}", response=PlaceOut)
def places_update(request: HttpRequest, place_id: int, data: PlacePatch) -> Place:
    actor = actor_of(request)
    place = place_get(actor=actor, pk=place_id)
    return place_update(actor=actor, place=place, **data.dict(exclude_unset=True))


@router.post("/places/{place_id}/rooms", response={201: RoomsOut})
def places_rooms_generate(request: HttpRequest, place_id: int, data: RoomsIn) -> Status:
    actor = actor_of(request)
    building = place_get(actor=actor, pk=place_id)
    created = building_rooms_bulk_create(
        actor=actor, building=building, floors=data.floors, units=data.units, rooms_per_floor=data.rooms_per_floor
    )
    return Status(201, {"created": len(created)})


@router.get("/audit", response=list[AuditOut])
@paginate(LimitOffsetPagination)
def audit_list(request: HttpRequest, action: str | None = None, actor_name: str | None = None) -> object:
    actor = actor_of(request)
    if not actor.has_capability(Capability.VIEW_AUDIT):
        raise PermissionDenied("Only auditors read the audit log.")
    qs = audit_entries_visible(actor=actor)
    if action:
        qs = qs.filter(action=action)
    if actor_name:
        qs = qs.filter(actor_name=actor_name)
    return qs
