"""Map the header cells of a community's spreadsheet to the canonical import columns."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from jingzhi.registry.importing.problems import Problem

if TYPE_CHECKING:  # django-stubs is a development dependency only
    from django_stubs_ext import StrOrPromise

#: Canonical column → header texts seen in the wild. Matching ignores width, case and spaces.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "居民姓名", "人员姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "证件号", "id_number", "idnumber"),
    "phone": ("联系电话", "手机", "手机号", "手机号码", "电话", "电话号码", "联系方式", "phone", "mobile"),
    "gender": ("性别", "gender", "sex"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日", "birth_date", "birthday"),
    "ethnicity": ("民族", "ethnicity"),
    "residence_type": ("户籍类型", "人口类型", "居住类型", "户口性质", "人员类型", "residence_type"),
    "relationship": ("与户主关系", "关系", "户主关系", "与户主的关系", "relationship"),
    "address": ("地址", "住址", "居住地址", "房屋地址", "现住址", "现居住地址", "门牌地址", "address"),
    "estate": ("小区", "小区名称", "所在小区", "estate"),
    "building": ("楼栋", "幢", "楼号", "栋", "幢号", "楼栋号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "室", "门牌号", "房间号", "室号", "room"),
    "moved_in": ("迁入日期", "入住日期", "迁入时间", "入住时间", "moved_in"),
    "status": ("状态", "居住状态", "人员状态", "status"),
    "tags": ("标签", "人员类别", "人员标签", "特殊人群", "tags"),
}

#: Headers that are known and deliberately ignored, so they are not reported as unknown.
IGNORED = ("序号", "编号", "备注", "说明", "no", "no.")

REQUIRED = ("name", "id_number")
PLACE_PARTS = ("estate", "building", "room")

# Hints such as "出生日期(yyyy-mm-dd)" or "身份证号码【18位】" and required-field stars.
_HINTS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|[*:：]")


def normalise_header(text: object) -> str:
    """The comparison key of a header cell: NFKC, no hints, no spaces, lower case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _HINTS.sub("", value)
    return "".join(value.split()).lower()


_LOOKUP: dict[str, str] = {normalise_header(s): column for column, names in SYNONYMS.items() for s in names}
_IGNORED_KEYS = frozenset(normalise_header(s) for s in IGNORED)


def canonical_column(text: object) -> str | None:
    """The canonical column a header cell names, or None."""
    return _LOOKUP.get(normalise_header(text))


def count_known(cells: Sequence[object]) -> int:
    """How many cells of a row are known headers; the reader uses it to find the header row."""
    return sum(1 for cell in cells if canonical_column(cell) is not None)


@dataclass(frozen=True)
class Column:
    """A canonical column found in the sheet: where it is and how staff wrote it."""

    name: str
    index: int
    header: str

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class HeaderMap:
    """The result of mapping a header row; ``problems`` block the import, ``ignored`` do not."""

    row: int
    columns: dict[str, Column] = field(default_factory=dict)
    ignored: list[Column] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def uses_address(self) -> bool:
        """True when places come from the address column rather than estate/building/room columns."""
        return "address" in self.columns and not all(part in self.columns for part in PLACE_PARTS)

    def locate(self, column: str) -> tuple[str, str]:
        """(header text, letter) of a canonical column, for problems; the canonical name if absent."""
        found = self.columns.get(column)
        return (found.header, found.letter) if found else (column, "")

    def cells(self, values: Sequence[object]) -> dict[str, object]:
        """The cells of a data row keyed by canonical column."""
        return {name: (values[col.index] if col.index < len(values) else None) for name, col in self.columns.items()}


def map_headers(cells: Sequence[object], *, row: int = 1) -> HeaderMap:
    """Map a header row; unknown headers are listed in ``ignored``, errors in ``problems``."""
    result = HeaderMap(row=row)
    for index, cell in enumerate(cells):
        header = "" if cell is None else " ".join(str(cell).split())
        if not header:
            continue
        column = canonical_column(cell)
        if column is None:
            if normalise_header(cell) not in _IGNORED_KEYS:
                result.ignored.append(Column(name="", index=index, header=header))
            continue
        found = Column(name=column, index=index, header=header)
        first = result.columns.get(column)
        if first is not None:
            # Two columns for one field (手机 and 联系电话): which one is right is the staff's call.
            result.problems.append(
                Problem(
                    row=row,
                    column=header,
                    code="duplicate_column",
                    message=str(
                        _("Column %(header)s means the same as column %(first)s (%(letter)s); keep only one of them.")
                        % {"header": header, "first": first.header, "letter": first.letter}
                    ),
                    letter=found.letter,
                )
            )
            continue
        result.columns[column] = found
    for column in REQUIRED:
        if column not in result.columns:
            result.problems.append(
                _missing(row, column, _("The sheet has no %(column)s column; add one headed %(header)s."))
            )
    if "address" not in result.columns:
        for column in PLACE_PARTS:
            if column not in result.columns:
                result.problems.append(
                    _missing(
                        row,
                        column,
                        _(
                            "The sheet needs an address column (地址), or estate, building and room columns; %(column)s (%(header)s) is missing."
                        ),
                    )
                )
    return result


def _missing(row: int, column: str, message: StrOrPromise) -> Problem:
    return Problem(
        row=row,
        column=column,
        code="missing_column",
        message=str(message % {"column": column, "header": SYNONYMS[column][0]}),
    )
