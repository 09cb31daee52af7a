"""Everything that changes a case: open, attach repeats, assign, move through states, rate, escalate.

Devices reach these through the sensing rules, staff through the pages and the API, residents
through their report form, 311 clients through Open311. Each change writes a case activity;
changes made by people are also written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.cases.choices import OPEN_STATES, TRANSITIONS, ActivityKind, CaseState, Escalation, Priority, RouteTo
from jingzhi.cases.models import Case, CaseActivity, CaseEvidence, CaseReport, Category
from jingzhi.core.choices import Capability, PlaceKind, Role
from jingzhi.core.models import Place, RoleAssignment, User
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log

EVIDENCE_TYPES = ("image/jpeg", "image/png", "video/mp4")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

_ROUTE_LEVEL = {
    RouteTo.GRID_WORKER: ("grid", Role.GRID_WORKER),
    RouteTo.PROPERTY: ("estate", Role.PROPERTY_MANAGER),
    RouteTo.COMMUNITY: ("community", Role.COMMUNITY_STAFF),
}


def _activity(case: Case, kind: str, *, actor: Actor | None, note: str = "", **data: Any) -> CaseActivity:
    user = actor.user if actor is not None else None
    return CaseActivity.objects.create(
        case=case,
        kind=kind,
        actor=user,
        actor_name=user.get_username() if user is not None else "system",
        note=note,
        data=data,
    )


def route(category: Category, place: Place) -> User | None:
    """The person a new case of ``category`` at ``place`` goes to, or None (the community's queue).

    Grid-worker cases go to the grid's worker, property cases to the estate's manager, the rest to
    community staff; where the place has no such level or nobody holds the role, the case waits
    unassigned for the community to assign it.
    """
    level, role = _ROUTE_LEVEL[RouteTo(category.route_to)]
    target_id = place.pk if place.kind == level else getattr(place, f"{level}_id", None)
    if target_id is None:
        return None
    assignment = (
        RoleAssignment.objects.filter(role=role, place_id=target_id, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment is not None else None


def case_open(
    *,
    actor: Actor | None,
    category: Category,
    place: Place,
    title: str,
    source: str,
    description: str = "",
    location: str = "",
    priority: str | None = None,
    reporter: User | None = None,
    incident_key: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Open a case, with its SLA clocks started and its owner found by routing."""
    if place.kind == PlaceKind.SUBDISTRICT:
        raise ValidationError({"place": _("A case belongs to a community or a place inside one.")})
    now = now or timezone.now()
    assignee = route(category, place)
    case = Case(
        category=category,
        title=title[:120],
        description=description,
        place=place,
        location=location[:120],
        priority=priority or category.priority,
        source=source,
        reporter=reporter,
        assignee=assignee,
        state=CaseState.ASSIGNED if assignee is not None else CaseState.NEW,
        created_at=now,
        updated_at=now,
        response_due=now + dt.timedelta(minutes=category.response_minutes),
        resolution_due=now + dt.timedelta(minutes=category.resolution_minutes),
        incident_key=incident_key[:120],
    )
    with transaction.atomic():
        case.save()
        _activity(case, ActivityKind.CREATED, actor=actor, note=description[:500], source=source)
        if assignee is not None:
            _activity(case, ActivityKind.ASSIGNED, actor=None, assignee=assignee.get_username(), routed=True)
    return case


def open_case_for_incident(incident_key: str, *, since: dt.datetime) -> Case | None:
    """The open case of this incident touched since ``since`` (the suppression window), if any."""
    return (
        Case.objects.filter(incident_key=incident_key, state__in=OPEN_STATES, updated_at__gte=since)
        .order_by("-id")
        .first()
    )


@dataclass
class Repeat:
    """Further events of an incident to record on its open case."""

    case: Case
    count: int
    note: str
    events: list[int]


def cases_attach_repeats(repeats: list[Repeat], *, now: dt.datetime | None = None) -> None:
    """Record repeats of incidents on their open cases (one incident, one case): one update of
    the counts and one history entry per case, in three statements for any number of cases."""
    if not repeats:
        return
    now = now or timezone.now()
    by_case = {r.case.pk: r for r in repeats}
    Case.objects.filter(pk__in=by_case).update(
        repeats=F("repeats") + DbCase(*(When(pk=pk, then=Value(r.count)) for pk, r in by_case.items())),
        updated_at=now,
    )
    CaseActivity.objects.bulk_create(
        [
            CaseActivity(
                case=r.case,
                at=now,
                kind=ActivityKind.ATTACHED,
                actor_name="system",
                note=r.note[:500],
                data={"count": r.count, "events": r.events[:50]},
            )
            for r in by_case.values()
        ]
    )
    for r in by_case.values():
        r.case.repeats += r.count
        r.case.updated_at = now


def _may_work(user: User, case: Case) -> bool:
    return Actor.for_user(user).can(Capability.WORK_CASES, case.place)


def case_assign(*, actor: Actor, case: Case, assignee: User, note: str = "") -> Case:
    """Give the case to someone who may work on cases at its place."""
    if not actor.can(Capability.ASSIGN_CASES, case.place):
        raise PermissionDenied(_("You may not assign this case."))
    if case.state not in (*OPEN_STATES,):
        raise ValidationError(_("Only an open case can be assigned."), code="not_open")
    if not _may_work(assignee, case):
        raise ValidationError(
            {"assignee": ValidationError(_("This person does not work on cases at this place."), code="assignee")}
        )
    previous = case.assignee.get_username() if case.assignee else ""
    with transaction.atomic():
        case.assignee = assignee
        case.state = CaseState.ASSIGNED
        case.updated_at = timezone.now()
        case.save(update_fields=["assignee", "state", "updated_at"])
        _activity(case, ActivityKind.ASSIGNED, actor=actor, note=note, assignee=assignee.get_username())
        audit_log(
            actor=actor,
            action="case.assign",
            obj=case,
            place=case.place,
            changes={"assignee": {"from": previous, "to": assignee.get_username()}},
        )
    return case


def _may_progress(actor: Actor, case: Case) -> bool:
    if actor.can(Capability.ASSIGN_CASES, case.place):
        return True
    return actor.can(Capability.WORK_CASES, case.place) and (
        case.assignee_id is None or (actor.user is not None and case.assignee_id == actor.user.pk)
    )


def case_transition(*, actor: Actor, case: Case, to: str, note: str = "") -> Case:
    """Move a case to another state along the allowed transitions.

    Resolving needs a resolution note; rejecting needs a reason; closing and reopening are for
    those who assign cases (reporters reopen through their rating).
    """
    if not _may_progress(actor, case):
        raise PermissionDenied(_("You may not change this case."))
    if to not in TRANSITIONS.get(case.state, ()):
        raise ValidationError(
            _("A case that is %(state)s cannot become %(to)s.")
            % {"state": CaseState(case.state).label, "to": CaseState(to).label},
            code="transition",
        )
    if to in (CaseState.CLOSED, CaseState.REOPENED, CaseState.REJECTED) and not actor.can(
        Capability.ASSIGN_CASES, case.place
    ):
        raise PermissionDenied(_("Only the community desk may close, reject or reopen a case."))
    if to == CaseState.ASSIGNED and case.assignee_id is None:  # assigning is case_assign's
        raise ValidationError({"assignee": ValidationError(_("Choose who takes the case."), code="assignee")})
    note = note.strip()
    if to in (CaseState.RESOLVED, CaseState.REJECTED) and not note:
        raise ValidationError(
            {"note": ValidationError(_("Say what was done (or why the case is rejected)."), code="note_required")}
        )
    now = timezone.now()
    before = case.state
    fields = ["state", "updated_at"]
    case.state, case.updated_at = to, now
    if to == CaseState.IN_PROGRESS:
        if case.assignee_id is None and actor.user is not None:
            case.assignee = actor.user
            fields.append("assignee")
        if case.responded_at is None:
            case.responded_at = now
            fields.append("responded_at")
    if to == CaseState.RESOLVED:
        case.resolved_at, case.resolution_note = now, note
        fields += ["resolved_at", "resolution_note"]
        if case.responded_at is None:
            case.responded_at = now
            fields.append("responded_at")
    if to == CaseState.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    if to == CaseState.REOPENED:
        case.resolved_at = case.closed_at = None
        fields += ["resolved_at", "closed_at"]
    with transaction.atomic():
        case.save(update_fields=fields)
        _activity(case, ActivityKind.STATE, actor=actor, note=note, to=to, **{"from": before})
        audit_log(actor=actor, action="case.state", obj=case, place=case.place, changes={"state": [before, to]})
    return case


def case_comment(*, actor: Actor, case: Case, note: str) -> CaseActivity:
    if not actor.can(Capability.WORK_CASES, case.place):
        raise PermissionDenied(_("You may not comment on this case."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": ValidationError(_("Write a comment."), code="empty")})
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return _activity(case, ActivityKind.COMMENT, actor=actor, note=note[:2000])


def check_evidence(upload: UploadedFile) -> str:
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in EVIDENCE_TYPES:
        raise ValidationError(
            {"photo": ValidationError(_("Attach a JPEG or PNG photo or an MP4 clip."), code="media_type")}
        )
    if (upload.size or 0) > MAX_EVIDENCE_BYTES:
        raise ValidationError({"photo": ValidationError(_("The file is larger than 10 MB."), code="media_too_large")})
    return content_type


def case_add_evidence(*, actor: Actor, case: Case, upload: UploadedFile) -> CaseEvidence:
    is_reporter = actor.user is not None and case.reports.filter(user=actor.user).exists()
    if not (actor.can(Capability.WORK_CASES, case.place) or is_reporter):
        raise PermissionDenied(_("You may not add evidence to this case."))
    content_type = check_evidence(upload)
    with transaction.atomic():
        evidence = CaseEvidence(case=case, content_type=content_type, uploaded_by=actor.user)
        evidence.file.save(upload.name or "evidence", upload, save=False)
        evidence.save()
        _activity(case, ActivityKind.EVIDENCE, actor=actor, evidence=evidence.pk)
    return evidence


def resident_report(
    *,
    user: User,
    category: Category,
    place: Place,
    description: str,
    photo: UploadedFile | None = None,
    window: dt.timedelta = dt.timedelta(hours=24),
) -> tuple[Case, bool]:
    """A resident reports a problem at a place of their own estate.

    Where a case of the same category is open at the same building (or estate) and was active in
    the last day — reported by a neighbour or raised by a camera — the report joins that case
    instead of opening a second one. Returns (case, joined).
    """
    resident = getattr(user, "resident", None)
    if resident is None:
        raise PermissionDenied(_("Only residents in the register can report here."))
    if not category.residents_may_report or not category.active:
        raise ValidationError(
            {"category": ValidationError(_("This kind of problem cannot be reported here."), code="category")}
        )
    home = resident.household.room
    if place.estate_id is None or place.estate_id != home.estate_id:
        raise ValidationError({"place": ValidationError(_("Report problems in your own estate."), code="place")})
    description = description.strip()
    if len(description) < 4:
        raise ValidationError(
            {"description": ValidationError(_("Describe the problem in a few words."), code="description")}
        )
    if photo is not None:
        check_evidence(photo)
    anchor = place.building_id or place.estate_id
    key = f"report:{category.code}:{anchor}"
    actor = Actor.for_user(user)
    with transaction.atomic():
        existing = (
            Case.objects.filter(category=category, state__in=OPEN_STATES, updated_at__gte=timezone.now() - window)
            .filter(Q(place_id=anchor) | Q(place__building_id=anchor) if place.building_id else Q(place_id=anchor))
            .order_by("-id")
            .first()
        )
        joined = existing is not None and not existing.reports.filter(user=user).exists()
        if existing is not None and joined:
            case = existing
            Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
            _activity(case, ActivityKind.REPORT, actor=actor, note=description[:500])
        elif existing is not None:
            case = existing
        else:
            case = case_open(
                actor=actor,
                category=category,
                place=place,
                title=f"{category.label} · {place.name}",
                description=description,
                source="resident",
                reporter=user,
                incident_key=key,
            )
        CaseReport.objects.get_or_create(case=case, user=user, defaults={"description": description})
        if photo is not None:
            evidence = CaseEvidence(case=case, content_type=check_evidence(photo), uploaded_by=user)
            evidence.file.save(photo.name or "photo", photo, save=False)
            evidence.save()
    return case, joined


def _unconfirmed(case: Case) -> Q:
    """Reports whose reporter has not rated the case's current result (a rating given before the
    case was last resolved answered an earlier result: one that was not solved)."""
    if case.resolved_at is None:
        return Q(rated_at__isnull=True)
    return Q(rated_at__isnull=True) | Q(rated_at__lt=case.resolved_at)


def awaits_rating(case: Case, report: CaseReport) -> bool:
    """Whether this reporter may (still) confirm and rate the case's result."""
    if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
        return False
    return report.rated_at is None or (case.resolved_at is not None and report.rated_at < case.resolved_at)


def case_rate(*, user: User, case: Case, rating: int, confirmed: bool, comment: str = "") -> CaseReport:
    """The reporter confirms (or not) that the problem is solved and rates the work (1–5).

    Not confirmed reopens the case for the assignee. When every reporter has confirmed the
    current result, the case closes.
    """
    report = case.reports.filter(user=user).first()
    if report is None:
        raise PermissionDenied(_("Only the people who reported this case can rate it."))
    if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
        raise ValidationError(_("The case can be rated once it is resolved."), code="not_resolved")
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": ValidationError(_("Rate from 1 to 5."), code="rating")})
    now = timezone.now()
    actor = Actor.for_user(user)
    with transaction.atomic():
        report.rating, report.rating_comment, report.rated_at = int(rating), comment.strip()[:300], now
        report.save(update_fields=["rating", "rating_comment", "rated_at"])
        _activity(case, ActivityKind.RATED, actor=actor, note=report.rating_comment, rating=report.rating)
        if not confirmed and case.state == CaseState.RESOLVED:
            case.state, case.resolved_at, case.updated_at = CaseState.REOPENED, None, now
            case.save(update_fields=["state", "resolved_at", "updated_at"])
            _activity(
                case, ActivityKind.STATE, actor=actor, note=_("The reporter says it is not solved."), to="reopened"
            )
        elif confirmed and case.state == CaseState.RESOLVED and not case.reports.filter(_unconfirmed(case)).exists():
            case.state, case.closed_at, case.updated_at = CaseState.CLOSED, now, now
            case.save(update_fields=["state", "closed_at", "updated_at"])
            _activity(case, ActivityKind.STATE, actor=actor, to="closed", confirmed=True)
    return report


def escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Raise overdue open cases: to the community secretary when a clock runs out, to the
    sub-district when the case is still open a whole resolution period after its deadline."""
    now = now or timezone.now()
    raised = 0
    first = Case.objects.filter(state__in=OPEN_STATES, escalation=Escalation.NONE).filter(
        resolution_due__lt=now
    ) | Case.objects.filter(
        state__in=OPEN_STATES, escalation=Escalation.NONE, responded_at__isnull=True, response_due__lt=now
    )
    for case in first.select_related("category"):
        with transaction.atomic():
            case.escalation, case.escalated_at = Escalation.SECRETARY, now
            case.save(update_fields=["escalation", "escalated_at"])
            _activity(case, ActivityKind.ESCALATED, actor=None, level=int(Escalation.SECRETARY))
        raised += 1
    second = Case.objects.filter(state__in=OPEN_STATES, escalation=Escalation.SECRETARY).select_related("category")
    for case in second:
        if now > case.resolution_due + dt.timedelta(minutes=case.category.resolution_minutes):
            with transaction.atomic():
                case.escalation, case.escalated_at = Escalation.SUBDISTRICT, now
                case.save(update_fields=["escalation", "escalated_at"])
                _activity(case, ActivityKind.ESCALATED, actor=None, level=int(Escalation.SUBDISTRICT))
            raised += 1
    return raised


def priority_rank(priority: str) -> int:
    return [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW].index(Priority(priority))
