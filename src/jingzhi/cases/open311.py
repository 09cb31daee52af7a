"""Open311 GeoReport v2: 311 clients list the services, file requests and follow them.

Plain JSON views under ``/open311/v2/`` (XML is not offered). A client authenticates with an
``api_key`` issued to a user (``jingzhi open311 key``); the key acts as that user:

* a resident in the register files through the resident report (joining an open case of the
  same incident) and follows the cases they reported;
* staff who assign cases at the place file cases directly and follow the cases in their scope.

Requests are located by ``address_id`` (a place id): this jurisdiction has no map, so
``lat``/``long`` and ``address_string`` alone are refused. The request list is not public, unlike
in the spec: residents' reports are personal data. Pagination follows the de-facto extension
(``page``, ``page_size``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jingzhi.cases import services
from jingzhi.cases.choices import OPEN_STATES, CaseState, RouteTo, Source
from jingzhi.cases.models import ApiKey, Case, CaseReport, Category
from jingzhi.cases.selectors import cases_visible
from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.crypto import keyring
from jingzhi.core.models import Place, User
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log

API_KEY_PURPOSE = "cases.api_key"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: The levels that make up a request's address, top first (the place itself is appended).
ADDRESS_LEVELS = ("estate", "building", "unit")

View = Callable[..., JsonResponse]


# --- API keys -------------------------------------------------------------------------------


def _digest(key: str) -> str:
    return keyring().digest(key, purpose=API_KEY_PURPOSE)


def issue_api_key(user: User, name: str, *, actor: Actor | None = None) -> str:
    """Create an API key for ``user`` and return it; only its keyed digest is stored."""
    key = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(user=user, name=name.strip()[:80], digest=_digest(key))
    audit_log(actor=actor, action="open311.key.issue", obj=api_key, object_repr=f"{user.get_username()}: {name}")
    return key


def revoke_api_keys(user: User, name: str | None = None, *, actor: Actor | None = None) -> int:
    """Revoke the user's keys (only those of client ``name`` when given); returns how many."""
    keys = ApiKey.objects.filter(user=user, revoked_at__isnull=True)
    if name:
        keys = keys.filter(name=name)
    count = keys.update(revoked_at=timezone.now())
    if count:
        audit_log(
            actor=actor,
            action="open311.key.revoke",
            object_repr=f"{user.get_username()}: {name or '*'}",
            changes={"revoked": count},
        )
    return count


def user_for_key(key: str) -> User | None:
    """The active user behind a key that is not revoked (marking the key used), or None."""
    if not key:
        return None
    api_key = (
        ApiKey.objects.filter(digest=_digest(key), revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if api_key is None:
        return None
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key.user


# --- plumbing -------------------------------------------------------------------------------


class Open311Error(Exception):
    """An error answered as the spec's ``[{"code", "description"}]`` with that HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(status: int, description: str) -> JsonResponse:
    return _json([{"code": status, "description": description}], status=status)


def endpoint(*methods: str) -> Callable[[View], View]:
    """An Open311 view: CSRF-exempt, JSON only, the given methods, errors in the spec's shape."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> JsonResponse:
            if fmt != "json":
                return _error(400, _("Only the .json format is supported."))
            if request.method not in methods:
                response = _error(405, _("Method not allowed."))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except Open311Error as exc:
                return _error(exc.status, exc.description)

        return wrapper

    return decorate


def _param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _authenticate(request: HttpRequest) -> User:
    key = _param(request, "api_key")
    if not key:
        raise Open311Error(400, _("api_key required."))
    user = user_for_key(key)
    if user is None:
        raise Open311Error(403, _("Invalid api_key."))
    return user


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a whole number.") % {"name": name}) from None


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _validation_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


# --- services -------------------------------------------------------------------------------


def _service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.label,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": category.group,
    }


@endpoint("GET")
def services_list(request: HttpRequest) -> JsonResponse:
    """GET services: the active categories."""
    return _json([_service(category) for category in Category.objects.filter(active=True)])


@endpoint("GET")
def service_definition(request: HttpRequest, code: str) -> JsonResponse:
    """GET service definition: no extra attributes for any service."""
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code."))
    return _json({"service_code": category.code, "attributes": []})


# --- requests -------------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests_view(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _create(request)
    return _list(request)


@endpoint("GET")
def request_detail(request: HttpRequest, request_id: str) -> JsonResponse:
    """GET service request: a one-element list, or 404 when the key's user may not see it."""
    user = _authenticate(request)
    qs, resident_view = _visible(user)
    case = qs.filter(pk=int(request_id)).first() if request_id.isdigit() else None
    if case is None:
        raise Open311Error(404, _("Unknown service_request_id."))
    return _json(_requests_out([case], user=user, resident_view=resident_view))


def _create(request: HttpRequest) -> JsonResponse:
    """POST service request, filed as the key's user."""
    user = _authenticate(request)
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("service_code required."))
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code."))
    address_id = _param(request, "address_id")
    if not address_id:
        raise Open311Error(400, _("address_id required: this jurisdiction locates requests by place id."))
    place = Place.objects.filter(pk=_int(address_id, "address_id"), is_active=True).first()
    if place is None or place.kind == PlaceKind.SUBDISTRICT:
        raise Open311Error(400, _("Unknown address_id."))
    description = _param(request, "description")
    media = request.FILES.get("media")
    try:
        if hasattr(user, "resident"):
            case, joined = services.resident_report(
                user=user, category=category, place=place, description=description, photo=media
            )
        else:
            case, joined = _staff_open(user, category, place, description, media), False
    except PermissionDenied as exc:
        raise Open311Error(403, str(exc) or _("You may not file requests here.")) from None
    except ValidationError as exc:
        raise Open311Error(400, _validation_text(exc)) from None
    if joined:
        notice = _("This was already reported: your report joined case %(number)s.") % {"number": case.number}
    else:
        notice = _("Filed as case %(number)s.") % {"number": case.number}
    return _json([{"service_request_id": str(case.pk), "service_notice": notice, "account_id": None}], status=201)


def _staff_open(user: User, category: Category, place: Place, description: str, media: UploadedFile | None) -> Case:
    actor = Actor.for_user(user)
    if not actor.can(Capability.ASSIGN_CASES, place):
        raise PermissionDenied(_("You may not open cases at this place."))
    if media is not None:
        services.check_evidence(media)
    with transaction.atomic():
        case = services.case_open(
            actor=actor,
            category=category,
            place=place,
            title=f"{category.label} · {place.name}",
            description=description,
            source=Source.OPEN311,
            reporter=user,
        )
        if media is not None:
            services.case_add_evidence(actor=actor, case=case, upload=media)
    return case


def _visible(user: User) -> tuple[QuerySet[Case], bool]:
    """The cases the key's user may follow, and whether they see them as a reporter.

    Staff (anyone who views cases somewhere) follow the cases in their scope; others follow the
    cases they reported.
    """
    actor = Actor.for_user(user)
    if actor.has_capability(Capability.VIEW_CASES):
        qs, resident_view = cases_visible(actor), False
    else:
        qs, resident_view = Case.objects.filter(pk__in=CaseReport.objects.filter(user=user).values("case_id")), True
    return qs.select_related("category", "assignee", "place"), resident_view


def _when(value: str, name: str, *, end: bool) -> dt.datetime:
    """An ISO 8601 bound; a date alone covers that whole day (local time)."""
    parsed: dt.datetime | None = None
    try:
        day = parse_date(value)
        if day is not None:
            parsed = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            parsed = parse_datetime(value)
            if parsed is None and " " in value:
                # An unencoded "+08:00" offset arrives as " 08:00".
                head, _sep, tail = value.rpartition(" ")
                parsed = parse_datetime(f"{head}+{tail}")
    except ValueError:  # well formed but not a real date (2026-02-30)
        parsed = None
    if parsed is None:
        raise Open311Error(400, _("%(name)s must be an ISO 8601 date or date and time.") % {"name": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _list(request: HttpRequest) -> JsonResponse:
    """GET service requests, newest first, filtered and paginated.

    As in the spec, ``service_request_id`` makes the other filters ignored.
    """
    user = _authenticate(request)
    qs, resident_view = _visible(user)
    ids = _csv(_param(request, "service_request_id"))
    if ids:
        qs = qs.filter(pk__in=[_int(value, "service_request_id") for value in ids])
    else:
        codes = _csv(_param(request, "service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        if start := _param(request, "start_date"):
            qs = qs.filter(created_at__gte=_when(start, "start_date", end=False))
        if end := _param(request, "end_date"):
            qs = qs.filter(created_at__lte=_when(end, "end_date", end=True))
        statuses = set(_csv(_param(request, "status").lower()))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open or closed."))
        if statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    page = _int(_param(request, "page") or "1", "page")
    page_size = _int(_param(request, "page_size") or str(PAGE_SIZE), "page_size")
    if page < 1 or page_size < 1:
        raise Open311Error(400, _("page and page_size start at 1."))
    page_size = min(page_size, MAX_PAGE_SIZE)
    start_at = (page - 1) * page_size
    cases = list(qs.order_by("-created_at", "-id")[start_at : start_at + page_size])
    return _json(_requests_out(cases, user=user, resident_view=resident_view))


def _addresses(places: Iterable[Place]) -> dict[int, str]:
    """Place id → its address: the names from the estate down to the place itself."""
    chains: dict[int, list[int]] = {}
    for place in places:
        chain = [getattr(place, f"{level}_id") for level in ADDRESS_LEVELS]
        ids = [pk for pk in chain if pk is not None and pk != place.pk] + [place.pk]
        chains[place.pk] = ids
    wanted = {pk for ids in chains.values() for pk in ids}
    names = dict(Place.objects.filter(pk__in=wanted).values_list("pk", "name"))
    return {pk: " ".join(names[i] for i in ids if i in names) for pk, ids in chains.items()}


def _requests_out(cases: list[Case], *, user: User, resident_view: bool) -> list[dict[str, Any]]:
    """Cases as Open311 service requests.

    A reporter sees their own report's words rather than the case's (which may be another
    resident's) and, as on the resident pages, who handles it by role rather than by name.
    """
    places = {case.place_id: case.place for case in cases}
    addresses = _addresses(places.values())
    own: dict[int, str] = {}
    if resident_view:
        own = dict(CaseReport.objects.filter(user=user, case__in=cases).values_list("case_id", "description"))
    out = []
    for case in cases:
        is_open = case.state in OPEN_STATES
        if case.assignee is not None and not resident_view:
            agency = str(case.assignee)
        else:
            agency = str(RouteTo(case.category.route_to).label)
        out.append(
            {
                "service_request_id": str(case.pk),
                "status": "open" if is_open else "closed",
                "status_notes": case.resolution_note or str(CaseState(case.state).label),
                "service_name": case.category.label,
                "service_code": case.category.code,
                "description": own.get(case.pk, "") if resident_view else case.description,
                "agency_responsible": agency,
                "service_notice": _("Case %(number)s") % {"number": case.number},
                "requested_datetime": _iso(case.created_at),
                "updated_datetime": _iso(case.updated_at),
                "expected_datetime": _iso(case.resolution_due),
                "address": addresses.get(case.place_id, ""),
                "address_id": str(case.place_id),
                "zipcode": None,
                "lat": None,
                "long": None,
                "media_url": None,
            }
        )
    return out
