"""Validate the rows of an import: per-cell normalisers, cross-checks, duplicates in the file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from jingzhi.core.idnumber import IdNumber
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.importing import cells as c
from jingzhi.registry.importing.address import (
    ParsedAddress,
    floor_of,
    parse_address,
    parse_building,
    parse_room,
    parse_unit,
)
from jingzhi.registry.importing.headers import PLACE_PARTS, HeaderMap
from jingzhi.registry.importing.problems import CellProblem, Problem
from jingzhi.registry.importing.reader import SourceRow
from jingzhi.registry.importing.text import clean_text


@dataclass(frozen=True)
class RowRecord:
    """One clean row, ready for the register service.

    ``gender`` and ``birth_date`` come from the identity number (the sheet's own columns are only
    checked against it). ``None`` means the sheet left the value to the service's default.
    """

    row: int
    name: str
    id_number: str
    gender: Gender
    birth_date: dt.date
    address: ParsedAddress
    phone: str = ""
    ethnicity: str = ""
    residence_type: ResidenceType | None = None
    relationship: Relationship | None = None
    moved_in: dt.date | None = None
    status: ResidentStatus | None = None
    tags: frozenset[TagCode] = frozenset()
    disability_grade: int | None = None


T = TypeVar("T")


class _Row:
    """Collects the problems of one row while its cells are read."""

    def __init__(self, cells: Mapping[str, object], row: int, headers: HeaderMap | None) -> None:
        self.cells = cells
        self.row = row
        self.headers = headers
        self.problems: list[Problem] = []

    def problem(self, column: str, code: str, message: str) -> None:
        header, letter = self.headers.locate(column) if self.headers else (column, "")
        self.problems.append(Problem(row=self.row, column=header, code=code, message=message, letter=letter))

    def read(self, column: str, parse: Callable[[object], T]) -> T | None:
        """``parse`` the column's cell; a problem is recorded and None returned on failure."""
        try:
            return parse(self.cells.get(column))
        except CellProblem as exc:
            self.problem(column, exc.code, exc.message)
            return None


def _uses_address(cells: Mapping[str, object], headers: HeaderMap | None) -> bool:
    if headers is not None:
        return headers.uses_address
    return "address" in cells and not all(part in cells for part in PLACE_PARTS)


def _address(r: _Row, known_estates: Sequence[str]) -> ParsedAddress | None:
    if _uses_address(r.cells, r.headers):
        default = clean_text(r.cells.get("estate"))
        return r.read("address", lambda v: parse_address(v, known_estates=known_estates, default_estate=default))

    def estate_name(value: object) -> str:
        text = clean_text(value)
        if not text:
            raise CellProblem("required", str(_("This cell is required but empty.")))
        return text

    estate = r.read("estate", estate_name)
    building = r.read("building", parse_building)
    unit = r.read("unit", parse_unit) if "unit" in r.cells else ""
    room = r.read("room", parse_room)
    if estate is None or building is None or unit is None or room is None:
        return None
    return ParsedAddress(estate=estate, building=building, unit=unit, room=room, floor=floor_of(room))


def validate_row(
    cells: Mapping[str, object],
    row_number: int,
    *,
    headers: HeaderMap | None = None,
    today: dt.date | None = None,
    known_estates: Sequence[str] = (),
) -> tuple[RowRecord | None, list[Problem]]:
    """Normalise one row's cells (keyed by canonical column) and cross-check them.

    Returns the clean record, or None when the row has any problem, and the problems found,
    each located by the sheet's header text and column letter (through ``headers``).
    """
    today = today or c.local_today()
    r = _Row(cells, row_number, headers)
    name = r.read("name", c.parse_name)
    ident: IdNumber | None = r.read("id_number", lambda v: c.parse_id_number(v, today=today))
    gender = r.read("gender", c.parse_gender)
    birth = r.read("birth_date", lambda v: c.parse_partial_date(v, today=today))
    phone = r.read("phone", c.parse_phone)
    ethnicity = r.read("ethnicity", c.parse_ethnicity)
    residence_type = r.read("residence_type", c.parse_residence_type)
    relationship = r.read("relationship", c.parse_relationship)
    moved_in = r.read("moved_in", lambda v: c.parse_date(v, today=today, day_required=False))
    status = r.read("status", c.parse_status)
    tags = r.read("tags", c.parse_tags)
    address = _address(r, known_estates)

    if ident is not None:
        if birth is not None and not birth.matches(ident.birth_date):
            r.problem(
                "birth_date",
                "birth_date_mismatch",
                str(
                    _("The birth date %(sheet)s differs from %(derived)s in the identity number; one of them is wrong.")
                    % {"sheet": str(birth), "derived": ident.birth_date.isoformat()}
                ),
            )
        derived_gender = Gender.MALE if ident.is_male else Gender.FEMALE
        if gender is not None and gender != derived_gender:
            r.problem(
                "gender",
                "gender_mismatch",
                str(
                    _("The gender %(sheet)s differs from %(derived)s in the identity number; one of them is wrong.")
                    % {"sheet": gender.label, "derived": derived_gender.label}
                ),
            )
    if r.problems or name is None or ident is None or address is None:
        return None, r.problems
    return (
        RowRecord(
            row=row_number,
            name=name,
            id_number=ident.value,
            gender=Gender.MALE if ident.is_male else Gender.FEMALE,
            birth_date=ident.birth_date,
            address=address,
            phone=phone or "",
            ethnicity=ethnicity or "",
            residence_type=residence_type,
            relationship=relationship,
            moved_in=moved_in,
            status=status,
            tags=tags.codes if tags else frozenset(),
            disability_grade=tags.disability_grade if tags else None,
        ),
        r.problems,
    )


class FileValidator:
    """Validates the rows of one file in order, remembering identity numbers to find duplicates.

    Holds one small dict entry per identity number, not the rows, so it streams.
    """

    def __init__(self, headers: HeaderMap, *, today: dt.date | None = None, known_estates: Sequence[str] = ()) -> None:
        self.headers = headers
        self.today = today or c.local_today()
        self.known_estates = tuple(known_estates)
        self.rows = 0
        self.valid = 0
        self.problems: list[Problem] = list(headers.problems)
        self._first_row: dict[str, int] = {}
        # Without a required column every row would repeat the same problem; the header problem says it once.
        self.blocked = any(p.code == "missing_column" for p in headers.problems)

    def check(self, row: SourceRow) -> tuple[RowRecord | None, list[Problem]]:
        """Validate the next row (rows must come in file order)."""
        if self.blocked:
            self.rows += 1
            return None, []
        record, problems = validate_row(
            self.headers.cells(row.values),
            row.number,
            headers=self.headers,
            today=self.today,
            known_estates=self.known_estates,
        )
        key = record.id_number if record else self._id_of(row)
        if key:
            first = self._first_row.setdefault(key, row.number)
            if first != row.number:
                header, letter = self.headers.locate("id_number")
                problems.append(
                    Problem(
                        row=row.number,
                        column=header,
                        code="duplicate_in_file",
                        message=str(
                            _("The same identity number is already on row %(first)s of this file.") % {"first": first}
                        ),
                        letter=letter,
                    )
                )
                record = None
        self.rows += 1
        if record is not None:
            self.valid += 1
        self.problems.extend(problems)
        return record, problems

    def _id_of(self, row: SourceRow) -> str:
        """The identity number of a row that failed elsewhere, so duplicates are still caught."""
        column = self.headers.columns.get("id_number")
        if column is None or column.index >= len(row.values):
            return ""
        try:
            return c.parse_id_number(row.values[column.index], today=self.today).value
        except CellProblem:
            return ""

    def validate(self, rows: Iterable[SourceRow]) -> Iterator[RowRecord]:
        """The valid records of ``rows``; problems accumulate in :attr:`problems`."""
        for row in rows:
            record, _problems = self.check(row)
            if record is not None:
                yield record
