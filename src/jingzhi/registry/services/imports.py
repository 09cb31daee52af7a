"""Importing residents from the spreadsheets communities keep: dry-run report, all-or-nothing commit.

The parsing layer (:mod:`jingzhi.registry.importing`) checks each row on its own and
against the other rows; this service checks the rows against the register (identity
numbers already registered, rooms that do not exist), groups rows into households
(a 户主 row starts a household; the rows after it at the same address join it) and,
when nothing is wrong and it is not a dry run, writes everything in one transaction.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.fields import digest_for
from jingzhi.core.masking import mask_name
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.core.services.places import places_bulk_insert
from jingzhi.registry.choices import Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.importing import (
    FileValidator,
    HeaderMap,
    ParsedAddress,
    Problem,
    RowRecord,
    map_headers,
    open_table,
    summary_json,
)
from jingzhi.registry.models import Household, Resident, ResidentTag, Tag, households_recount

BATCH = 2000
RoomKey = tuple[str, str, str, str]  # estate name, building code, unit code, room code


@dataclass
class ImportResult:
    """What an import found and (unless a dry run or a problem stopped it) wrote."""

    rows: int = 0
    valid: int = 0
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False
    households: int = 0
    residents: int = 0
    places: int = 0

    def summary(self) -> dict[str, Any]:
        return summary_json(self.rows, self.valid, self.problems)


@dataclass(eq=False)
class _Group:
    """Rows that become (or join) one household."""

    room: RoomKey
    records: list[RowRecord]
    existing: Household | None = None
    created: bool = False  # True once the import created ``existing`` for these rows


def _key(address: ParsedAddress) -> RoomKey:
    return (address.estate, address.building, address.unit or "1", address.room)


def _rooms_of(community: Place) -> dict[RoomKey, Place]:
    rooms = Place.objects.filter(community=community, kind=PlaceKind.ROOM).select_related("estate", "building", "unit")
    return {
        (r.estate.name, r.building.code, r.unit.code, r.code): r for r in rooms if r.estate and r.building and r.unit
    }


def import_residents(
    *,
    actor: Actor,
    source: str | IO[bytes] | Any,
    community: Place,
    create_places: bool = False,
    dry_run: bool = True,
    filename: str = "",
    today: dt.date | None = None,
) -> ImportResult:
    """Check a spreadsheet against the register; commit it whole when asked and nothing is wrong."""
    if community.kind != PlaceKind.COMMUNITY:
        raise PermissionDenied(_("Imports go into a community."))
    if not actor.can(Capability.MANAGE_REGISTER, community):
        raise PermissionDenied(_("You may not change the register here."))
    today = today or timezone.localdate()
    estates = {e.name: e for e in Place.objects.filter(community=community, kind=PlaceKind.ESTATE)}
    result = ImportResult()
    with open_table(source) as table:
        headers = map_headers(table.headers, row=table.header_row)
        validator = FileValidator(headers, today=today, known_estates=sorted(estates))
        records = list(validator.validate(table.rows()))
    result.rows, result.valid = validator.rows, validator.valid
    problems = list(validator.problems)
    if validator.blocked:
        result.problems = problems
        return result

    rooms = _rooms_of(community)
    problems += _register_duplicates(records, headers, actor)
    missing = {_key(r.address) for r in records} - set(rooms)
    if missing and not create_places:
        column, letter = _address_column(headers)
        for record in records:
            if _key(record.address) in missing:
                problems.append(
                    Problem(
                        row=record.row,
                        column=column,
                        letter=letter,
                        code="unknown_place",
                        message=_("No such room in this community: %(address)s (import with --create-places to add it)")
                        % {"address": _describe(record.address)},
                    )
                )
    bad_rows = {p.row for p in problems}
    groups, group_problems = _households(records, rooms, headers, bad_rows)
    problems += group_problems
    problems.sort(key=lambda p: (p.row, p.letter, p.code))
    result.problems = problems
    # A row is valid when nothing at all is reported on it (header problems sit on the header row).
    result.valid = result.rows - len({p.row for p in problems if p.row > headers.row})
    if problems or dry_run:
        return result

    with transaction.atomic():
        if missing:
            result.places = _create_places(actor, community, estates, rooms, missing)
        result.households, result.residents = _write(actor, groups, rooms, today)
        audit_log(
            actor=actor,
            action="resident.import",
            obj=community,
            place=community,
            changes={
                "file": filename[:100],
                "rows": result.rows,
                "households": result.households,
                "residents": result.residents,
                "places": result.places,
            },
        )
    result.committed = True
    return result


def _describe(address: ParsedAddress) -> str:
    unit = f"{address.unit}单元" if address.unit else ""
    return f"{address.estate}{address.building}幢{unit}{address.room}室"


def _address_column(headers: HeaderMap) -> tuple[str, str]:
    for name in ("address", "room", "estate"):
        if name in headers.columns:
            return headers.locate(name)
    return headers.locate("address")


def _register_duplicates(records: list[RowRecord], headers: HeaderMap, actor: Actor) -> list[Problem]:
    column, letter = headers.locate("id_number")
    by_digest = {digest_for(Resident, "id_number", r.id_number): r for r in records}
    problems: list[Problem] = []
    digests = list(by_digest)
    for i in range(0, len(digests), BATCH):
        found = Resident.objects.filter(id_number_digest__in=digests[i : i + BATCH]).select_related("household__room")
        for existing in found:
            record = by_digest[existing.id_number_digest]
            if actor.can(Capability.VIEW_REGISTER, existing.household.room):
                message = _("Already registered as resident #%(pk)s (%(name)s).") % {
                    "pk": existing.pk,
                    "name": mask_name(existing.name),
                }
            else:
                message = _("Already registered in another community; ask the sub-district to move the person.")
            problems.append(
                Problem(row=record.row, column=column, letter=letter, code="duplicate_in_register", message=message)
            )
    return problems


def _households(
    records: list[RowRecord], rooms: dict[RoomKey, Place], headers: HeaderMap, bad_rows: set[int]
) -> tuple[list[_Group], list[Problem]]:
    """A head row opens a household at its room; other rows join the open household of their room,
    or the room's current household in the register; otherwise they have no head — unless a row
    with problems came just before (it may be the head), which is reported already."""
    column, letter = headers.locate("relationship")
    open_groups: dict[RoomKey, _Group] = {}
    groups: list[_Group] = []
    problems: list[Problem] = []
    current = _current_households([rooms[k] for k in {_key(r.address) for r in records} if k in rooms])
    bad = sorted(bad_rows)
    previous = 0
    for record in records:
        key = _key(record.address)
        # Is there a row with problems between the previous valid row and this one?
        first_after = bisect.bisect_right(bad, previous)
        after_bad_row = first_after < len(bad) and bad[first_after] < record.row
        previous = record.row
        if record.relationship == Relationship.HEAD:
            opened = _Group(room=key, records=[record])
            open_groups[key] = opened
            groups.append(opened)
            continue
        group = open_groups.get(key)
        if group is None:
            room = rooms.get(key)
            existing = current.get(room.pk) if room is not None else None
            if existing is None:
                if after_bad_row:
                    open_groups[key] = _Group(room=key, records=[])  # its head row is already reported
                    continue
                problems.append(
                    Problem(
                        row=record.row,
                        column=column,
                        letter=letter,
                        code="no_head",
                        message=_(
                            "No head of household (户主) before this row at the same address, and no household lives there yet."
                        ),
                    )
                )
                continue
            group = _Group(room=key, records=[], existing=existing)
            open_groups[key] = group
            groups.append(group)
        group.records.append(record)
    return groups, problems


def _current_households(rooms: Iterable[Place]) -> dict[int, Household]:
    ids = [r.pk for r in rooms]
    out: dict[int, Household] = {}
    for i in range(0, len(ids), BATCH):
        for household in Household.objects.filter(room_id__in=ids[i : i + BATCH], moved_out__isnull=True).order_by(
            "-moved_in"
        ):
            out.setdefault(household.room_id, household)
    return out


def _create_places(
    actor: Actor, community: Place, estates: dict[str, Place], rooms: dict[RoomKey, Place], missing: set[RoomKey]
) -> int:
    """Create the estates, buildings, units and rooms the file names, level by level in bulk.

    New estates go to the community's first grid (staff move them to the right grid later).
    """
    created = 0
    grid = Place.objects.filter(parent=community, kind=PlaceKind.GRID).order_by("code").first()
    if grid is None:
        grid = Place(kind=PlaceKind.GRID, parent=community, code="G00", name="未分配网格")
        places_bulk_insert([grid])
        created += 1
    taken = set(Place.objects.filter(parent=grid).values_list("code", flat=True))
    new_estates = []
    for name in sorted({key[0] for key in missing} - set(estates)):
        number = len(taken) + 1
        while f"E{number:02d}" in taken:
            number += 1
        taken.add(f"E{number:02d}")
        estate = Place(kind=PlaceKind.ESTATE, parent=grid, code=f"E{number:02d}", name=name)
        estates[name] = estate
        new_estates.append(estate)
    places_bulk_insert(new_estates)

    def level(
        parents: dict[tuple[str, ...], Place], wanted: set[tuple[str, ...]], kind: str
    ) -> dict[tuple[str, ...], Place]:
        """Existing children of ``parents`` for each wanted key, creating the missing ones."""
        nonlocal created
        found: dict[tuple[str, ...], Place] = {}
        by_parent = {p.pk: k for k, p in parents.items()}
        for child in Place.objects.filter(parent_id__in=list(by_parent), kind=kind):
            assert child.parent_id is not None
            found[(*by_parent[child.parent_id], child.code)] = child
        new = [_new_place(kind, parents[key[:-1]], key[-1]) for key in sorted(wanted - set(found))]
        places_bulk_insert(new)
        found.update({(*by_parent[p.parent_id], p.code): p for p in new})  # type: ignore[index]
        created += len(new)
        return found

    estate_map: dict[tuple[str, ...], Place] = {(name,): estates[name] for name in {key[0] for key in missing}}
    buildings = level(estate_map, {key[:2] for key in missing}, PlaceKind.BUILDING)
    units = level(buildings, {key[:3] for key in missing}, PlaceKind.UNIT)
    new_rooms = level(units, set(missing), PlaceKind.ROOM)
    for key in missing:
        rooms[key] = new_rooms[key]
    created += len(new_estates)
    audit_log(
        actor=actor, action="place.import_create", obj=community, place=community, changes={"rooms": len(missing)}
    )
    return created


def _new_place(kind: str, parent: Place, code: str) -> Place:
    if kind == PlaceKind.BUILDING:
        return Place(kind=kind, parent=parent, code=code, name=f"{code}幢")
    if kind == PlaceKind.UNIT:
        return Place(kind=kind, parent=parent, code=code, name=f"{code}单元")
    return Place(kind=kind, parent=parent, code=code, name=code, floor=_floor(code), room_number=code)


def _floor(room: str) -> int | None:
    digits = "".join(ch for ch in room if ch.isdigit())
    if len(digits) >= 3:
        return int(digits[:-2]) or None
    return None


def _write(actor: Actor, groups: list[_Group], rooms: dict[RoomKey, Place], today: dt.date) -> tuple[int, int]:
    new_households = [g for g in groups if g.existing is None]
    household_objs = [
        Household(
            room=rooms[g.room],
            moved_in=min((r.moved_in for r in g.records if r.moved_in), default=today),
            member_count=sum(1 for r in g.records if _status(r) == ResidentStatus.PRESENT),
        )
        for g in new_households
    ]
    for i in range(0, len(household_objs), BATCH):
        Household.objects.bulk_create(household_objs[i : i + BATCH])
    for group, household in zip(new_households, household_objs, strict=True):
        group.existing, group.created = household, True
    tags = {t.code: t for t in Tag.objects.all()}
    count = 0
    pending: list[tuple[Resident, RowRecord]] = []
    for group in groups:
        assert group.existing is not None
        room = rooms[group.room]
        for record in group.records:
            pending.append(
                (
                    Resident(
                        household=group.existing,
                        name=record.name,
                        gender=record.gender,
                        birth_date=record.birth_date,
                        id_number=record.id_number,
                        phone=record.phone,
                        ethnicity=record.ethnicity or "汉族",
                        residence_type=record.residence_type or ResidenceType.REGISTERED,
                        relationship=record.relationship or Relationship.OTHER,
                        status=_status(record),
                        moved_in=record.moved_in or today,
                        subdistrict_id=room.subdistrict_id,
                        community_id=room.community_id,
                        grid_id=room.grid_id,
                    ),
                    record,
                )
            )
            if len(pending) >= BATCH:
                count += _flush(actor, pending, tags)
                pending = []
    if pending:
        count += _flush(actor, pending, tags)
    households_recount([g.existing.pk for g in groups if g.existing is not None and not g.created])
    return len(household_objs), count


def _status(record: RowRecord) -> str:
    # An "away" row needs a reason the sheet does not carry; it is imported as present.
    if record.status in (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED):
        return record.status
    return ResidentStatus.PRESENT


def _flush(actor: Actor, pending: list[tuple[Resident, RowRecord]], tags: dict[str, Tag]) -> int:
    residents = [p[0] for p in pending]
    Resident.objects.bulk_create(residents)
    links = [
        ResidentTag(
            resident=resident,
            tag=tags[code],
            grade=record.disability_grade if code == TagCode.DISABLED else None,
        )
        for resident, record in pending
        for code in record.tags
        if code in tags
    ]
    ResidentTag.objects.bulk_create(links)
    # One history entry per person, so each resident's timeline starts with the import.
    user = actor.user
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=user,
                actor_name=user.get_username() if user else "system",
                action="resident.create",
                object_type="registry.resident",
                object_id=str(r.pk),
                object_repr=mask_name(r.name),
                place_id=r.household.room_id,
                changes={"source": "import", "row": rec.row},
            )
            for r, rec in pending
        ]
    )
    return len(residents)
