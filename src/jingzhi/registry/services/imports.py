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
import gc
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.fields import TAIL, DerivedField, EncryptedField, digest_for
from jingzhi.core.masking import mask_name
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.core.services.bulk import copy_rows
from jingzhi.core.services.places import places_bulk_insert
from jingzhi.registry.choices import Relationship, ResidenceType, ResidentStatus, TagCode, Tenure
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
from jingzhi.registry.lookups import AnyOf
from jingzhi.registry.models import LIVING, Household, Resident, ResidentTag, Tag, households_recount

BATCH = 2000
RoomKey = tuple[str, str, str, str]  # estate name, building code, unit code, room code

logger = logging.getLogger(__name__)


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
    #: Wall seconds per step ("read" — parse and validate every row —, "check" against the
    #: register, "write"), for the operator's log and the benchmark.
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return summary_json(self.rows, self.valid, self.problems)


@dataclass(eq=False)
class _Group:
    """Rows that become (or join) one household."""

    room: RoomKey
    records: list[RowRecord]
    household_id: int | None = None  # the register's household these rows join, or the new one
    created: bool = False  # True once the import created the household for these rows
    member_count: int = 0  # of a created household


def _key(address: ParsedAddress) -> RoomKey:
    return (address.estate, address.building, address.unit or "1", address.room)


def _rooms_of(community: Place, estate_names: set[str]) -> dict[RoomKey, Place]:
    """The community's rooms in the estates the file names (not every room of the community),
    with the few columns the import uses."""
    estates = Place.objects.filter(community=community, kind=PlaceKind.ESTATE, name__in=sorted(estate_names))
    rooms = (
        Place.objects.filter(kind=PlaceKind.ROOM, estate__in=list(estates.values_list("pk", flat=True)))
        .annotate(estate_name=F("estate__name"), building_code=F("building__code"), unit_code=F("unit__code"))
        .only("id", "code", "code_path", "subdistrict_id", "community_id", "grid_id")
        .order_by()
    )
    return {
        (r.estate_name, r.building_code, r.unit_code, r.code): r
        for r in rooms
        if r.building_code is not None and r.unit_code is not None
    }


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of an import.

    An import holds a few million small acyclic objects (cells, records, row tuples); each full
    collection walks them all, again and again as they accumulate. Reference counting still
    frees everything; collection resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    with _cyclic_gc_paused():
        return _import(actor, source, community, create_places, dry_run, filename, today)


def _import(
    actor: Actor,
    source: str | IO[bytes] | Any,
    community: Place,
    create_places: bool,
    dry_run: bool,
    filename: str,
    today: dt.date | None,
) -> ImportResult:
    if community.kind != PlaceKind.COMMUNITY:
        raise PermissionDenied(_("Imports go into a community."))
    if not actor.can(Capability.MANAGE_REGISTER, community):
        raise PermissionDenied(_("You may not change the register here."))
    today = today or timezone.localdate()
    estates = {e.name: e for e in Place.objects.filter(community=community, kind=PlaceKind.ESTATE)}
    result = ImportResult()
    started = time.perf_counter()
    with open_table(source) as table:
        headers = map_headers(table.headers, row=table.header_row)
        validator = FileValidator(headers, today=today, known_estates=sorted(estates))
        records = list(validator.validate(table.rows()))
    result.rows, result.valid = validator.rows, validator.valid
    result.seconds["read"] = time.perf_counter() - started
    problems = list(validator.problems)
    if validator.blocked:
        result.problems = problems
        return result

    rooms = _rooms_of(community, {r.address.estate for r in records})
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
    result.seconds["check"] = time.perf_counter() - started - result.seconds["read"]
    if problems or dry_run:
        return result

    started = time.perf_counter()
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
    result.seconds["write"] = time.perf_counter() - started
    logger.info(
        "import into %s: %d residents, %d households, %d places; %s",
        community.code,
        result.residents,
        result.households,
        result.places,
        ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items()),
    )
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
        batch = digests[i : i + BATCH]
        # The excluded empty digest matches the unique constraint's condition, so its index serves.
        found = (
            Resident.objects.filter(AnyOf(F("id_number_digest"), batch))
            .exclude(id_number_digest="")
            .select_related("household__room")
        )
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
            group = _Group(room=key, records=[], household_id=existing.pk)
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
    """Households, residents, their tags and one history entry per person, each table in one bulk
    insert (COPY on PostgreSQL); rows are built as plain values, with the same sealing, keyed
    hashes and derived search columns a saved ``Resident`` gets."""
    now = timezone.now()
    new_groups = [g for g in groups if g.household_id is None]
    counts = [sum(1 for r in g.records if _status(r) in LIVING) for g in new_groups]
    household_ids = copy_rows(
        Household,
        HOUSEHOLD_COLUMNS,
        [
            (
                rooms[g.room].pk,
                Tenure.OWNER,
                n,
                min((r.moved_in for r in g.records if r.moved_in), default=today),
                None,
                now,
                now,
            )
            for g, n in zip(new_groups, counts, strict=True)
        ],
    )
    for group, pk, n in zip(new_groups, household_ids, counts, strict=True):
        group.household_id, group.created, group.member_count = pk, True, n

    placed: list[tuple[RowRecord, Place, int, bool]] = []
    for group in groups:
        assert group.household_id is not None
        for record in group.records:
            # Joining an existing household: the recount below sets the flag of all its members.
            alone = group.created and group.member_count == 1 and _status(record) in LIVING
            placed.append((record, rooms[group.room], group.household_id, alone))
    # A generator: the rows are sealed and hashed while the database inserts the earlier ones.
    resident_ids = copy_rows(
        Resident,
        RESIDENT_COLUMNS,
        (_resident_row(record, household_id, room, alone, today, now) for record, room, household_id, alone in placed),
        count=len(placed),
    )
    records = [(record, room) for record, room, _household_id, _alone in placed]

    tags = {t.code: t.pk for t in Tag.objects.all()}
    copy_rows(
        ResidentTag,
        ("resident_id", "tag_id", "grade", "since"),
        [
            (pk, tags[code], record.disability_grade if code == TagCode.DISABLED else None, None)
            for pk, (record, _room) in zip(resident_ids, records, strict=True)
            for code in sorted(record.tags)
            if code in tags
        ],
    )
    # One history entry per person, so each resident's timeline starts with the import.
    user = actor.user
    actor_name = user.get_username() if user else "system"
    copy_rows(
        AuditEntry,
        AUDIT_COLUMNS,
        (
            (
                now,
                user.pk if user else None,
                actor_name,
                "resident.create",
                "registry.resident",
                str(pk),
                mask_name(record.name),
                room.pk,
                None,
                "",
                {"source": "import", "row": record.row},
                "",
            )
            for pk, (record, room) in zip(resident_ids, records, strict=True)
        ),
        count=len(records),
    )
    households_recount([g.household_id for g in groups if g.household_id is not None and not g.created])
    return len(household_ids), len(resident_ids)


HOUSEHOLD_COLUMNS = ("room_id", "tenure", "member_count", "moved_in", "moved_out", "created_at", "updated_at")
AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "place_id",
    "ip_address",
    "user_agent",
    "changes",
    "reason",
)
RESIDENT_COLUMNS = (
    "household_id",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "birth_date",
    "id_number",
    "id_number_digest",
    "id_number_tail",
    "phone",
    "phone_digest",
    "phone_tail",
    "ethnicity",
    "residence_type",
    "relationship",
    "status",
    "away_reason",
    "expected_return",
    "moved_in",
    "moved_out",
    "subdistrict_id",
    "community_id",
    "grid_id",
    "room_path",
    "lives_alone",
    "user_id",
    "created_at",
    "updated_at",
)


def _resident_row(
    record: RowRecord, household_id: int, room: Place, alone: bool, today: dt.date, now: dt.datetime
) -> tuple[Any, ...]:
    """The column values (``RESIDENT_COLUMNS`` order) ``Resident(...).save()`` would write."""
    status = _status(record)
    return (
        household_id,
        record.name,
        _derived(NAME_PINYIN, record.name),
        _derived(NAME_INITIALS, record.name),
        str(record.gender),
        record.birth_date,
        *_sealed(ID_NUMBER, record.id_number),
        *_sealed(PHONE, record.phone),
        record.ethnicity or "汉族",
        str(record.residence_type or ResidenceType.REGISTERED),
        str(record.relationship or Relationship.OTHER),
        str(status),
        "",
        None,
        record.moved_in or today,
        None,
        room.subdistrict_id,
        room.community_id,
        room.grid_id,
        room.code_path,
        alone,
        None,
        now,
        now,
    )


def _field(name: str) -> Any:
    return Resident._meta.get_field(name)


ID_NUMBER: EncryptedField = _field("id_number")
PHONE: EncryptedField = _field("phone")
NAME_PINYIN: DerivedField = _field("name_pinyin")
NAME_INITIALS: DerivedField = _field("name_initials")


def _sealed(field: EncryptedField, value: str) -> tuple[str, str, str]:
    """Ciphertext, keyed hash and tail hash, as ``EncryptedField.pre_save``/``get_prep_value`` make them."""
    if not value:
        return "", "", ""
    tail = field.tail_digest_of(field.normalizer(value)[-TAIL:])
    return field.get_prep_value(value), field.digest_of(value), tail


def _derived(field: DerivedField, raw: str) -> str:
    """A derived search column, as ``DerivedField.pre_save`` computes it."""
    assert field.derive is not None
    return field.derive(raw)[: field.max_length] if raw else ""


def _status(record: RowRecord) -> str:
    # An "away" row needs a reason the sheet does not carry; it is imported as present.
    if record.status in (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED):
        return record.status
    return ResidentStatus.PRESENT
