"""Parse addresses such as ``西渚花苑3幢2单元501室`` into estate / building / unit / room.

Building and unit are kept as the numbers staff write ("3", "2"), matching the ``code`` of the
building and unit places; the room keeps its number ("501") and the floor is derived from it.
Rare forms (``地下一层``, ``B1`` parking) are reported rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from jingzhi.registry.importing.problems import CellProblem
from jingzhi.registry.importing.text import chinese_number, clean_text


@dataclass(frozen=True)
class ParsedAddress:
    """A room's place in the estate; ``unit`` is ``""`` for buildings without units."""

    estate: str
    building: str
    unit: str
    room: str
    floor: int | None


_BUILDING = r"(?P<building>[A-Z]?\d+[A-Z]?|[A-Z])"
_BUILDING_SUFFIX = r"(?:幢|栋|号楼|楼|号|#|座)"
_UNIT = r"(?P<unit>\d+)"
_ROOM = r"(?P<room>B?\d+)"
_ROOM_SUFFIX = r"(?:室|号|房)?"
_TAILS = [
    re.compile(_BUILDING + _BUILDING_SUFFIX + r"-?" + _UNIT + r"单元-?" + _ROOM + _ROOM_SUFFIX),  # 3幢2单元501室
    re.compile(_BUILDING + _BUILDING_SUFFIX + _UNIT + r"-" + _ROOM + _ROOM_SUFFIX),  # 3栋2-501
    re.compile(_BUILDING + _BUILDING_SUFFIX + r"-?" + _ROOM + _ROOM_SUFFIX),  # 3幢501室
    re.compile(_BUILDING + r"-" + _UNIT + r"-" + _ROOM + _ROOM_SUFFIX),  # 3-2-501
    re.compile(_BUILDING + r"-" + _ROOM + _ROOM_SUFFIX),  # 3-501
]
_WITH_ESTATE = [re.compile(r"(?P<estate>.*?)" + tail.pattern) for tail in _TAILS]

_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "~": "-", "～": "-", "_": "-", "‐": "-"})
_CN_NUMBER = re.compile(r"([零〇一二三四五六七八九十两]+)(?=幢|栋|号楼|单元)")
# Administrative prefixes before the estate: province, city, district/county, street/town,
# community. 小区 is an estate, not a district, and 市场 is not a city.
_PREFIX = re.compile(
    r"^(?:\D{2,7}?省)?(?:\D{2,7}?市(?!场))?(?:\D{1,7}?(?<!小)[区县])?(?:\D{1,7}?(?:街道|镇|乡))?(?:\D{1,7}?社区)?"
)


def _compact(value: object) -> str:
    text = "".join(clean_text(value).split()).translate(_DASHES).upper()
    return _CN_NUMBER.sub(lambda m: str(chinese_number(m.group(1)) or m.group(1)), text)


def floor_of(room: str) -> int | None:
    """501 → 5, 1203 → 12, B101 → -1; None when the number does not encode a floor."""
    if room.startswith("B") and room[1:].isdigit() and len(room) >= 3:
        return -int(room[1:-2])
    if room.isdigit() and len(room) in (3, 4) and int(room[:-2]) > 0:
        return int(room[:-2])
    return None


def _problem(text: str) -> CellProblem:
    return CellProblem(
        "address",
        str(
            _("%(value)s cannot be read as estate, building, unit and room; write it like 西渚花苑3幢2单元501室.")
            % {"value": text if len(text) <= 40 else text[:39] + "…"}
        ),
    )


def strip_prefix(estate: str) -> str:
    """Drop a leading city / district / street / community prefix, keeping a non-empty estate name."""
    rest = _PREFIX.sub("", estate, count=1)
    return rest or estate


def parse_address(value: object, *, known_estates: Iterable[str] = (), default_estate: str = "") -> ParsedAddress:
    """Parse one address cell; raises :class:`CellProblem` with code ``address``.

    ``known_estates`` (names of the community's estates) are found anywhere in the text, which
    beats the prefix heuristic; ``default_estate`` fills in when the address starts at the building
    (a sheet with a 小区 column and ``3-2-501`` addresses).
    """
    text = clean_text(value)
    if not text:
        raise CellProblem("required", str(_("This cell is required but empty.")))
    return _parse(text, tuple(known_estates), default_estate)


@lru_cache(maxsize=65536)
def _estate_keys(known_estates: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The estate names, longest first, with their compacted forms."""
    return tuple((name, _compact(name)) for name in sorted(known_estates, key=len, reverse=True))


# A sheet repeats each room's address for every member of the household (and an import runs the
# same rows twice: dry run, then commit): parsed once per distinct text. Problems (exceptions)
# are not cached; they are rare.
@lru_cache(maxsize=65536)
def _parse(text: str, known_estates: tuple[str, ...], default_estate: str) -> ParsedAddress:
    compact = _compact(text)
    estate, tail = "", compact
    for name, key in _estate_keys(known_estates):
        at = compact.find(key) if key else -1
        if at >= 0:
            estate, tail = name, compact[at + len(key) :]
            break
    match = None
    if estate:
        match = next((m for p in _TAILS if (m := p.fullmatch(tail))), None)
        if match is None:
            # A known name inside a longer new one (基准小区 in 基准小区东苑): read it afresh.
            estate = ""
    if not estate:
        match = next((m for p in _WITH_ESTATE if (m := p.fullmatch(compact))), None)
        if match:
            estate = strip_prefix(match.group("estate"))
    if match is None:
        raise _problem(text)
    estate = estate or default_estate
    if not estate:
        raise _problem(text)
    groups = match.groupdict()
    room = groups["room"].lstrip("0") if groups["room"].isdigit() else groups["room"]
    if not room or room == "B":
        raise _problem(text)
    unit = (groups.get("unit") or "").lstrip("0")
    return ParsedAddress(
        estate=estate,
        building=groups["building"].lstrip("0") or groups["building"],
        unit=unit,
        room=room,
        floor=floor_of(room),
    )


def format_address(address: ParsedAddress) -> str:
    """The inverse of :func:`parse_address`: ``西渚花苑3幢2单元501室``."""
    unit = f"{address.unit}单元" if address.unit else ""
    return f"{address.estate}{address.building}幢{unit}{address.room}室"


# --- separate estate / building / unit / room columns -----------------------------------------


def _part(value: object, pattern: re.Pattern[str], what: str, example: str) -> str:
    text = _compact(value)
    if not text:
        raise CellProblem("required", str(_("This cell is required but empty.")))
    match = pattern.fullmatch(text)
    if not match:
        raise CellProblem(
            "address",
            str(
                _("%(value)s is not a %(what)s number; write it like %(example)s.")
                % {"value": clean_text(value), "what": what, "example": example}
            ),
        )
    number = match.group(1)
    return number.lstrip("0") or number


_BUILDING_CELL = re.compile(r"([A-Z]?\d+[A-Z]?|[A-Z])" + _BUILDING_SUFFIX + "?")
_UNIT_CELL = re.compile(r"(\d+)(?:单元)?")
_ROOM_CELL = re.compile(r"(B?\d+)" + _ROOM_SUFFIX)


def parse_building(value: object) -> str:
    """``3``, ``3幢``, ``3号楼``, ``三栋`` → ``"3"``."""
    return _part(value, _BUILDING_CELL, "building", "3幢")


def parse_unit(value: object) -> str:
    """``2``, ``2单元``, ``二单元`` → ``"2"``; ``""`` for an empty cell (no units)."""
    if not clean_text(value):
        return ""
    return _part(value, _UNIT_CELL, "unit", "2单元")


def parse_room(value: object) -> str:
    """``501``, ``501室`` → ``"501"``."""
    return _part(value, _ROOM_CELL, "room", "501")
