"""Register API operations. Every response masks identity numbers and phones."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from jingzhi.core.scope import Actor
from jingzhi.registry.choices import Tenure
from jingzhi.registry.presenters import address_of, resident_row
from jingzhi.registry.schemas import HouseholdOut, ResidentOut, RevealIn, RevealOut
from jingzhi.registry.selectors import household_get, resident_get, residents_search
from jingzhi.registry.services import resident_reveal, resident_view_record

router = Router(tags=["register"])

ADDRESS_RELATED = ("household__room__estate", "household__room__building", "household__room__unit")


@router.get("/residents", response=list[ResidentOut])
@paginate(LimitOffsetPagination)
def residents_list(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    actor = Actor.from_request(request)
    qs = residents_search(actor=actor, text=q).select_related(*ADDRESS_RELATED)
    return _Rows(qs)  # type: ignore[return-value]


class _Rows:
    """Lazily maps a paginated queryset slice to masked rows."""

    def __init__(self, qs: Any) -> None:
        self.qs = qs

    def __len__(self) -> int:
        return int(self.qs.count())

    def count(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [resident_row(r) for r in self.qs[item]]


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
    household = household_get(actor=actor, pk=household_id)
    members = household.members.select_related(*ADDRESS_RELATED).order_by("id")
    return {
        "id": household.pk,
        "room_id": household.room_id,
        "address": address_of(household.room),
        "tenure": str(Tenure(household.tenure).label),
        "members": [resident_row(m) for m in members],
    }
