"""The abstract base of rows that belong to a place and are filtered by scope in one column."""

from __future__ import annotations

from typing import Any

from django.db import models


def _scope_fk() -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        "core.Place", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )


class ScopedToPlace(models.Model):
    """Copies the place's sub-district, community, grid and estate onto the row on save, so that
    ``scope_q(actor, cap, SCOPE_PREFIX, SCOPE_DIRECT)`` filters on the row's own columns.
    Subclasses have a ``place`` foreign key."""

    SCOPE_PREFIX = "place"
    SCOPE_DIRECT = ("subdistrict", "community", "grid", "estate")

    subdistrict = _scope_fk()
    community = _scope_fk()
    grid = _scope_fk()
    estate = _scope_fk()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_scope()
        super().save(*args, **kwargs)

    def fill_scope(self, place: Any = None) -> None:
        place = place if place is not None else self.place  # type: ignore[attr-defined]
        self.subdistrict_id, self.community_id = place.subdistrict_id, place.community_id
        self.grid_id, self.estate_id = place.grid_id, place.estate_id
