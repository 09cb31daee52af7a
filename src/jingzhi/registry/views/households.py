"""Households: the page, registering a new household with its head, adding members."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_get
from jingzhi.core.views.common import actor_view
from jingzhi.registry.forms import HouseholdForm, MemberForm
from jingzhi.registry.presenters import address_of, resident_row
from jingzhi.registry.selectors import household_get
from jingzhi.registry.services import household_create, resident_register
from jingzhi.registry.views.common import ADDRESS_RELATED, apply_errors


@actor_view
def household_detail(request: HttpRequest, actor: Actor, household_id: int) -> HttpResponse:
    household = household_get(actor=actor, pk=household_id)
    members = household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "address": address_of(household.room),
            "members": [resident_row(m) for m in members],
            "can_manage": actor.can(Capability.MANAGE_REGISTER, household.room),
            "rentals": household.leases.order_by("-lease_start")[:5],
            "vehicles": household.vehicles.all(),
        },
    )


@actor_view
def household_create_view(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    room = place_get(actor=actor, pk=place_id)
    if room.kind != PlaceKind.ROOM or not actor.can(Capability.MANAGE_REGISTER, room):
        raise PermissionDenied
    form = HouseholdForm(request.POST or None)
    existing: list[int] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tenure = data.pop("tenure")
        try:
            household = household_create(actor=actor, room=room, tenure=tenure, head=data)
        except ValidationError as exc:
            existing = apply_errors(form, exc)
        else:
            messages.success(request, _("Household registered."))
            return redirect("registry:household_detail", household_id=household.pk)
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "room": room,
            "address": address_of(room),
            "existing": existing,
            "title": _("Register a household"),
        },
    )


@actor_view
def member_add(request: HttpRequest, actor: Actor, household_id: int) -> HttpResponse:
    household = household_get(actor=actor, pk=household_id)
    if not actor.can(Capability.MANAGE_REGISTER, household.room):
        raise PermissionDenied
    form = MemberForm(request.POST or None)
    existing: list[int] = []
    if request.method == "POST" and form.is_valid():
        try:
            resident = resident_register(actor=actor, household=household, **form.cleaned_data)
        except ValidationError as exc:
            existing = apply_errors(form, exc)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": resident.name})
            return redirect("registry:household_detail", household_id=household.pk)
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "room": household.room,
            "address": address_of(household.room),
            "existing": existing,
            "title": _("Add a household member"),
        },
    )
