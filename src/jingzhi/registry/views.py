"""Staff pages of the register: list, detail (audited), reveal (audited), export."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor
from jingzhi.core.views.common import actor_view
from jingzhi.registry.exports import residents_export
from jingzhi.registry.presenters import address_of, resident_row
from jingzhi.registry.selectors import household_get, resident_get, residents_search
from jingzhi.registry.services import REVEALABLE, resident_reveal, resident_view_record

ADDRESS_RELATED = ("household__room__estate", "household__room__building", "household__room__unit")


def _require_register(actor: Actor) -> None:
    if not actor.has_capability(Capability.VIEW_REGISTER):
        raise PermissionDenied


@actor_view
def residents_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    _require_register(actor)
    q = request.GET.get("q", "")
    qs = residents_search(actor=actor, text=q).select_related(*ADDRESS_RELATED)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    rows = [resident_row(r) for r in page.object_list]
    template = "registry/_resident_rows.html" if request.htmx else "registry/residents.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {"page": page, "rows": rows, "q": q, "can_reveal": actor.has_capability(Capability.REVEAL_PII)},
    )


@actor_view
def resident_detail(request: HttpRequest, actor: Actor, resident_id: int) -> HttpResponse:
    resident = resident_get(actor=actor, pk=resident_id)
    resident_view_record(actor=actor, resident=resident, channel="web")
    can_reveal = actor.can(Capability.REVEAL_PII, resident.household.room)
    members = resident.household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return render(
        request,
        "registry/resident_detail.html",
        {
            "resident": resident,
            "row": resident_row(resident),
            "members": [resident_row(m) for m in members],
            "can_reveal": can_reveal,
            "tags": resident.tags.all(),
        },
    )


@actor_view
@require_POST
def resident_reveal_view(request: HttpRequest, actor: Actor, resident_id: int) -> HttpResponse:
    resident = resident_get(actor=actor, pk=resident_id)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        raise PermissionDenied
    try:
        value = resident_reveal(actor=actor, resident=resident, field=field, reason=request.POST.get("reason", ""))
    except ValidationError:
        raise PermissionDenied from None
    return render(request, "registry/_revealed.html", {"value": value, "field": field})


@actor_view
def household_detail(request: HttpRequest, actor: Actor, household_id: int) -> HttpResponse:
    household = household_get(actor=actor, pk=household_id)
    members = household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return render(
        request,
        "registry/household_detail.html",
        {"household": household, "address": address_of(household.room), "members": [resident_row(m) for m in members]},
    )


@actor_view
def residents_export_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    _require_register(actor)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    reveal = request.GET.get("reveal") == "1"
    qs = residents_search(actor=actor, text=request.GET.get("q", ""))
    payload = residents_export(actor=actor, residents=qs, fmt=fmt, reveal=reveal)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="residents-{stamp}.{fmt}"'
    return response
