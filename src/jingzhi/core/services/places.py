"""Creating and editing places."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log, model_changes

EDITABLE_FIELDS = ("code", "name", "floors", "unit_count", "floor", "room_number", "is_active")


def _check_manage(actor: Actor, place: Place | None) -> None:
    if actor.is_platform_admin:
        return
    if place is None or not actor.can(Capability.MANAGE_PLACES, place):
        raise PermissionDenied(_("You may not manage places here."))


def _snapshot(place: Place) -> dict[str, object]:
    return {f: getattr(place, f) for f in EDITABLE_FIELDS}


def place_create(
    *,
    actor: Actor,
    kind: str,
    parent: Place | None,
    code: str,
    name: str,
    floors: int | None = None,
    unit_count: int | None = None,
    floor: int | None = None,
    room_number: str = "",
) -> Place:
    """Create a place under ``parent``; validates the tree rules and audits."""
    _check_manage(actor, parent)
    place = Place(
        kind=kind,
        parent=parent,
        code=code.strip(),
        name=name.strip(),
        floors=floors,
        unit_count=unit_count,
        floor=floor,
        room_number=room_number.strip(),
    )
    place.full_clean(validate_unique=False, validate_constraints=False)
    _check_unique_code(place)
    with transaction.atomic():
        place.save()
        audit_log(actor=actor, action="place.create", obj=place, place=place, changes=_snapshot(place))
    return place


def place_update(*, actor: Actor, place: Place, **values: object) -> Place:
    """Change a place's editable attributes; audits the difference."""
    _check_manage(actor, place)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = _snapshot(place)
    for key, value in values.items():
        setattr(place, key, value.strip() if isinstance(value, str) else value)
    place.full_clean(validate_unique=False, validate_constraints=False)
    _check_unique_code(place)
    with transaction.atomic():
        place.save()
        changes = model_changes(before, _snapshot(place))
        if changes:
            audit_log(actor=actor, action="place.update", obj=place, place=place, changes=changes)
    return place


def _check_unique_code(place: Place) -> None:
    siblings = Place.objects.filter(parent=place.parent, code=place.code)
    if place.pk:
        siblings = siblings.exclude(pk=place.pk)
    if siblings.exists():
        message = _("Another place under the same parent already uses this code.")
        raise ValidationError({"code": ValidationError(message, code="duplicate_code")})


def building_rooms_bulk_create(
    *,
    actor: Actor,
    building: Place,
    floors: int,
    units: int,
    rooms_per_floor: int,
    first_floor: int = 1,
) -> list[Place]:
    """Create units ``1..units`` and rooms ``<floor><nn>`` (e.g. 501, 502) for each floor.

    Existing units and rooms are kept; only missing ones are created, so the
    operation can be repeated after a building grows. All-or-nothing.
    """
    _check_manage(actor, building)
    if building.kind != PlaceKind.BUILDING:
        raise ValidationError(_("Rooms can only be generated for a building."))
    for label, value, top in (("floors", floors, 200), ("units", units, 50), ("rooms_per_floor", rooms_per_floor, 50)):
        if not 1 <= value <= top:
            raise ValidationError({label: _("Must be between 1 and %(top)s.") % {"top": top}})
    created: list[Place] = []
    with transaction.atomic():
        existing_units = {u.code: u for u in Place.objects.filter(parent=building, kind=PlaceKind.UNIT)}
        for u in range(1, units + 1):
            code = str(u)
            unit = existing_units.get(code)
            if unit is None:
                unit = Place(kind=PlaceKind.UNIT, parent=building, code=code, name=f"{u}单元")
                unit.save()
                created.append(unit)
            existing_rooms = set(Place.objects.filter(parent=unit).values_list("code", flat=True))
            new_rooms = []
            for floor in range(first_floor, first_floor + floors):
                if floor == 0:
                    continue
                for r in range(1, rooms_per_floor + 1):
                    number = f"{floor}{r:02d}" if floor > 0 else f"B{-floor}{r:02d}"
                    if number in existing_rooms:
                        continue
                    room = Place(
                        kind=PlaceKind.ROOM, parent=unit, code=number, name=number, floor=floor, room_number=number
                    )
                    room.fill_ancestors()
                    new_rooms.append(room)
            try:
                Place.objects.bulk_create(new_rooms)
            except IntegrityError as exc:  # pragma: no cover - guarded by the existing-code check
                raise ValidationError(str(exc)) from exc
            created.extend(new_rooms)
        building.floors = max(building.floors or 0, floors)
        building.unit_count = max(building.unit_count or 0, units)
        building.save(update_fields=["floors", "unit_count", "updated_at"])
        audit_log(
            actor=actor,
            action="place.rooms_generate",
            obj=building,
            place=building,
            changes={"floors": floors, "units": units, "rooms_per_floor": rooms_per_floor, "created": len(created)},
        )
    return created


def places_bulk_insert(objs: list[Place], *, batch: int = 2000) -> None:
    """Insert places of one level at once (demo data, imports): ancestors filled, own column set.

    No validation or audit: callers validate and write one audit entry for the whole batch.
    """
    if not objs:
        return
    kind = objs[0].kind
    assert all(o.kind == kind for o in objs), "one level at a time"
    for obj in objs:
        obj.fill_ancestors()
    for i in range(0, len(objs), batch):
        Place.objects.bulk_create(objs[i : i + batch])
    if kind != PlaceKind.ROOM:
        Place.objects.filter(kind=kind, **{f"{kind}__isnull": True}).update(**{f"{kind}_id": F("pk")})
        for obj in objs:
            setattr(obj, f"{kind}_id", obj.pk)
