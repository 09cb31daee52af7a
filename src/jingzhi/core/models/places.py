"""The places tree: sub-district → community → grid → estate → building → unit → room."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from jingzhi.core.choices import ANCESTOR_LEVELS, PlaceKind, parent_kind

#: Levels whose codes make up an address's "building/unit/room" path (``Place.code_path``).
PATH_LEVELS: tuple[str, ...] = (PlaceKind.BUILDING, PlaceKind.UNIT, PlaceKind.ROOM)

#: Sent after a building's, unit's or room's code changed (``place=`` the place; the code paths
#: below it are already rewritten), so that copies of the path elsewhere can follow.
place_codes_changed = Signal()


class Place(models.Model):
    """One node of the places tree.

    Besides ``parent`` each place carries one column per ancestor level
    (``subdistrict`` … ``unit``), pointing at itself for its own level. Scope
    checks are then a single indexed equality (``community_id = X``) on any
    table that references a place, on SQLite and PostgreSQL alike.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(
        _("code"), max_length=32, help_text=_("Unique among the siblings, e.g. an administrative division code.")
    )
    name = models.CharField(_("name"), max_length=100)

    # Ancestor columns, maintained by save(); see the class docstring.
    subdistrict = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    community = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    grid = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False)
    estate = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    building = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    unit = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False)

    # Building attributes.
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    unit_count = models.PositiveSmallIntegerField(_("units"), null=True, blank=True)
    # Room attributes. Floors below ground are negative.
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    room_number = models.CharField(_("room number"), max_length=16, blank=True)

    #: Codes of the building, unit and room down to this place, "/"-joined ("3/2/501" for room
    #: 501 of unit 2 of building 3; "3" for the building); empty above buildings. Maintained by
    #: save() from the parent's, and copied onto residents so that an address search ("3幢2单元501"
    #: in every estate) is one index lookup (see ``registry.search``).
    code_path = models.CharField(max_length=100, blank=True, default="", editable=False)

    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="place_code_unique_in_parent"),
            models.UniqueConstraint(fields=["code"], condition=Q(parent__isnull=True), name="place_root_code_unique"),
            models.CheckConstraint(
                condition=Q(kind=PlaceKind.SUBDISTRICT, parent__isnull=True)
                | (~Q(kind=PlaceKind.SUBDISTRICT) & Q(parent__isnull=False)),
                name="place_only_subdistricts_are_roots",
            ),
            models.CheckConstraint(
                condition=Q(kind=PlaceKind.ROOM) | Q(floor__isnull=True), name="place_floor_only_on_rooms"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "name"], name="place_kind_name"),
            models.Index(fields=["code"], name="place_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path = None
        if self.kind in PATH_LEVELS:
            # One read of the stored paths: this place's (did its code change?) and its parent's
            # (the parent held in memory may predate a renumbering above it).
            parent = self.parent if self.kind != PATH_LEVELS[0] else None
            wanted = [pk for pk in (self.pk, parent.pk if parent is not None else None) if pk is not None]
            stored = dict(type(self).objects.filter(pk__in=wanted).values_list("pk", "code_path")) if wanted else {}
            old_path = stored.get(self.pk) if self.pk is not None else None
            if parent is not None and parent.pk in stored:
                parent.code_path = stored[parent.pk]
        self.fill_ancestors()
        super().save(*args, **kwargs)
        if self.kind in ANCESTOR_LEVELS and getattr(self, f"{self.kind}_id") != self.pk:
            setattr(self, f"{self.kind}_id", self.pk)
            type(self).objects.filter(pk=self.pk).update(**{f"{self.kind}_id": self.pk})
        if old_path is not None and old_path != self.code_path:
            self._repath_below()
            place_codes_changed.send(sender=type(self), place=self)

    def _repath_below(self) -> None:
        """After a building's or unit's code changed: rewrite the code paths of the places below it."""
        model = type(self)
        for kind in PATH_LEVELS[PATH_LEVELS.index(self.kind) + 1 :]:
            below = model.objects.filter(kind=kind, **{f"{self.kind}_id": self.pk})
            parent_path = model.objects.filter(pk=OuterRef("parent_id")).values("code_path")[:1]
            below.update(code_path=Concat(Subquery(parent_path), Value("/"), F("code")))

    # --- invariants -------------------------------------------------------
    def clean(self) -> None:
        expected = parent_kind(self.kind)
        if expected is None:
            if self.parent_id is not None:
                raise ValidationError({"parent": _("A sub-district has no parent.")})
        else:
            if self.parent is None:
                raise ValidationError({"parent": _("This kind of place needs a parent.")})
            if self.parent.kind != expected:
                raise ValidationError(
                    {
                        "parent": _("The parent of a %(kind)s must be a %(parent)s.")
                        % {"kind": PlaceKind(self.kind).label, "parent": PlaceKind(expected).label}
                    }
                )
        if self.kind != PlaceKind.ROOM and (self.floor is not None or self.room_number):
            raise ValidationError(_("Only rooms have a floor and a room number."))
        if self.kind != PlaceKind.BUILDING and (self.floors is not None or self.unit_count is not None):
            raise ValidationError(_("Only buildings have floors and units."))
        if self.kind == PlaceKind.ROOM and self.floor == 0:
            raise ValidationError(
                {"floor": _("There is no floor 0: floors count 1, 2, … above ground and −1, −2, … below.")}
            )

    def fill_ancestors(self) -> None:
        """Copy the ancestor columns from the parent and point this level at itself."""
        parent = self.parent
        for level in ANCESTOR_LEVELS:
            setattr(self, f"{level}_id", getattr(parent, f"{level}_id") if parent is not None else None)
        if self.kind not in PATH_LEVELS:
            self.code_path = ""
        elif self.kind == PATH_LEVELS[0] or parent is None:
            self.code_path = self.code
        else:
            self.code_path = f"{parent.code_path}/{self.code}"
        if self.kind in ANCESTOR_LEVELS and self.pk is not None:
            setattr(self, f"{self.kind}_id", self.pk)

    # --- helpers ----------------------------------------------------------
    def ancestor_ids(self) -> list[int]:
        """Ids of this place and every ancestor, top first."""
        ids = [getattr(self, f"{level}_id") for level in ANCESTOR_LEVELS]
        out = [i for i in ids if i is not None]
        if self.kind == PlaceKind.ROOM:
            out.append(self.pk)
        return out

    def contains(self, other: Place) -> bool:
        """True when ``other`` is this place or lies below it."""
        if self.kind == PlaceKind.ROOM:
            return other.pk == self.pk
        return getattr(other, f"{self.kind}_id") == self.pk
