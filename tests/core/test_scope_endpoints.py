"""Every URL and every API operation, enumerated: nobody reaches another community's data.

The endpoints are discovered from the URL resolver and the OpenAPI document at
collection time, so a new page or API operation is tested without anyone
adding it here. Path parameters are filled with community B's objects by name
(``place_id`` → each of B's places, ``resident_id`` → B's resident …); an
unknown parameter name fails the test until a filler is added below. Request
bodies come from ``API_BODIES``: an operation with a body and no entry fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from jingzhi.api import api
from jingzhi.core.choices import Role
from jingzhi.core.models import AuditEntry, Place, User
from jingzhi.registry.models import CorrectionRequest, Resident
from jingzhi.sensing.models import Device, Rule
from jingzhi.squares.models import Square
from tests import factories as f
from tests.conftest import World

# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------

#: Pages that hold no scoped data, with the reason. Everything else is checked.
PUBLIC = {
    "healthz": "process liveness, no data",
    "readyz": "dependency status, no data",
    "set_language": "language switch",
    "core:login": "login form",
    "core:logout": "logout",
    # Open311 authenticates 311 clients by api_key, never by session; its scope is tested
    # key by key in tests/cases/test_open311.py (B's key never sees A's cases).
    "open311:services": "public service list (categories)",
    "open311:service": "public service definition",
    "open311:requests": "api_key only (tests/cases/test_open311.py)",
    "open311:request": "api_key only (tests/cases/test_open311.py)",
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, list[str]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield (
                route,
                f"{namespace}{entry.name or ''}",
                list(entry.pattern.converters) or re.findall(r"<(?:\w+:)?(\w+)>", route),
            )


def page_routes() -> list[tuple[str, str, list[str]]]:
    out = []
    for route, name, params in _walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/", "static/")) or name in PUBLIC:
            continue
        out.append((route, name, params))
    return out


def admin_routes() -> list[str]:
    public = {"admin/login/", "admin/logout/", "admin/password_change/done/"}
    return [
        route
        for route, _n, params in _walk(get_resolver().url_patterns)
        if route.startswith("admin/") and not params and route not in public
    ]


def api_operations() -> list[tuple[str, str, str]]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            ops.append((method.upper(), path, spec["operationId"]))
    return ops


# ---------------------------------------------------------------------------
# Fillers: community B's objects for each path parameter name
# ---------------------------------------------------------------------------


def _correction(community: f.Community) -> int:
    request = CorrectionRequest.objects.filter(resident=community.resident).first()
    if request is None:
        request = CorrectionRequest.objects.create(
            resident=community.resident,
            requested_by=User.objects.get(username="outsider"),
            field="phone",
            proposed="13900000000",
        )
    return request.pk


def _import_token(world: World, community: f.Community, persona: str) -> str:
    """Upload a small file as ``persona`` (of that community) and return its import token."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "姓名,身份证号,与户主关系,地址\n王一,11010519491231002X,户主,乙家园3幢2单元501室\n".encode()
    response = world.client(persona).post(
        "/register/import/",
        {"community": community.community.pk, "file": SimpleUploadedFile("x.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content[:300]
    return str(response["Location"]).rstrip("/").split("/")[-1]


def _device(community: f.Community) -> Any:
    from django.core.files.base import ContentFile

    from jingzhi.cameras.models import CameraSnapshot

    code = f"cam-{community.community.code}"
    found = Device.objects.filter(code=code).first()
    if found is None:
        found = f.device(community.building, code, "camera")[0]
        found.config = {
            "source": "rtsp://camera/main",
            "facade": {"corners": [[0, 0], [10, 0], [10, 10], [0, 10]], "floors": 6, "columns": 2, "width_m": 12},
        }
        found.save()
        snapshot = CameraSnapshot(device=found)
        snapshot.image.save("r.jpg", ContentFile(b"\xff\xd8\xff\xe0 test"), save=True)
    return found


def _case(community: f.Community) -> int:
    """An open case at the community's building (routed to its grid worker)."""
    from jingzhi.cases.models import Case, Category
    from jingzhi.cases.services import case_open

    found = Case.objects.filter(place=community.building, source="staff").first()
    if found is None:
        found = case_open(
            actor=None,
            category=Category.objects.get(code="thrown_object"),
            place=community.building,
            title="test",
            source="staff",
        )
    return found.pk


def _reported_case(world: World, community: f.Community) -> int:
    """A resolved case that the community's resident user reported: ready to be rated."""
    from jingzhi.cases.models import CaseReport, Category
    from jingzhi.cases.services import case_transition, resident_report
    from jingzhi.core.scope import Actor

    earlier = CaseReport.objects.filter(user=community.resident.user).first()
    if earlier is not None:
        return earlier.case_id
    case, _joined = resident_report(
        user=community.resident.user,
        category=Category.objects.get(code="other"),
        place=community.building,
        description="楼道灯坏了",
    )
    if case.state != "resolved":
        system = Actor.system()
        case_transition(actor=system, case=case, to="in_progress")
        case_transition(actor=system, case=case, to="resolved", note="修好了")
    return case.pk


def _evidence(community: f.Community) -> int:
    from django.core.files.base import ContentFile

    from jingzhi.cases.models import CaseEvidence

    evidence = CaseEvidence(case_id=_case(community), content_type="image/jpeg")
    evidence.file.save("x.jpg", ContentFile(b"\xff\xd8\xff\xe0 test"), save=True)
    return evidence.pk


def _event(community: f.Community) -> int:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from jingzhi.cameras.models import EventClip
    from jingzhi.sensing.models import Event

    device = _device(community)
    found = Event.objects.filter(device=device, event_id=f"x-{device.pk}").first()
    if found is not None:
        return found.pk
    event = Event(
        device=device,
        event_id=f"x-{device.pk}",
        type="litter.detected",
        occurred_at=timezone.now(),
        transport="http",
        payload={"confidence": 0.9},
        place=device.place,
    )
    event.fill_scope(device.place)
    event.media.save("x.jpg", ContentFile(b"\xff\xd8\xff\xe0 test"), save=True)
    clip = EventClip(event=event, expires_at=timezone.now())
    clip.file.save("x.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=True)
    return event.pk


def _square(community: f.Community) -> int:
    from jingzhi.squares.models import Square

    found = Square.objects.filter(place=community.community).first()
    if found is None:
        code = community.community.code
        found = Square(
            name=f"{community.community.name}广场",
            place=community.community,
            meter=f.device(community.community, f"meter-{code}", "noise_meter")[0],
        )
        found.save()
    return found.pk


FILLERS: dict[str, Callable[[World], list[Any]]] = {
    "place_id": lambda w: [p.pk for p in w.b.places],
    "resident_id": lambda w: [w.b.resident.pk],
    "household_id": lambda w: [w.b.household.pk],
    "correction_id": lambda w: [_correction(w.b)],
    "token": lambda w: [_import_token(w, w.b, "community_secretary_b")],
    "case_id": lambda w: [_case(w.b), _reported_case(w, w.b)],
    "evidence_id": lambda w: [_evidence(w.b)],
    "event_id": lambda w: [_event(w.b)],
    "code": lambda w: [_device(w.b).code],
    "community_id": lambda w: [w.b.community.pk],
    "event_type": lambda w: ["throw.detected"],
    "square_id": lambda w: [_square(w.b)],
}
OWN: dict[str, Callable[[World], Any]] = {
    "place_id": lambda w: w.a.building.pk,
    "resident_id": lambda w: w.a.resident.pk,
    "household_id": lambda w: w.a.household.pk,
    "correction_id": lambda w: _correction(w.a),
    "token": lambda w: _import_token(w, w.a, "community_secretary_a"),
    "case_id": lambda w: _case(w.a),
    "evidence_id": lambda w: _evidence(w.a),
    "event_id": lambda w: _event(w.a),
    "code": lambda w: _device(w.a).code,
    "community_id": lambda w: w.a.community.pk,
    "event_type": lambda w: "throw.detected",
    "square_id": lambda w: _square(w.a),
}

#: Where a route needs a particular kind of place for the positive control.
OWN_FOR: dict[str, dict[str, Callable[[World], int]]] = {
    "registry:household_create": {"place_id": lambda w: w.a.room.pk},
    "cases:my_case": {"case_id": lambda w: _reported_case(w, w.a)},
    "jingzhi_cases_api_case_rate": {"case_id": lambda w: _reported_case(w, w.a)},
}
#: Pages and operations on the caller's own records: their positive control runs as this persona.
OWN_PERSONA: dict[str, str] = {"cases:my_case": "resident_a", "jingzhi_cases_api_case_rate": "resident_a"}
#: Device-facing operations: authenticated by a device token, never by a session (tests/sensing/).
DEVICE_OPERATIONS = {
    "jingzhi_sensing_api_ingest_event",
    "jingzhi_sensing_api_ingest_status",
    "jingzhi_sensing_api_ingest_commands",
    "jingzhi_sensing_api_ingest_isapi",
    "jingzhi_cameras_api_lease",
    "jingzhi_cameras_api_release",
    "jingzhi_cameras_api_snapshot",
    "jingzhi_cameras_api_clip",
}

_PERSON = {"name": "新人", "id_number": "11010519491231002X", "ethnicity": "汉族", "residence_type": "registered"}

#: A valid body for each API operation that takes one, aimed at community B.
API_BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "jingzhi_core_api_places_create": lambda w: {
        "kind": "grid",
        "parent_id": w.b.community.pk,
        "code": "G99",
        "name": "x",
    },
    "jingzhi_core_api_places_update": lambda w: {"name": "renamed"},
    "jingzhi_core_api_places_rooms_generate": lambda w: {"floors": 2, "units": 1, "rooms_per_floor": 1},
    "jingzhi_registry_api_residents_reveal": lambda w: {"field": "id_number", "reason": "test"},
    "jingzhi_registry_api_households_create": lambda w: {"room_id": w.b.room.pk, "head": _PERSON},
    "jingzhi_registry_api_households_member_add": lambda w: {**_PERSON, "relationship": "child"},
    "jingzhi_registry_api_residents_update": lambda w: {"name": "改名"},
    "jingzhi_registry_api_me_corrections_create": lambda w: {
        "resident_id": w.b.resident.pk,
        "field": "phone",
        "proposed": "1",
    },
    "jingzhi_cases_api_case_create": lambda w: {"category": "other", "place_id": w.b.building.pk, "title": "x"},
    "jingzhi_cases_api_case_assign": lambda w: {"assignee": "grid_worker_a"},
    "jingzhi_cases_api_case_transition": lambda w: {"to": "in_progress"},
    "jingzhi_cases_api_case_comment": lambda w: {"note": "x"},
    "jingzhi_cases_api_case_rate": lambda w: {"rating": 5},
}
#: Valid form data for HTML views that accept POST.
PAGE_FORMS: dict[str, dict[str, Any]] = {
    "registry:household_create": {**_PERSON, "tenure": "owner"},
    "registry:member_add": {**_PERSON, "relationship": "child"},
    "registry:resident_edit": {
        "name": "改名",
        "ethnicity": "汉族",
        "residence_type": "registered",
        "relationship": "head",
    },
    "registry:resident_status": {"status": "away", "away_reason": "hospital"},
    "registry:correction_review": {"approve": "1"},
    "core:place_create": {"code": "X1", "name": "x"},
    "core:place_edit": {"code": "X1", "name": "renamed"},
    "core:place_rooms": {"floors": 2, "units": 1, "rooms_per_floor": 1},
    "registry:resident_reveal": {"field": "id_number"},
    "cases:assign": {"assignee": "1"},
    "cases:transition": {"to": "in_progress"},
    "cases:comment": {"note": "x"},
    "cases:my_case": {"confirmed": "1", "rating": "5"},
    "sensing:rule_edit": {"enabled": "on", "action": "record", "suppression_s": "1", "repeat_threshold": "1"},
    "squares:edit": {"name": "x", "zone": "1", "standard": "gb3096", "windows": "19:00-21:00", "position": "facade"},
}
#: API operations about the caller themselves (no scoped object involved).
SELF_OPERATIONS = {"jingzhi_core_api_me"}
#: Operations on the caller's own records: answer 404 for callers without one.
OWN_RECORD_OPERATIONS = {"jingzhi_registry_api_me_household", "jingzhi_registry_api_me_corrections_create"}

SCOPED_PERSONAS = [
    f"{role}_a"
    for role in (
        Role.COMMUNITY_SECRETARY,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.PROPERTY_MANAGER,
        Role.VOLUNTEER,
        Role.RESIDENT,
    )
]
DENIED = {401, 403, 404}


def _fill(route: str, params: list[str], world: World, values: dict[str, Any]) -> str:
    url = "/" + route
    for param in params:
        url = re.sub(rf"<(?:\w+:)?{param}>", str(values[param]), url)
        url = url.replace("{" + param + "}", str(values[param]))
    return url


def _combinations(params: list[str], world: World) -> list[dict[str, Any]]:
    missing = [p for p in params if p not in FILLERS]
    assert not missing, f"no filler for path parameter(s) {missing}: add one to FILLERS in {__file__}"
    combos: list[dict[str, Any]] = [{}]
    for param in params:
        combos = [{**c, param: v} for c in combos for v in FILLERS[param](world)]
    return combos


def _b_fingerprint(world: World) -> list[str]:
    """Strings that only community B's data contains."""
    return [world.b.community.name, world.b.estate.name, world.b.resident.name, world.b.grid.name]


def _unchanged(world: World) -> tuple[Any, ...]:
    b_places = Place.objects.filter(community=world.b.community)
    return (
        sorted(b_places.values_list("pk", "name", "code")),
        AuditEntry.objects.filter(action="pii.reveal").count(),
        sorted(
            Resident.objects.filter(household__room__community=world.b.community).values_list("pk", "name", "status")
        ),
        sorted(CorrectionRequest.objects.values_list("pk", "status")),
        _cases_of(world.b.community),
        Rule.objects.count(),
        sorted(Square.objects.values_list("pk", "name", "windows")),
        sorted(Device.objects.values_list("code", "token_digest", "config")),
    )


def _cases_of(community: Place) -> list[tuple[Any, ...]]:
    from jingzhi.cases.models import Case, CaseActivity, CaseReport

    rows: list[tuple[Any, ...]] = list(
        Case.objects.filter(community=community).order_by("pk").values_list("pk", "state", "assignee_id", "repeats")
    )
    rows.append(("activities", CaseActivity.objects.filter(case__community=community).count()))
    rows.append(("ratings", CaseReport.objects.filter(case__community=community, rated_at__isnull=False).count()))
    return rows


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "name", "params"), page_routes(), ids=lambda v: v if isinstance(v, str) else None)
@pytest.mark.parametrize("persona", [*SCOPED_PERSONAS, "outsider"])
def test_page_never_shows_community_b_to_others(
    world: World, persona: str, route: str, name: str, params: list[str]
) -> None:
    client = world.client(persona)
    combos = _combinations(params, world)
    before = _unchanged(world)
    if not params:
        response = client.get("/" + route)
        assert response.status_code in {200, 302, 403, 404, 405}, f"{route}: {response.status_code}"
        body = response.content.decode()
        for marker in _b_fingerprint(world):
            assert marker not in body, f"{persona} sees {marker!r} on /{route}"
        return
    for values in combos:
        url = _fill(route, params, world, values)
        for method in ("get", "post"):
            response = getattr(client, method)(url, PAGE_FORMS.get(name, {}))
            assert response.status_code in DENIED | {405}, f"{persona} {method.upper()} {url}: {response.status_code}"
    assert _unchanged(world) == before


@pytest.mark.parametrize(
    ("route", "name", "params"), [r for r in page_routes() if r[2]], ids=lambda v: v if isinstance(v, str) else None
)
def test_page_control_secretary_reaches_own_objects(world: World, route: str, name: str, params: list[str]) -> None:
    """The positive control: the same URLs with community A's objects work for A's secretary."""
    client = world.client(OWN_PERSONA.get(name, f"{Role.COMMUNITY_SECRETARY}_a"))
    own = {**OWN, **OWN_FOR.get(name, {})}
    url = _fill(route, params, world, {p: own[p](world) for p in params})
    response = client.get(url)
    assert response.status_code in {200, 302, 405}, f"GET {url}: {response.status_code}"


def test_pages_need_login(world: World) -> None:
    from django.test import Client

    client = Client()
    for route, _name, params in page_routes():
        url = _fill(route, params, world, {p: OWN[p](world) for p in params})
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], f"{url}: {response.status_code}"


def test_admin_site_is_for_platform_administrators_only(world: World) -> None:
    routes = admin_routes()
    assert routes
    for persona in ("community_secretary_a", "subdistrict_admin", "auditor"):
        client = world.client(persona)
        for route in routes:
            response = client.get("/" + route)
            assert response.status_code in {302, 403, 404}, f"{persona} /{route}: {response.status_code}"
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"]


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------


def _mirror(world: World) -> World:
    return World(sub=world.sub, a=world.b, b=world.a, users=world.users, clients=world.clients)


def _api_call(client: Any, method: str, url: str, body: dict[str, Any] | None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(url, **kwargs)


def _params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _body(operation_id: str, method: str, world: World) -> dict[str, Any] | None:
    spec = api.get_openapi_schema()
    for methods in spec["paths"].values():
        for op in methods.values():
            if op["operationId"] == operation_id and "requestBody" in op:
                assert operation_id in API_BODIES, f"add a valid body for {operation_id} to API_BODIES"
                return API_BODIES[operation_id](world)
    return None


@pytest.mark.parametrize(("method", "path", "operation_id"), api_operations(), ids=lambda v: v)
@pytest.mark.parametrize("persona", [*SCOPED_PERSONAS, "community_secretary_b"])
def test_api_operation_denies_community_b_objects(
    world: World, persona: str, method: str, path: str, operation_id: str
) -> None:
    client = world.client(persona)
    params = _params(path)
    if operation_id in DEVICE_OPERATIONS:
        _device_operation_refuses_sessions(world, client, method, path, params)
        return
    _combinations(params, world)
    _combinations(params, _mirror(world))
    before = _unchanged(world)
    if persona == "community_secretary_b":
        # Mirror image: B's secretary against A's objects.
        world.a, world.b = world.b, world.a
    body = _body(operation_id, method, world)
    try:
        if not params:
            response = _api_call(client, method, path, body)
            if method == "GET":
                assert response.status_code in {200, 403, 404}, f"{method} {path}: {response.status_code}"
                text = response.content.decode()
                for marker in _b_fingerprint(world):
                    assert marker not in text, f"{persona} sees {marker!r} in {method} {path}"
            else:
                assert response.status_code in DENIED, f"{persona} {method} {path}: {response.status_code}"
            return
        for values in _combinations(params, world):
            url = _fill(path.lstrip("/"), params, world, values)
            response = _api_call(client, method, url, body)
            assert response.status_code in DENIED, (
                f"{persona} {method} {url}: {response.status_code} {response.content[:200]!r}"
            )
            assert response.json().get("code") in {"not_found", "forbidden", "unauthenticated"}
    finally:
        if persona == "community_secretary_b":
            world.a, world.b = world.b, world.a
    assert _unchanged(world) == before


def _device_operation_refuses_sessions(world: World, client: Any, method: str, path: str, params: list[str]) -> None:
    """A logged-in person is not a device: without the device's token nothing is accepted."""
    from jingzhi.sensing.models import Event

    values = {p: FILLERS[p](world)[0] for p in params}
    url = _fill(path.lstrip("/"), params, world, values) if params else path
    if "commands" in path:
        url += f"?device={_device(world.b).code}"
    body = None if method == "GET" else {"event_id": "1", "device": _device(world.b).code}
    response = _api_call(client, method, url, body)
    assert response.status_code in {401, 422}, f"{method} {url}: {response.status_code}"
    assert Event.objects.count() == 0


@pytest.mark.parametrize(("method", "path", "operation_id"), api_operations(), ids=lambda v: v)
def test_api_operation_outsider_gets_nothing(world: World, method: str, path: str, operation_id: str) -> None:
    """A logged-in user bound to no place, and an anonymous caller, reach nothing."""
    from django.test import Client

    for client, allowed in ((world.client("outsider"), DENIED), (Client(), {401})):
        params = _params(path)
        if operation_id in DEVICE_OPERATIONS:
            _device_operation_refuses_sessions(world, client, method, path, params)
            continue
        body = _body(operation_id, method, world)
        values = {p: OWN[p](world) for p in params}
        url = _fill(path.lstrip("/"), params, world, values) if params else path
        response = _api_call(client, method, url, body)
        if operation_id in SELF_OPERATIONS and allowed is DENIED:
            assert response.status_code == 200
            continue
        if method == "GET" and not params and allowed is DENIED:
            assert response.status_code in {200, 403, 404}
            if response.status_code == 200:
                payload = response.json()
                items = payload.get("items", payload) if isinstance(payload, dict) else payload
                assert items == [] or payload.get("count") == 0, f"outsider got data from {path}: {payload}"
            continue
        assert response.status_code in allowed, f"{method} {url}: {response.status_code}"


@pytest.mark.parametrize(
    ("method", "path", "operation_id"), [o for o in api_operations() if _params(o[1])], ids=lambda v: v
)
def test_api_control_secretary_reaches_own_objects(world: World, method: str, path: str, operation_id: str) -> None:
    if operation_id in DEVICE_OPERATIONS:
        pytest.skip("device token operation: tests/sensing/test_ingest.py")
    client = world.client(OWN_PERSONA.get(operation_id, f"{Role.COMMUNITY_SECRETARY}_a"))
    params = _params(path)
    own = {**OWN, **OWN_FOR.get(operation_id, {})}
    url = _fill(path.lstrip("/"), params, world, {p: own[p](world) for p in params})
    body = _body(operation_id, method, world)
    if body and "parent_id" in body:
        body["parent_id"] = world.a.community.pk
    response = _api_call(client, method, url, body)
    assert response.status_code < 400, f"{method} {url}: {response.status_code} {response.content[:300]!r}"
