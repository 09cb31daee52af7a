"""A resident's own reports: file one from a phone, follow it, confirm and rate the result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jingzhi.cases import services
from jingzhi.cases.choices import ActivityKind
from jingzhi.cases.forms import RateForm, ReportForm
from jingzhi.cases.models import Case, CaseReport
from jingzhi.core.models import User
from jingzhi.core.scope import Actor
from jingzhi.core.views.common import actor_view

#: What a reporter sees of the case's history (not staff comments).
PUBLIC_ACTIVITY = (ActivityKind.CREATED, ActivityKind.ASSIGNED, ActivityKind.STATE, ActivityKind.RATED)


def has_own_record(actor: object) -> bool:
    user = getattr(actor, "user", None)
    return user is not None and hasattr(user, "resident")


def _me(actor: Actor) -> User:
    if not has_own_record(actor):
        raise Http404
    assert actor.user is not None
    return actor.user


@actor_view
def my_reports(request: HttpRequest, actor: Actor) -> HttpResponse:
    user = _me(actor)
    reports = CaseReport.objects.filter(user=user).select_related("case__category").order_by("-created_at")[:50]
    return render(request, "cases/my_reports.html", {"reports": reports})


@actor_view
def report_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    user = _me(actor)
    home = user.resident.household.room
    form = ReportForm(request.POST or None, request.FILES or None, home=home)
    if request.method == "POST" and form.is_valid():
        try:
            case, joined = services.resident_report(
                user=user,
                category=form.cleaned_data["category"],
                place=form.places[form.cleaned_data["place"]],
                description=form.cleaned_data["description"],
                photo=form.cleaned_data.get("photo"),
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            if joined:
                messages.success(
                    request,
                    _("This was already reported: your report joined case %(number)s.") % {"number": case.number},
                )
            else:
                messages.success(request, _("Reported as case %(number)s.") % {"number": case.number})
            return redirect("cases:my_case", case_id=case.pk)
    return render(request, "cases/report_new.html", {"form": form})


@actor_view
def my_case(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    user = _me(actor)
    case = get_object_or_404(Case.objects.filter(reports__user=user).select_related("category", "assignee"), pk=case_id)
    report = case.reports.get(user=user)
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_rate(
                user=user,
                case=case,
                rating=form.cleaned_data["rating"],
                confirmed=form.cleaned_data["confirmed"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Thank you for your feedback."))
        return redirect("cases:my_case", case_id=case.pk)
    return render(
        request,
        "cases/my_case.html",
        {
            "case": case,
            "report": report,
            "activities": case.activities.filter(kind__in=PUBLIC_ACTIVITY),
            "evidence": case.evidence.filter(uploaded_by=user),
            "form": form,
            "can_rate": services.awaits_rating(case, report),
        },
    )
