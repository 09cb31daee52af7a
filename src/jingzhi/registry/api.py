"""Register API operations. Every response masks identity numbers and phones."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from jingzhi.core.pagination import CappedPagination
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_get
from jingzhi.registry.choices import Tenure
from jingzhi.registry.models import Household
from jingzhi.registry.presenters import address_of, resident_row
from jingzhi.registry.schemas import (
    CorrectionIn,
    CorrectionOut,
    HouseholdIn,
    HouseholdOut,
    MemberIn,
    ResidentOut,
    ResidentPatch,
    RevealIn,
    RevealOut,
    TimelineEntry,
)
from jingzhi.registry.selectors import household_get, resident_get, resident_timeline, residents_search
from jingzhi.registry.services import (
    household_create,
    resident_register,
    resident_reveal,
    resident_update,
    resident_view_record,
)
from jingzhi.registry.services.corrections import correction_request

router = Router(tags=["register"])

ADDRESS_RELATED = ("household__room__estate", "household__room__building", "household__room__unit")


@router.get("/residents", response=list[ResidentOut])
@paginate(CappedPagination)
def residents_list(request: HttpRequest, q: str = "") -> Any:
    """Search residents (the same search box as the page); ``count`` stops at 1000 (``count_capped``)."""
    actor = Actor.from_request(request)
    qs = residents_search(actor=actor, text=q).select_related(*ADDRESS_RELATED)
    return _Rows(qs)


class _Rows:
    """A queryset whose slices come out as masked rows (pagination counts ``queryset``)."""

    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [resident_row(r) for r in self.queryset[item]]


@router.get("/residents/{resident_id}", response=ResidentOut)
def residents_detail(request: HttpRequest, resident_id: int) -> dict[str, Any]:
    actor = Actor.from_request(request)
    resident = resident_get(actor=actor, pk=resident_id)
    resident_view_record(actor=actor, resident=resident, channel="api")
    return resident_row(resident)


@router.post("/residents/{resident_id}/reveal", response=RevealOut)
def residents_reveal(request: HttpRequest, resident_id: int, data: RevealIn) -> dict[str, str]:
    actor = Actor.from_request(request)
    resident = resident_get(actor=actor, pk=resident_id)
    value = resident_reveal(actor=actor, resident=resident, field=data.field, reason=data.reason)
    return {"field": data.field, "value": value}


@router.get("/households/{household_id}", response=HouseholdOut)
def households_detail(request: HttpRequest, household_id: int) -> dict[str, Any]:
    actor = Actor.from_request(request)
    return _household_payload(household_get(actor=actor, pk=household_id))


def _household_payload(household: Household) -> dict[str, Any]:
    members = household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return {
        "id": household.pk,
        "room_id": household.room_id,
        "address": address_of(household.room),
        "tenure": str(Tenure(household.tenure).label),
        "members": [resident_row(m) for m in members],
    }


@router.post("/households", response={201: HouseholdOut})
def households_create(request: HttpRequest, data: HouseholdIn) -> Status:
    actor = Actor.from_request(request)
    room = place_get(actor=actor, pk=data.room_id)
    household = household_create(actor=actor, room=room, tenure=data.tenure, head=data.head.dict())
    return Status(201, _household_payload(household))


@router.post("/households/{household_id}/members", response={201: ResidentOut})
def households_member_add(request: HttpRequest, household_id: int, data: MemberIn) -> Status:
    actor = Actor.from_request(request)
    household = household_get(actor=actor, pk=household_id)
    resident = resident_register(actor=actor, household=household, **data.dict())
    return Status(201, resident_row(resident))


@router.patch("/residents/{resident_id}", response=ResidentOut)
def residents_update(request: HttpRequest, resident_id: int, data: ResidentPatch) -> dict[str, Any]:
    actor = Actor.from_request(request)
    resident = resident_get(actor=actor, pk=resident_id)
    return resident_row(resident_update(actor=actor, resident=resident, **data.dict(exclude_unset=True)))


@router.get("/residents/{resident_id}/timeline", response=list[TimelineEntry])
def residents_timeline(request: HttpRequest, resident_id: int) -> Any:
    resident = resident_get(actor=Actor.from_request(request), pk=resident_id)
    return list(resident_timeline(resident=resident))


@router.get("/me/household", response=HouseholdOut)
def me_household(request: HttpRequest) -> dict[str, Any]:
    actor = Actor.from_request(request)
    me = getattr(actor.user, "resident", None)
    if me is None:
        raise Http404
    # The linked record is the authorisation: a resident sees their own household, nothing else.
    return _household_payload(me.household)


@router.post("/me/corrections", response={201: CorrectionOut})
def me_corrections_create(request: HttpRequest, data: CorrectionIn) -> Status:
    actor = Actor.from_request(request)
    me = getattr(actor.user, "resident", None)
    if me is None:
        raise Http404
    target = me.household.members.filter(pk=data.resident_id).first()
    if target is None:
        raise Http404
    created = correction_request(actor=actor, resident=target, field=data.field, proposed=data.proposed, note=data.note)
    return Status(201, {"id": created.pk, "field": created.field, "status": created.status})
