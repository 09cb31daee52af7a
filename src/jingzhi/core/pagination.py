"""Pagination for search results: counting stops at a cap, so a broad search stays fast.

A search box answer needs a page of rows and an idea of how many there are, not an exact
count of 80,000 party members: counting stops at ``COUNT_CAP`` and the page shows "1000+".
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

COUNT_CAP = 1000


def capped_count(items: Any, cap: int | None = None) -> tuple[int, bool]:
    """(count, capped): the number of items, or ``cap`` and True when there are more.

    ``items`` is a queryset, or a wrapper exposing one as ``.queryset``.
    """
    cap = COUNT_CAP if cap is None else cap
    queryset = getattr(items, "queryset", items)
    # No ordering: the database may stop at the (cap+1)-th match instead of sorting them all.
    n = queryset.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


class CappedPaginator(Paginator):
    """A Paginator whose count stops at ``COUNT_CAP`` (then ``capped`` is True)."""

    capped = False

    @cached_property
    def count(self) -> int:
        n, self.capped = capped_count(self.object_list)
        return n


class CappedPagination(PaginationBase):
    """django-ninja pagination with ``count`` capped at ``COUNT_CAP`` and a ``count_capped`` flag."""

    class Input(Schema):
        limit: int = Field(25, ge=1, le=200)
        offset: int = Field(0, ge=0)

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool

    items_attribute = "items"

    def paginate_queryset(self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        count, capped = capped_count(queryset)
        return {
            "items": queryset[pagination.offset : pagination.offset + pagination.limit],
            "count": count,
            "count_capped": capped,
        }
