"""Cases: routing, the state machine, assignment, escalation, residents' reports and ratings, the staff API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from jingzhi.cases.choices import ActivityKind, CaseState, Escalation, Source
from jingzhi.cases.models import Case, CaseActivity, CaseReport, Category
from jingzhi.cases.services import (
    case_assign,
    case_comment,
    case_open,
    case_rate,
    case_transition,
    escalate_overdue,
    resident_report,
    route,
)
from jingzhi.core.choices import PlaceKind, Role
from jingzhi.core.models import Place, RoleAssignment, User
from jingzhi.core.scope import Actor
from jingzhi.registry.models import Household
from tests import factories as f
from tests.conftest import World
from tests.sensing.helpers import doc


def _case(place: Place, code: str = "thrown_object", *, now: dt.datetime | None = None) -> Case:
    return case_open(
        actor=Actor.system(),
        category=Category.objects.get(code=code),
        place=place,
        title="t",
        description="seeded",
        source=Source.STAFF,
        now=now,
    )


def _actor(world: World, key: str) -> Actor:
    return Actor.for_user(world.users[key])


def codes(exc: ValidationError) -> set[str | None]:
    """The codes of a validation error, whatever its shape."""
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


def _move(world: World, case: Case, *states: str, who: str = "community_staff_a") -> Case:
    for to in states:
        case = case_transition(actor=_actor(world, who), case=case, to=to, note="done" if to == "resolved" else "")
    return case


# --- routing -------------------------------------------------------------------------------


def test_thrown_object_goes_to_the_grid_worker_of_the_buildings_grid(world: World) -> None:
    case = _case(world.a.building)
    assert case.assignee == world.users["grid_worker_a"]
    assert case.state == CaseState.ASSIGNED
    assert (case.community_id, case.grid_id, case.estate_id) == (
        world.a.community.pk,
        world.a.grid.pk,
        world.a.estate.pk,
    )
    routed = CaseActivity.objects.get(case=case, kind=ActivityKind.ASSIGNED)
    assert routed.data["routed"] is True
    assert _case(world.b.room).assignee == world.users["grid_worker_b"]


def test_littering_goes_to_the_estates_property_manager(world: World) -> None:
    assert _case(world.a.building, "littering").assignee == world.users["property_manager_a"]
    assert _case(world.a.community, "other").assignee == world.users["community_staff_a"]


def test_nobody_in_the_role_leaves_the_case_new(world: World) -> None:
    RoleAssignment.objects.filter(role=Role.PROPERTY_MANAGER, place=world.a.estate).delete()
    case = _case(world.a.building, "littering")
    assert case.state == CaseState.NEW and case.assignee is None
    assert not CaseActivity.objects.filter(case=case, kind=ActivityKind.ASSIGNED).exists()
    # A place above the estate has no estate to route to either.
    assert route(Category.objects.get(code="parking"), world.a.community) is None
    # An inactive user is not routed to.
    User.objects.filter(pk=world.users["grid_worker_a"].pk).update(is_active=False)
    assert _case(world.a.building).state == CaseState.NEW


def test_case_cannot_belong_to_the_subdistrict(world: World) -> None:
    with pytest.raises(ValidationError):
        _case(world.sub)


# --- transitions ---------------------------------------------------------------------------


def test_allowed_and_forbidden_transitions(world: World) -> None:
    case = _case(world.a.building)
    grid = _actor(world, "grid_worker_a")
    for wrong in ("resolved", "closed", "reopened", "new"):
        with pytest.raises(ValidationError) as exc:
            case_transition(actor=grid, case=case, to=wrong, note="x")
        assert codes(exc.value) == {"transition"}
    assert case.responded_at is None
    case = case_transition(actor=grid, case=case, to="in_progress")
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS and case.responded_at is not None
    with pytest.raises(ValidationError) as exc:
        case_transition(actor=grid, case=case, to="resolved", note="  ")
    assert codes(exc.value) == {"note_required"}
    case = case_transition(actor=grid, case=case, to="resolved", note="已清理")
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.resolved_at is not None and case.resolution_note == "已清理"
    states = list(CaseActivity.objects.filter(case=case, kind=ActivityKind.STATE).values_list("data", flat=True))
    assert [(d["from"], d["to"]) for d in states] == [("assigned", "in_progress"), ("in_progress", "resolved")]


def test_a_case_becomes_assigned_only_with_an_assignee(world: World) -> None:
    RoleAssignment.objects.filter(role=Role.PROPERTY_MANAGER, place=world.a.estate).delete()
    case = _case(world.a.building, "littering")
    staff = _actor(world, "community_staff_a")
    with pytest.raises(ValidationError) as exc:
        case_transition(actor=staff, case=case, to="assigned")
    assert codes(exc.value) == {"assignee"}
    case.refresh_from_db()
    assert case.state == CaseState.NEW  # still in the desk's queue
    case = case_assign(actor=staff, case=case, assignee=world.users["grid_worker_a"])
    case = _move(world, case, "in_progress", "assigned")  # handed back to its assignee's list
    assert case.state == CaseState.ASSIGNED and case.assignee == world.users["grid_worker_a"]


def test_grid_worker_cannot_close_reopen_or_reject(world: World) -> None:
    grid, staff = _actor(world, "grid_worker_a"), _actor(world, "community_staff_a")
    case = _case(world.a.building)
    with pytest.raises(PermissionDenied):
        case_transition(actor=grid, case=case, to="rejected", note="not ours")
    case = _move(world, case, "in_progress", "resolved", who="grid_worker_a")
    with pytest.raises(PermissionDenied):
        case_transition(actor=grid, case=case, to="closed")
    case = case_transition(actor=staff, case=case, to="closed")
    assert case.closed_at is not None
    with pytest.raises(PermissionDenied):
        case_transition(actor=grid, case=case, to="reopened")
    case = case_transition(actor=staff, case=case, to="reopened")
    assert case.state == CaseState.REOPENED and case.closed_at is None and case.resolved_at is None
    with pytest.raises(ValidationError) as exc:
        case_transition(actor=staff, case=_case(world.a.building), to="rejected")
    assert codes(exc.value) == {"note_required"}


def test_only_the_assignee_or_the_desk_progresses_a_case(world: World) -> None:
    case = _case(world.a.building)  # the grid worker's
    for key in ("property_manager_a", "grid_worker_b", "community_staff_b", "volunteer_a"):
        with pytest.raises(PermissionDenied):
            case_transition(actor=_actor(world, key), case=case, to="in_progress")
    # An unassigned case is taken by whoever starts on it.
    RoleAssignment.objects.filter(role=Role.PROPERTY_MANAGER, place=world.a.estate).delete()
    queued = _case(world.a.building, "littering")
    grid = _actor(world, "grid_worker_a")
    queued = case_transition(actor=grid, case=queued, to="in_progress")
    assert queued.assignee == world.users["grid_worker_a"]


def test_assignment_only_to_people_who_work_cases_at_the_place(world: World) -> None:
    staff = _actor(world, "community_staff_a")
    case = _case(world.a.building)
    case = case_assign(actor=staff, case=case, assignee=world.users["property_manager_a"], note="物业处理")
    assert case.assignee == world.users["property_manager_a"] and case.state == CaseState.ASSIGNED
    for key in ("grid_worker_b", "property_manager_b", "community_staff_b", "resident_a", "volunteer_a"):
        with pytest.raises(ValidationError) as exc:
            case_assign(actor=staff, case=case, assignee=world.users[key])
        assert codes(exc.value) == {"assignee"}, key
    # A case of the community itself is not the grid's or the estate's.
    desk = _case(world.a.community, "other")
    for key in ("grid_worker_a", "property_manager_a"):
        with pytest.raises(ValidationError) as exc:
            case_assign(actor=staff, case=desk, assignee=world.users[key])
        assert codes(exc.value) == {"assignee"}
    with pytest.raises(PermissionDenied):
        case_assign(actor=_actor(world, "grid_worker_a"), case=case, assignee=world.users["grid_worker_a"])
    with pytest.raises(PermissionDenied):
        case_assign(actor=_actor(world, "community_staff_b"), case=case, assignee=world.users["community_staff_b"])
    closed = _move(world, _case(world.a.building), "in_progress", "resolved", "closed")
    with pytest.raises(ValidationError) as exc:
        case_assign(actor=staff, case=closed, assignee=world.users["grid_worker_a"])
    assert codes(exc.value) == {"not_open"}


def test_comment_needs_text_and_scope(world: World) -> None:
    case = _case(world.a.building)
    with pytest.raises(ValidationError) as exc:
        case_comment(actor=_actor(world, "grid_worker_a"), case=case, note="   ")
    assert codes(exc.value) == {"empty"}
    with pytest.raises(PermissionDenied):
        case_comment(actor=_actor(world, "grid_worker_b"), case=case, note="hello")
    assert case_comment(actor=_actor(world, "grid_worker_a"), case=case, note="到场查看").kind == ActivityKind.COMMENT


# --- escalation ----------------------------------------------------------------------------


def _escalations(case: Case) -> list[int]:
    rows = CaseActivity.objects.filter(case=case, kind=ActivityKind.ESCALATED).order_by("id")
    return [int(row.data["level"]) for row in rows]


def test_overdue_cases_escalate_to_the_secretary_then_the_subdistrict(world: World) -> None:
    t0 = timezone.now()
    case = _case(world.a.building, now=t0)  # thrown object: respond in 15 min, resolve in 240
    case = _move(world, case, "in_progress")  # responded: only the resolution clock runs
    done = _move(world, _case(world.a.building, now=t0), "in_progress", "resolved")
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=239)) == 0
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=241)) == 1
    case.refresh_from_db()
    assert case.escalation == Escalation.SECRETARY and case.escalated_at is not None
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=242)) == 0
    assert _escalations(case) == [1]
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=2 * 240 + 1)) == 1
    case.refresh_from_db()
    assert case.escalation == Escalation.SUBDISTRICT
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=2 * 240 + 2)) == 0
    assert _escalations(case) == [1, 2]
    done.refresh_from_db()
    assert done.escalation == Escalation.NONE and _escalations(done) == []


def test_unanswered_case_escalates_when_its_response_clock_runs_out(world: World) -> None:
    t0 = timezone.now()
    case = _case(world.a.building, now=t0)
    assert escalate_overdue(now=t0 + dt.timedelta(minutes=16)) == 1
    case.refresh_from_db()
    assert case.escalation == Escalation.SECRETARY


def test_secretary_sees_overdue_and_escalated_counts_on_the_home_page(world: World) -> None:
    past = timezone.now() - dt.timedelta(hours=5)
    _case(world.a.building, now=past)  # overdue (240 min to resolve)
    _case(world.a.building, "littering", now=timezone.now() - dt.timedelta(hours=1))  # within both clocks
    _case(world.b.building, now=past)  # another community
    escalate_overdue()
    response = world.client("community_secretary_a").get("/")
    assert response.status_code == 200
    counts = {item.url: item.count for item in response.context["attention"]}
    assert counts["/cases/?overdue=1"] == 1
    assert counts["/cases/?escalated=1"] == 1
    board = world.client("community_secretary_a").get("/cases/?escalated=1")
    assert len(board.context["rows"]) == 1


# --- residents' reports and ratings --------------------------------------------------------


def _neighbour(world: World) -> User:
    """A second resident user of estate A, living in another room of the same building."""
    room = f.place(PlaceKind.ROOM, world.a.unit, "502", "502", floor=5, room_number="502")
    household = Household.objects.create(room=room)
    person = f.resident(household, "李邻居", male=False)
    user = f.user("resident_a2", role=Role.RESIDENT, at=room)
    person.user = user
    person.save()
    return user


def _report(user: User, place: Place, code: str = "littering", text: str = "垃圾房门口堆满垃圾") -> tuple[Case, bool]:
    return resident_report(user=user, category=Category.objects.get(code=code), place=place, description=text)


def test_second_report_at_the_same_building_joins_the_open_case(world: World) -> None:
    first, joined = _report(world.users["resident_a"], world.a.building)
    assert not joined and first.source == "resident" and first.reporter == world.users["resident_a"]
    assert first.assignee == world.users["property_manager_a"]
    second, joined = _report(_neighbour(world), world.a.unit, text="又堆满了")
    assert joined and second.pk == first.pk
    assert CaseReport.objects.filter(case=first).count() == 2
    assert CaseActivity.objects.filter(case=first, kind=ActivityKind.REPORT).count() == 1
    again, joined = _report(world.users["resident_a"], world.a.building)  # the same reporter again
    assert again.pk == first.pk and not joined
    assert Case.objects.count() == 1
    other, joined = _report(world.users["resident_a"], world.a.building, "parking", "车堵住消防通道")
    assert other.pk != first.pk and not joined


def test_report_joins_a_case_a_camera_opened(world: World) -> None:
    _cam, token = f.device(world.a.building, "cam-rep", "camera")
    response = Client().post(
        "/api/v1/ingest/events",
        json.dumps(doc("cam-rep")),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    device_case = Case.objects.get(pk=response.json()["case"])
    case, joined = _report(world.users["resident_a"], world.a.unit, "thrown_object", "楼上扔下一个花盆")
    assert joined and case.pk == device_case.pk
    assert case.reports.get().user == world.users["resident_a"]


def test_report_refusals(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        _report(world.users["resident_b"], world.a.building)  # not their estate
    assert codes(exc.value) == {"place"}
    with pytest.raises(ValidationError) as exc:
        _report(world.users["resident_a"], world.a.building, "welfare_check")
    assert codes(exc.value) == {"category"}
    with pytest.raises(ValidationError) as exc:
        _report(world.users["resident_a"], world.a.building, text="脏")
    assert codes(exc.value) == {"description"}
    with pytest.raises(PermissionDenied):
        _report(world.users["community_staff_a"], world.a.building)  # not in the register
    assert Case.objects.count() == 0


def test_rating_reopens_or_closes_when_every_reporter_confirmed(world: World) -> None:
    me, neighbour = world.users["resident_a"], _neighbour(world)
    case, _joined = _report(me, world.a.building)
    _report(neighbour, world.a.building)
    with pytest.raises(ValidationError) as exc:
        case_rate(user=me, case=case, rating=5, confirmed=True)
    assert codes(exc.value) == {"not_resolved"}
    case = _move(world, case, "in_progress", "resolved")
    with pytest.raises(PermissionDenied):
        case_rate(user=world.users["resident_b"], case=case, rating=5, confirmed=True)
    with pytest.raises(PermissionDenied):
        case_rate(user=world.users["community_staff_a"], case=case, rating=1, confirmed=False)
    with pytest.raises(ValidationError) as exc:
        case_rate(user=me, case=case, rating=6, confirmed=True)
    assert codes(exc.value) == {"rating"}

    case_rate(user=me, case=case, rating=2, confirmed=False, comment="还是很脏")
    case.refresh_from_db()
    assert case.state == CaseState.REOPENED and case.resolved_at is None
    case = _move(world, case, "in_progress", "resolved")
    case_rate(user=neighbour, case=case, rating=5, confirmed=True)
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED  # the first reporter has not confirmed the new result
    case_rate(user=me, case=case, rating=4, confirmed=True)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closed_at is not None
    assert CaseReport.objects.get(case=case, user=me).rating == 4


def test_single_reporter_confirming_closes_the_case(world: World) -> None:
    case, _joined = _report(world.users["resident_a"], world.a.building)
    case = _move(world, case, "in_progress", "resolved")
    case_rate(user=world.users["resident_a"], case=case, rating=5, confirmed=True)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_rating_through_the_resident_page_and_api(world: World) -> None:
    case, _joined = _report(world.users["resident_a"], world.a.building)
    client = world.client("resident_a")
    page = client.get(f"/cases/mine/{case.pk}/")
    assert page.status_code == 200 and page.context["can_rate"] is False
    case = _move(world, case, "in_progress", "resolved")
    assert client.get(f"/cases/mine/{case.pk}/").context["can_rate"] is True
    response = client.post(
        f"/api/v1/my/cases/{case.pk}/rating", {"rating": 3, "confirmed": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"rating": 3, "state": "reopened"}
    case.refresh_from_db()
    case = _move(world, case, "in_progress", "resolved")
    assert client.get(f"/cases/mine/{case.pk}/").context["can_rate"] is True  # a new result to confirm
    client.post(f"/cases/mine/{case.pk}/", {"rating": "5", "confirmed": "1", "comment": ""})
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert client.get(f"/cases/mine/{case.pk}/").context["can_rate"] is False
    other = world.client("resident_b")
    assert (
        other.post(f"/api/v1/my/cases/{case.pk}/rating", {"rating": 1}, content_type="application/json").status_code
        == 404
    )


# --- the staff API -------------------------------------------------------------------------


def _api(world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return world.client(who).post(f"/api/v1{path}", body, content_type="application/json")


def test_staff_open_assign_progress_and_comment_through_the_api(world: World) -> None:
    created = _api(
        world,
        "community_staff_a",
        "/cases",
        {"category": "littering", "place_id": world.a.building.pk, "title": "3幢垃圾"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "assigned" and body["assignee"] == "property_manager_a" and body["source"] == "staff"
    case_id = body["id"]

    assigned = _api(world, "community_staff_a", f"/cases/{case_id}/assign", {"assignee": "grid_worker_a"})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "grid_worker_a"
    wrong = _api(world, "community_staff_a", f"/cases/{case_id}/assign", {"assignee": "grid_worker_b"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid"
    assert "assignee" in wrong.json()["detail"]
    assert _api(world, "community_staff_a", f"/cases/{case_id}/assign", {"assignee": "nobody"}).status_code == 404

    skip = _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "resolved", "note": "x"})
    assert skip.status_code == 422 and skip.json()["code"] == "invalid"
    assert _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "bogus"}).json()["code"] == "not_found"
    started = _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "in_progress"})
    assert started.status_code == 200 and started.json()["state"] == "in_progress"
    no_note = _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "resolved"})
    assert no_note.status_code == 422 and "note" in no_note.json()["detail"]
    resolved = _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "resolved", "note": "已清运"})
    assert resolved.json()["state"] == "resolved"
    refused = _api(world, "grid_worker_a", f"/cases/{case_id}/transition", {"to": "closed"})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    comment = _api(world, "grid_worker_a", f"/cases/{case_id}/comments", {"note": "已拍照"})
    assert comment.status_code == 201 and CaseActivity.objects.get(pk=comment.json()["id"]).note == "已拍照"
    assert _api(world, "grid_worker_a", f"/cases/{case_id}/comments", {"note": ""}).status_code == 422

    detail = world.client("community_staff_a").get(f"/api/v1/cases/{case_id}").json()
    assert [a["kind"] for a in detail["activities"]].count("state") == 2


def test_api_scope_and_authentication(world: World) -> None:
    case = _case(world.a.building)
    for who in ("community_staff_b", "grid_worker_b"):
        response = _api(world, who, f"/cases/{case.pk}/transition", {"to": "in_progress"})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    outside = _api(
        world, "community_staff_b", "/cases", {"category": "other", "place_id": world.a.community.pk, "title": "x"}
    )
    assert outside.status_code == 404
    by_grid = _api(
        world, "grid_worker_a", "/cases", {"category": "other", "place_id": world.a.building.pk, "title": "x"}
    )
    assert by_grid.status_code == 404  # opening cases by hand is for the desk
    anonymous = Client().post(f"/api/v1/cases/{case.pk}/comments", {"note": "x"}, content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    listed = world.client("community_staff_b").get("/api/v1/cases").json()
    assert case.pk not in [item["id"] for item in listed["items"]]
