"""Staff pages for the places tree."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind, child_kind
from jingzhi.core.forms import PlaceForm, RoomsForm
from jingzhi.core.panels import panels_for
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_ancestors, place_children, place_get, scope_top_places
from jingzhi.core.services.places import building_rooms_bulk_create, place_create, place_update
from jingzhi.core.views.common import actor_view


def _require(actor: Actor, cap: Capability) -> None:
    if not actor.has_capability(cap):
        raise PermissionDenied


def _apply_errors(form: PlaceForm | RoomsForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@actor_view
def places_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    _require(actor, Capability.VIEW_PLACES)
    return render(request, "core/places_index.html", {"roots": scope_top_places(actor=actor)})


@actor_view
def place_detail(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    place = place_get(actor=actor, pk=place_id)
    children = place_children(actor=actor, place=place)
    kind = child_kind(place.kind)
    context: dict[str, Any] = {
        "place": place,
        "kind_label": PlaceKind(place.kind).label,
        "trail": place_ancestors(place),
        "children": children[:500],
        "children_count": children.count(),
        "child_kind": kind,
        "child_kind_label": PlaceKind(kind).label if kind else "",
        "can_manage": actor.can(Capability.MANAGE_PLACES, place),
        "panels": panels_for(actor, place),
    }
    return render(request, "core/place_detail.html", context)


@actor_view
def place_create_view(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    parent = place_get(actor=actor, pk=place_id)
    kind = child_kind(parent.kind)
    if kind is None or not actor.can(Capability.MANAGE_PLACES, parent):
        raise PermissionDenied
    form = PlaceForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            place = place_create(actor=actor, kind=kind, parent=parent, **_clean(form.cleaned_data))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Created %(name)s.") % {"name": place.name})
            return redirect("core:place_detail", place_id=parent.pk)
    return render(
        request,
        "core/place_form.html",
        {"form": form, "parent": parent, "kind_label": PlaceKind(kind).label, "trail": place_ancestors(parent)},
    )


@actor_view
def place_edit_view(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    place = place_get(actor=actor, pk=place_id)
    if not actor.can(Capability.MANAGE_PLACES, place):
        raise PermissionDenied
    initial = {f: getattr(place, f) for f in ("code", "name", "floors", "unit_count", "floor", "room_number")}
    form = PlaceForm(request.POST or None, initial=initial, kind=place.kind)
    if request.method == "POST" and form.is_valid():
        try:
            place_update(actor=actor, place=place, **_clean(form.cleaned_data))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("core:place_detail", place_id=place.pk)
    return render(
        request,
        "core/place_form.html",
        {"form": form, "place": place, "kind_label": PlaceKind(place.kind).label, "trail": place_ancestors(place)},
    )


@actor_view
def place_rooms_view(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    building = place_get(actor=actor, pk=place_id)
    if building.kind != PlaceKind.BUILDING or not actor.can(Capability.MANAGE_PLACES, building):
        raise PermissionDenied
    form = RoomsForm(request.POST or None, initial={"floors": building.floors, "units": building.unit_count})
    if request.method == "POST" and form.is_valid():
        try:
            created = building_rooms_bulk_create(actor=actor, building=building, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Created %(n)d units and rooms.") % {"n": len(created)})
            return redirect("core:place_detail", place_id=building.pk)
    return render(
        request, "core/place_rooms.html", {"form": form, "place": building, "trail": place_ancestors(building)}
    )


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: ("" if v is None and k == "room_number" else v) for k, v in data.items()}
