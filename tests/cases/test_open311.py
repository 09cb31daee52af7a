"""Open311 GeoReport v2: services, filing requests with an api_key, following them in scope."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jingzhi.cases.choices import CaseState, Source
from jingzhi.cases.models import ApiKey, Case, CaseEvidence, CaseReport, Category
from jingzhi.cases.open311 import issue_api_key, revoke_api_keys
from jingzhi.cases.services import case_open
from jingzhi.core.choices import PlaceKind, Role
from jingzhi.core.models import Place, User
from jingzhi.core.scope import Actor
from jingzhi.registry.models import Household
from tests import factories as f
from tests.conftest import World

BASE = "/open311/v2"


def _get(path: str, **params: Any) -> Any:
    response = Client().get(f"{BASE}/{path}", params)
    return response.status_code, response.json()


def _post(key: str, **data: Any) -> tuple[int, Any]:
    response = Client(enforce_csrf_checks=True).post(f"{BASE}/requests.json", {"api_key": key, **data})
    return response.status_code, response.json()


def _error_code(body: Any) -> int:
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["description"]
    return int(body[0]["code"])


def _neighbour(world: World) -> User:
    """A second resident user of estate A, living in another room of the same building."""
    room = f.place(PlaceKind.ROOM, world.a.unit, "502", "502", floor=5, room_number="502")
    household = Household.objects.create(room=room)
    person = f.resident(household, "李邻居", male=False)
    user = f.user("resident_a2", role=Role.RESIDENT, at=room)
    person.user = user
    person.save()
    return user


def _case(place: Place, code: str = "parking", **changes: Any) -> Case:
    case = case_open(
        actor=Actor.system(),
        category=Category.objects.get(code=code),
        place=place,
        title="t",
        description="seeded",
        source=Source.STAFF,
    )
    if changes:
        Case.objects.filter(pk=case.pk).update(**changes)
        case.refresh_from_db()
    return case


def _ids(body: list[dict[str, Any]]) -> list[int]:
    return [int(item["service_request_id"]) for item in body]


# --- services ---------------------------------------------------------------------------------


def test_services_list_is_public_and_lists_active_categories(db: None) -> None:
    Category.objects.filter(code="other").update(active=False)
    status, body = _get("services.json")
    assert status == 200
    codes = {item["service_code"] for item in body}
    assert "littering" in codes and "thrown_object" in codes and "other" not in codes
    littering = next(item for item in body if item["service_code"] == "littering")
    assert set(littering) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert littering["metadata"] is False and littering["type"] == "realtime" and littering["group"] == "environment"
    assert littering["service_name"] == Category.objects.get(code="littering").name  # zh-hans by default


def test_services_list_in_english_when_chosen(db: None) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    body = client.get(f"{BASE}/services.json").json()
    assert next(item for item in body if item["service_code"] == "littering")["service_name"] == (
        Category.objects.get(code="littering").name_en
    )


def test_service_definition(db: None) -> None:
    status, body = _get("services/littering.json")
    assert (status, body) == (200, {"service_code": "littering", "attributes": []})
    status, body = _get("services/no_such.json")
    assert status == 404 and _error_code(body) == 404


def test_xml_is_refused_with_a_json_error(db: None) -> None:
    status, body = _get("services.xml")
    assert status == 400 and _error_code(body) == 400


# --- filing -----------------------------------------------------------------------------------


def test_resident_files_and_a_neighbour_joins_the_same_case(world: World) -> None:
    key = issue_api_key(world.users["resident_a"], "app")
    status, body = _post(key, service_code="littering", address_id=world.a.building.pk, description="垃圾房满了没人清")
    assert status == 201
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert body[0]["account_id"] is None and body[0]["service_notice"]
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.source == Source.RESIDENT and case.place == world.a.building
    assert ApiKey.objects.get(user=world.users["resident_a"]).last_used_at is not None

    other = issue_api_key(_neighbour(world), "app")
    status, again = _post(other, service_code="littering", address_id=world.a.building.pk, description="还是很脏")
    assert status == 201 and again[0]["service_request_id"] == str(case.pk)
    assert Case.objects.count() == 1
    assert CaseReport.objects.filter(case=case).count() == 2


def test_resident_may_attach_a_photo(world: World, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    key = issue_api_key(world.users["resident_a"], "app")
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    status, body = _post(
        key, service_code="parking", address_id=world.a.estate.pk, description="车堵住消防通道", media=photo
    )
    assert status == 201
    assert CaseEvidence.objects.filter(case_id=int(body[0]["service_request_id"])).count() == 1


def test_resident_outside_own_estate_or_short_description_is_refused(world: World) -> None:
    key = issue_api_key(world.users["resident_a"], "app")
    status, body = _post(key, service_code="littering", address_id=world.b.building.pk, description="垃圾房满了")
    assert status == 400 and _error_code(body) == 400
    status, body = _post(key, service_code="littering", address_id=world.a.building.pk, description="x")
    assert status == 400 and _error_code(body) == 400
    assert not Case.objects.exists()


def test_staff_files_an_open311_case_in_scope_only(world: World) -> None:
    staff = world.users["community_staff_a"]
    key = issue_api_key(staff, "desk")
    status, body = _post(key, service_code="device_fault", address_id=world.a.estate.pk, description="门禁坏了")
    assert status == 201
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.source == Source.OPEN311 and case.reporter == staff and case.place == world.a.estate
    status, body = _post(key, service_code="device_fault", address_id=world.b.estate.pk, description="门禁坏了")
    assert status == 403 and _error_code(body) == 403
    # A grid worker works on cases but does not open them.
    status, body = _post(
        issue_api_key(world.users["grid_worker_a"], "g"),
        service_code="device_fault",
        address_id=world.a.estate.pk,
        description="门禁坏了",
    )
    assert status == 403
    assert Case.objects.count() == 1


def test_location_must_be_a_place_id(world: World) -> None:
    key = issue_api_key(world.users["community_staff_a"], "desk")
    status, body = _post(key, service_code="parking", lat="31.3", long="120.4", description="乱停车")
    assert status == 400 and _error_code(body) == 400
    status, body = _post(key, service_code="parking", address_string="甲花苑3幢", description="乱停车")
    assert status == 400
    status, body = _post(key, service_code="parking", address_id="999999", description="乱停车")
    assert status == 400
    status, body = _post(key, service_code="parking", address_id="abc", description="乱停车")
    assert status == 400
    status, body = _post(key, service_code="no_such", address_id=world.a.estate.pk, description="乱停车")
    assert status == 404
    status, body = _post(key, address_id=world.a.estate.pk, description="乱停车")
    assert status == 400
    assert not Case.objects.exists()


def test_bad_missing_and_revoked_keys(world: World) -> None:
    status, body = _post("not-a-key", service_code="parking", address_id=world.a.estate.pk, description="乱停车")
    assert status == 403 and _error_code(body) == 403
    status, body = _get("requests.json")
    assert status == 400 and _error_code(body) == 400
    staff = world.users["community_staff_a"]
    key = issue_api_key(staff, "desk")
    assert _get("requests.json", api_key=key)[0] == 200
    assert revoke_api_keys(staff) == 1
    status, body = _get("requests.json", api_key=key)
    assert status == 403 and _error_code(body) == 403
    status, _body = _post(key, service_code="parking", address_id=world.a.estate.pk, description="乱停车")
    assert status == 403
    # An inactive user's key is refused too.
    key = issue_api_key(staff, "desk2")
    User.objects.filter(pk=staff.pk).update(is_active=False)
    assert _get("requests.json", api_key=key)[0] == 403


def test_keys_are_stored_as_digests(world: World) -> None:
    key = issue_api_key(world.users["community_staff_a"], "desk")
    stored = ApiKey.objects.get()
    assert key not in stored.digest and len(stored.digest) == 64 and stored.name == "desk"


# --- following --------------------------------------------------------------------------------


def test_staff_see_their_community_only(world: World) -> None:
    in_a = _case(world.a.building)
    in_b = _case(world.b.building)
    status, body = _get("requests.json", api_key=issue_api_key(world.users["community_staff_a"], "a"))
    assert status == 200 and _ids(body) == [in_a.pk]
    item = body[0]
    assert item["status"] == "open" and item["service_code"] == "parking"
    assert item["address_id"] == str(world.a.building.pk)
    assert item["address"] == f"{world.a.estate.name} {world.a.building.name}"
    assert item["lat"] is None and item["long"] is None and item["media_url"] is None
    assert item["description"] == "seeded" and item["agency_responsible"] and item["status_notes"]
    requested = dt.datetime.fromisoformat(item["requested_datetime"])
    assert requested.utcoffset() is not None and requested == in_a.created_at.replace(microsecond=0)
    assert dt.datetime.fromisoformat(item["expected_datetime"]) == in_a.resolution_due.replace(microsecond=0)
    body_b = _get("requests.json", api_key=issue_api_key(world.users["community_staff_b"], "b"))[1]
    assert _ids(body_b) == [in_b.pk]


def test_assignee_named_for_staff(world: World) -> None:
    world.users["property_manager_a"].full_name = "王经理"
    world.users["property_manager_a"].save()
    case = _case(world.a.building)  # parking routes to the estate's property manager
    assert case.assignee == world.users["property_manager_a"]
    body = _get("requests.json", api_key=issue_api_key(world.users["community_staff_a"], "a"))[1]
    assert body[0]["agency_responsible"] == "王经理"


def test_resident_sees_own_reports_only(world: World) -> None:
    resident = world.users["resident_a"]
    key = issue_api_key(resident, "app")
    _case(world.a.building)  # opened by staff: not the resident's
    status, body = _post(key, service_code="noise", address_id=world.a.room.pk, description="楼上半夜装修")
    mine = int(body[0]["service_request_id"])
    neighbour_key = issue_api_key(_neighbour(world), "app")
    _post(neighbour_key, service_code="littering", address_id=world.a.building.pk, description="垃圾房满了")
    status, body = _get("requests.json", api_key=key)
    assert status == 200 and _ids(body) == [mine]
    assert body[0]["description"] == "楼上半夜装修"
    assert body[0]["address"].endswith(world.a.room.name)
    # The neighbour joins the resident's case: the neighbour sees their own words, not the resident's.
    _post(neighbour_key, service_code="noise", address_id=world.a.building.pk, description="邻居也听到了")
    body = _get("requests.json", api_key=neighbour_key)[1]
    joined = next(item for item in body if item["service_request_id"] == str(mine))
    assert joined["description"] == "邻居也听到了"


def test_request_by_id_follows_visibility(world: World) -> None:
    in_a = _case(world.a.building)
    in_b = _case(world.b.building)
    key = issue_api_key(world.users["community_staff_a"], "a")
    status, body = _get(f"requests/{in_a.pk}.json", api_key=key)
    assert status == 200 and _ids(body) == [in_a.pk]
    status, body = _get(f"requests/{in_b.pk}.json", api_key=key)
    assert status == 404 and _error_code(body) == 404
    resident_key = issue_api_key(world.users["resident_a"], "app")
    assert _get(f"requests/{in_a.pk}.json", api_key=resident_key)[0] == 404
    assert _get("requests/abc.json", api_key=key)[0] == 404
    assert _get(f"requests/{in_a.pk}.json")[0] == 400


def test_filters_and_pagination(world: World) -> None:
    now = timezone.now()
    old = _case(world.a.building, "parking", created_at=now - dt.timedelta(days=10))
    closed = _case(
        world.a.building,
        "noise",
        created_at=now - dt.timedelta(days=5),
        state=CaseState.CLOSED,
        resolution_note="已处理",
    )
    recent = [_case(world.a.estate, "littering", created_at=now - dt.timedelta(minutes=i)) for i in range(3)]
    key = issue_api_key(world.users["community_staff_a"], "a")

    def ids(**params: Any) -> list[int]:
        status, body = _get("requests.json", api_key=key, **params)
        assert status == 200, body
        return _ids(body)

    assert ids() == [r.pk for r in recent] + [closed.pk, old.pk]  # newest first
    assert ids(status="closed") == [closed.pk]
    assert ids(status="open") == [r.pk for r in recent] + [old.pk]
    assert ids(service_code="parking,noise") == [closed.pk, old.pk]
    day = timezone.localdate(now - dt.timedelta(days=5)).isoformat()
    assert ids(start_date=day, end_date=day) == [closed.pk]
    assert ids(start_date=(now - dt.timedelta(days=6)).isoformat()) == [r.pk for r in recent] + [closed.pk]
    assert ids(end_date=(now - dt.timedelta(days=6)).isoformat()) == [old.pk]
    unencoded = timezone.localtime(now - dt.timedelta(days=6)).isoformat(timespec="seconds").replace("+", " ")
    assert ids(end_date=unencoded) == [old.pk]
    assert ids(page_size=2) == [recent[0].pk, recent[1].pk]
    assert ids(page_size=2, page=3) == [old.pk]
    assert ids(page_size=2, page=4) == []
    assert ids(service_request_id=f"{old.pk},{closed.pk}") == [closed.pk, old.pk]
    body = _get("requests.json", api_key=key, status="closed")[1]
    assert body[0]["status"] == "closed" and body[0]["status_notes"] == "已处理"
    for bad in (
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"end_date": "2026-02-30"},
        {"page": "0"},
        {"page_size": "x"},
    ):
        status, body = _get("requests.json", api_key=key, **bad)
        assert status == 400 and _error_code(body) == 400, bad


def test_page_size_is_capped(world: World) -> None:
    for _ in range(3):
        _case(world.a.building)
    key = issue_api_key(world.users["community_staff_a"], "a")
    status, body = _get("requests.json", api_key=key, page_size=10_000)
    assert status == 200 and len(body) == 3


def test_command_issues_a_working_key_and_revokes_it(world: World) -> None:
    _case(world.a.building)
    out = io.StringIO()
    call_command("open311", "key", "community_staff_a", "--name", "城管通", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert len(key) >= 40 and ApiKey.objects.get().name == "城管通"
    status, body = _get("requests.json", api_key=key)
    assert status == 200 and len(body) == 1
    out = io.StringIO()
    call_command("open311", "revoke", "community_staff_a", stdout=out)
    assert "1" in out.getvalue()
    assert _get("requests.json", api_key=key)[0] == 403


def test_command_unknown_user(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("open311", "key", "nobody", "--name", "x", stdout=io.StringIO())
