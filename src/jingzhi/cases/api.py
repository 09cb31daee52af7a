"""Case operations for staff (scoped) and for reporters (their own cases)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from jingzhi.cases import services
from jingzhi.cases.choices import OPEN_STATES, CaseState, Source
from jingzhi.cases.models import Case, Category
from jingzhi.cases.schemas import AssignIn, CaseDetailOut, CaseIn, CaseOut, CommentIn, RateIn, TransitionIn
from jingzhi.cases.selectors import case_for, cases_visible
from jingzhi.core.choices import Capability
from jingzhi.core.models import User
from jingzhi.core.pagination import CappedPagination
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_get

router = Router(tags=["cases"])


@router.get("/cases", response=list[CaseOut])
@paginate(CappedPagination)
def cases_list(request: HttpRequest, state: str = "", open: bool = False, mine: bool = False) -> QuerySet[Case]:
    """Cases in the caller's scope, newest first."""
    actor = Actor.from_request(request)
    qs = cases_visible(actor).select_related("category", "assignee").order_by("-id")
    if state:
        qs = qs.filter(state=state)
    if open:
        qs = qs.filter(state__in=OPEN_STATES)
    if mine:
        qs = qs.filter(assignee=actor.user)
    return qs


@router.get("/cases/{case_id}", response=CaseDetailOut)
def case_detail(request: HttpRequest, case_id: int) -> Case:
    return case_for(Actor.from_request(request), case_id)


@router.post("/cases", response={201: CaseOut})
def case_create(request: HttpRequest, body: CaseIn) -> Status[Case]:
    """Open a case by hand (community desk)."""
    actor = Actor.from_request(request)
    place = place_get(actor=actor, pk=body.place_id, cap=Capability.ASSIGN_CASES)
    category = get_object_or_404(Category, code=body.category, active=True)
    case = services.case_open(
        actor=actor,
        category=category,
        place=place,
        title=body.title,
        description=body.description,
        location=body.location,
        priority=body.priority,
        source=Source.STAFF,
        reporter=actor.user,
    )
    return Status(201, case)


@router.post("/cases/{case_id}/assign", response=CaseOut)
def case_assign(request: HttpRequest, case_id: int, body: AssignIn) -> Case:
    actor = Actor.from_request(request)
    case = case_for(actor, case_id)
    assignee = User.objects.filter(username=body.assignee, is_active=True).first()
    if assignee is None:
        raise Http404
    return services.case_assign(actor=actor, case=case, assignee=assignee, note=body.note)


@router.post("/cases/{case_id}/transition", response=CaseOut)
def case_transition(request: HttpRequest, case_id: int, body: TransitionIn) -> Case:
    actor = Actor.from_request(request)
    if body.to not in CaseState.values:
        raise Http404
    return services.case_transition(actor=actor, case=case_for(actor, case_id), to=body.to, note=body.note)


@router.post("/cases/{case_id}/comments", response={201: dict})
def case_comment(request: HttpRequest, case_id: int, body: CommentIn) -> Status[dict[str, Any]]:
    actor = Actor.from_request(request)
    activity = services.case_comment(actor=actor, case=case_for(actor, case_id), note=body.note)
    return Status(201, {"id": activity.pk})


@router.post("/my/cases/{case_id}/rating", response=dict)
def case_rate(request: HttpRequest, case_id: int, body: RateIn) -> dict[str, Any]:
    """The reporter confirms the result and rates it; not confirmed reopens the case."""
    user = request.user
    assert isinstance(user, User)
    case = get_object_or_404(Case.objects.filter(reports__user=user), pk=case_id)
    report = services.case_rate(
        user=user, case=case, rating=body.rating, confirmed=body.confirmed, comment=body.comment
    )
    case.refresh_from_db()
    return {"rating": report.rating, "state": case.state}
