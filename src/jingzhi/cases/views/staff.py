"""The case board and case pages for staff: assign, progress, comment, add evidence."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhi.cases import services
from jingzhi.cases.choices import OPEN_STATES, TRANSITIONS, CaseState, Escalation
from jingzhi.cases.models import Case, CaseEvidence, Category
from jingzhi.cases.selectors import case_for, cases_visible
from jingzhi.core.choices import Capability, Role
from jingzhi.core.models import RoleAssignment, User
from jingzhi.core.scope import Actor
from jingzhi.core.views.common import actor_view

BOARD_ROWS = 100


def _filtered(request: HttpRequest, actor: Actor) -> QuerySet[Case]:
    qs = cases_visible(actor).select_related("category", "assignee", "place")
    state = request.GET.get("state", "")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    elif request.GET.get("all") != "1":
        qs = qs.filter(state__in=(*OPEN_STATES, CaseState.RESOLVED))
    if request.GET.get("mine") == "1":
        qs = qs.filter(assignee=actor.user)
    if request.GET.get("overdue") == "1":
        qs = qs.filter(state__in=OPEN_STATES, resolution_due__lt=timezone.now())
    if request.GET.get("escalated") == "1":
        qs = qs.filter(escalation__gte=Escalation.SECRETARY, state__in=OPEN_STATES)
    category = request.GET.get("category", "")
    if category:
        qs = qs.filter(category__code=category)
    return qs.order_by("-id")


@actor_view
def board(request: HttpRequest, actor: Actor) -> HttpResponse:
    """All cases in scope, newest first; the list refreshes itself (HTMX polling)."""
    if not actor.has_capability(Capability.VIEW_CASES):
        raise PermissionDenied
    rows = list(_filtered(request, actor)[:BOARD_ROWS])
    context = {
        "rows": rows,
        "now": timezone.now(),
        "states": CaseState.choices,
        "categories": Category.objects.filter(active=True),
        "query": request.GET.urlencode(),
        "filters": request.GET,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/_board_rows.html", context)
    return render(request, "cases/board.html", context)


def _workers(case: Case) -> QuerySet[User]:
    """People who may work on cases at the case's place (the assignment choices)."""
    q = Q(role__in=[Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY], place_id=case.community_id)
    if case.grid_id:
        q |= Q(role=Role.GRID_WORKER, place_id=case.grid_id)
    if case.estate_id:
        q |= Q(role=Role.PROPERTY_MANAGER, place_id=case.estate_id)
    ids = RoleAssignment.objects.filter(q).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


@actor_view
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = case_for(actor, case_id)
    can_assign = actor.can(Capability.ASSIGN_CASES, case.place)
    can_work = actor.can(Capability.WORK_CASES, case.place)
    mine = actor.user is not None and case.assignee_id == actor.user.pk
    moves = [
        (state, CaseState(state).label)
        for state in TRANSITIONS.get(case.state, ())
        if state != CaseState.ASSIGNED
        and (can_assign or (can_work and (mine or case.assignee_id is None)))
        and (can_assign or state not in (CaseState.CLOSED, CaseState.REOPENED, CaseState.REJECTED))
    ]
    events = case.events.select_related("device").order_by("-id")[:20]
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "activities": case.activities.all(),
            "evidence": case.evidence.all(),
            "reports": case.reports.select_related("user"),
            "events": events,
            "workers": _workers(case) if can_assign and case.is_open else [],
            "moves": moves,
            "can_work": can_work,
            "overdue": case.overdue(),
        },
    )


def _back(case: Case) -> HttpResponse:
    return redirect("cases:detail", case_id=case.pk)


def _report_error(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@actor_view
@require_POST
def case_assign_view(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = case_for(actor, case_id)
    assignee = _workers(case).filter(pk=request.POST.get("assignee") or 0).first()
    if assignee is None:
        messages.error(request, _("Choose who takes the case."))
        return _back(case)
    try:
        services.case_assign(actor=actor, case=case, assignee=assignee, note=request.POST.get("note", ""))
        messages.success(request, _("Assigned to %(name)s.") % {"name": assignee.full_name or assignee.username})
    except ValidationError as exc:
        _report_error(request, exc)
    return _back(case)


@actor_view
@require_POST
def case_transition_view(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = case_for(actor, case_id)
    to = request.POST.get("to", "")
    if to not in CaseState.values:
        raise Http404
    try:
        services.case_transition(actor=actor, case=case, to=to, note=request.POST.get("note", ""))
        messages.success(request, _("The case is now %(state)s.") % {"state": CaseState(to).label})
    except ValidationError as exc:
        _report_error(request, exc)
    return _back(case)


@actor_view
@require_POST
def case_comment_view(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = case_for(actor, case_id)
    try:
        services.case_comment(actor=actor, case=case, note=request.POST.get("note", ""))
    except ValidationError as exc:
        _report_error(request, exc)
    return _back(case)


@actor_view
@require_POST
def case_evidence_view(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = case_for(actor, case_id)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose a photo."))
        return _back(case)
    try:
        services.case_add_evidence(actor=actor, case=case, upload=upload)
    except ValidationError as exc:
        _report_error(request, exc)
    return _back(case)


@actor_view
def evidence_file(request: HttpRequest, actor: Actor, evidence_id: int) -> FileResponse:
    """An evidence file, for those who see the case or reported it."""
    evidence = get_object_or_404(CaseEvidence.objects.select_related("case"), pk=evidence_id)
    visible = cases_visible(actor).filter(pk=evidence.case_id).exists() or (
        actor.user is not None and evidence.case.reports.filter(user=actor.user).exists()
    )
    if not visible:
        raise Http404
    return FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
