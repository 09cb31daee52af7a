"""The problem report of an import: a marked-up copy of the sheet and a JSON summary."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jingzhi.core.export import neutralise
from jingzhi.registry.importing.problems import Problem
from jingzhi.registry.importing.reader import Source, iter_sheet

#: Sheet names staff in the communities recognise; fixed, not translated, so links to them hold.
PROBLEM_SHEET = "问题清单"
DATA_SHEET = "原表"
PROBLEM_FILL = PatternFill(fill_type="solid", fgColor="FFFFC7CE")  # Excel's own "bad" red
AUTHOR = "jingzhi"


def summary_json(rows: int, valid: int, problems: Iterable[Problem]) -> dict[str, object]:
    """``{"rows": N, "valid": N, "problems": [{"row", "column", "code", "message"}]}`` for ``--json``."""
    return {"rows": rows, "valid": valid, "problems": [p.as_dict() for p in problems]}


def _safe(value: object) -> Any:
    """A value openpyxl will write and a spreadsheet will not run as a formula."""
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _data_sheet(
    sheet: WriteOnlyWorksheet, source: Source, source_sheet: str | None, problems: Sequence[Problem]
) -> None:
    marks: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        if problem.letter:
            marks[problem.row][column_index_from_string(problem.letter) - 1].append(problem.message)
    for number, values in enumerate(iter_sheet(source, sheet=source_sheet), start=1):
        row_marks = marks.get(number)
        if not row_marks:
            sheet.append([_safe(v) for v in values])
            continue
        width = max(len(values), max(row_marks) + 1)
        cells: list[object] = []
        for index in range(width):
            value = _safe(values[index]) if index < len(values) else None
            messages = row_marks.get(index)
            if not messages:
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.fill = PROBLEM_FILL
            text = "\n".join(str(_safe(m)) for m in messages)
            cell.comment = Comment(text, AUTHOR, width=300, height=40 + 40 * len(messages))
            cells.append(cell)
        sheet.append(cells)


def _problem_sheet(sheet: WriteOnlyWorksheet, problems: Sequence[Problem]) -> None:
    bold = Font(bold=True)
    header = []
    for label in (_("Row"), _("Column"), _("Code"), _("Message"), _("Cell")):
        cell = WriteOnlyCell(sheet, value=_safe(str(label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for p in sorted(problems, key=lambda p: (p.row, column_index_from_string(p.letter) if p.letter else 0)):
        sheet.append([p.row, _safe(p.column), p.code, _safe(p.message), f"{p.letter}{p.row}" if p.letter else ""])


def write_report(source: Source, problems: Sequence[Problem], *, sheet: str | None = None) -> bytes:
    """An ``.xlsx``: the original sheet with problem cells filled red and commented, then ``问题清单``.

    ``source`` is read again (streaming), so row numbers in the copy are the original ones.
    Every written text passes :func:`jingzhi.core.export.neutralise` (formula injection).
    """
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(DATA_SHEET)
    _data_sheet(data, source, sheet, problems)
    listing = workbook.create_sheet(PROBLEM_SHEET)
    _problem_sheet(listing, problems)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
