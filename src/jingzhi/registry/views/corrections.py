"""Staff review of residents' correction requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhi.core.choices import Capability
from jingzhi.core.masking import mask_generic
from jingzhi.core.scope import Actor, scope_q
from jingzhi.core.views.common import actor_view
from jingzhi.registry.choices import CorrectionStatus
from jingzhi.registry.forms import ReviewForm
from jingzhi.registry.models import CorrectionRequest, Resident
from jingzhi.registry.services.corrections import correction_review


@actor_view
def corrections_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.has_capability(Capability.MANAGE_REGISTER):
        raise PermissionDenied
    pending = (
        CorrectionRequest.objects.filter(scope_q(actor, Capability.MANAGE_REGISTER, CorrectionRequest.SCOPE_PREFIX))
        .filter(status=CorrectionStatus.PENDING)
        .select_related("resident", "requested_by")
        .order_by("created_at")[:200]
    )
    rows = [
        {
            "request": r,
            "proposed": r.proposed if r.field not in Resident.SENSITIVE_FIELDS else mask_generic(r.proposed),
        }
        for r in pending
    ]
    return render(request, "registry/corrections.html", {"rows": rows})


@actor_view
@require_POST
def correction_review_view(request: HttpRequest, actor: Actor, correction_id: int) -> HttpResponse:
    try:
        correction = (
            CorrectionRequest.objects.filter(scope_q(actor, Capability.MANAGE_REGISTER, CorrectionRequest.SCOPE_PREFIX))
            .select_related("resident__household__room")
            .get(pk=correction_id)
        )
    except CorrectionRequest.DoesNotExist:
        raise Http404 from None
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("registry:corrections")
    try:
        correction_review(
            actor=actor, request=correction, approve=form.cleaned_data["approve"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reviewed."))
    return redirect("registry:corrections")
