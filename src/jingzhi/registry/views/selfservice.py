"""A resident's own household: view, ask for corrections, download a copy (PIPL arts. 45–46)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhi.core.masking import mask_name
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.core.views.common import actor_view
from jingzhi.registry.forms import CorrectionForm
from jingzhi.registry.models import CorrectionRequest, Resident
from jingzhi.registry.presenters import address_of, resident_row
from jingzhi.registry.selectors import resident_timeline
from jingzhi.registry.services.corrections import correction_request
from jingzhi.registry.views.common import ADDRESS_RELATED


def _own(actor: Actor) -> Resident:
    resident = getattr(actor.user, "resident", None) if actor.user is not None else None
    if resident is None:
        raise Http404
    return Resident.objects.select_related("household__room").get(pk=resident.pk)


@actor_view
def my_household(request: HttpRequest, actor: Actor) -> HttpResponse:
    me = _own(actor)
    members = me.household.members.select_related(*ADDRESS_RELATED).order_by("id")
    rows = [resident_row(m) for m in members]
    pending = CorrectionRequest.objects.filter(resident__household=me.household).order_by("-created_at")[:20]
    return render(
        request,
        "registry/my_household.html",
        {
            "me": me,
            "rows": rows,
            "address": address_of(me.household.room),
            "form": CorrectionForm(initial={"resident": me.pk}),
            "pending": pending,
        },
    )


@actor_view
@require_POST
def my_correction(request: HttpRequest, actor: Actor) -> HttpResponse:
    me = _own(actor)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            target = me.household.members.get(pk=form.cleaned_data["resident"])
        except Resident.DoesNotExist:
            raise Http404 from None
        try:
            correction_request(
                actor=actor,
                resident=target,
                field=form.cleaned_data["field"],
                proposed=form.cleaned_data["proposed"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your request was sent to the community for review."))
    else:
        messages.error(request, _("Please fill in the correct value."))
    return redirect("registry:my_household")


@actor_view
def my_copy(request: HttpRequest, actor: Actor) -> HttpResponse:
    """A copy of the resident's own data: their record in full, household members masked."""
    me = _own(actor)
    members = me.household.members.select_related(*ADDRESS_RELATED).order_by("id")
    payload = {
        "generated_at": timezone.now().isoformat(),
        "me": {k: str(v) for k, v in resident_row(me, reveal=True).items()},
        "household": [{k: str(v) for k, v in resident_row(m).items()} for m in members if m.pk != me.pk],
        "tags": [str(link.tag) for link in me.tag_links.select_related("tag")],
        "history": [
            {"at": e.at.isoformat(), "action": e.action, "changes": e.changes} for e in resident_timeline(resident=me)
        ],
    }
    audit_log(actor=actor, action="resident.self_copy", obj=me, place=me.household.room, object_repr=mask_name(me.name))
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
