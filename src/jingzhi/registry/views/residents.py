"""Staff pages of the register: list, detail (audited), reveal (audited), export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhi.core.choices import Capability
from jingzhi.core.pagination import CappedPaginator
from jingzhi.core.scope import Actor
from jingzhi.core.views.common import actor_view
from jingzhi.registry.exports import residents_export
from jingzhi.registry.facts import facts_for
from jingzhi.registry.forms import ResidentEditForm, StatusForm
from jingzhi.registry.presenters import resident_row
from jingzhi.registry.selectors import resident_get, resident_timeline, residents_search
from jingzhi.registry.services import (
    REVEALABLE,
    resident_reveal,
    resident_set_status,
    resident_update,
    resident_view_record,
)
from jingzhi.registry.views.common import ADDRESS_RELATED, apply_errors, require_register


@actor_view
def residents_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    require_register(actor)
    q = request.GET.get("q", "")
    qs = residents_search(actor=actor, text=q).select_related(*ADDRESS_RELATED)
    page = CappedPaginator(qs, 25).get_page(request.GET.get("page"))
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
    room = resident.household.room
    can_reveal = actor.can(Capability.REVEAL_PII, room)
    members = resident.household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return render(
        request,
        "registry/resident_detail.html",
        {
            "resident": resident,
            "row": resident_row(resident),
            "members": [resident_row(m) for m in members],
            "can_reveal": can_reveal,
            "can_manage": actor.can(Capability.MANAGE_REGISTER, room),
            "tags": resident.tag_links.select_related("tag"),
            "timeline": resident_timeline(resident=resident, limit=50),
            "extra_facts": facts_for(actor, resident),
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
def residents_export_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    require_register(actor)
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


@actor_view
def resident_edit(request: HttpRequest, actor: Actor, resident_id: int) -> HttpResponse:
    resident = resident_get(actor=actor, pk=resident_id)
    if not actor.can(Capability.MANAGE_REGISTER, resident.household.room):
        raise PermissionDenied
    initial = {f: getattr(resident, f) for f in ("name", "phone", "ethnicity", "residence_type", "relationship")}
    form = ResidentEditForm(request.POST or None, initial=initial)
    existing: list[int] = []
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if not (k == "id_number" and not v)}
        try:
            resident_update(actor=actor, resident=resident, **values)
        except ValidationError as exc:
            existing = apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:resident_detail", resident_id=resident.pk)
    return render(
        request,
        "registry/resident_form.html",
        {"form": form, "resident": resident, "title": _("Edit resident"), "existing": existing},
    )


@actor_view
def resident_status(request: HttpRequest, actor: Actor, resident_id: int) -> HttpResponse:
    resident = resident_get(actor=actor, pk=resident_id)
    if not actor.can(Capability.MANAGE_REGISTER, resident.household.room):
        raise PermissionDenied
    form = StatusForm(
        request.POST or None,
        initial={
            "status": resident.status,
            "away_reason": resident.away_reason,
            "expected_return": resident.expected_return,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            resident_set_status(actor=actor, resident=resident, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:resident_detail", resident_id=resident.pk)
    return render(
        request, "registry/resident_form.html", {"form": form, "resident": resident, "title": _("Change status")}
    )
