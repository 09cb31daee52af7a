"""A generator of realistic, deliberately messy resident spreadsheets for import tests and benchmarks.

``write_xlsx`` / ``write_csv`` write a sheet the way communities keep them: a title row above the
header, a 序号 column, mixed date formats, full-width digits, stray spaces, addresses in several
spellings. Those variations must all be *accepted*. Unless ``clean=True``, a seeded set of rows
also carries exactly one planted problem each; the writers return them as :class:`Planted` so a
test can check that every one is reported at its row and column and nothing else is.

Usable from ``bench/`` too: ``write_xlsx(path, rows=100_000, clean=True)`` streams (write-only).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from jingzhi.core import idnumber
from jingzhi.registry.importing.address import ParsedAddress

TITLE = "西渚社区居民信息登记表"
HEADERS = (
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "出生日期",
    "民族",
    "联系电话",
    "户籍类型",
    "与户主关系",
    "房屋地址",
    "入住日期",
    "状态",
    "标签",
    "备注",
)
COLUMNS = (
    "",
    "name",
    "gender",
    "id_number",
    "birth_date",
    "ethnicity",
    "phone",
    "residence_type",
    "relationship",
    "address",
    "moved_in",
    "status",
    "tags",
    "",
)
#: Header text in the sheet → canonical column, to compare reported problems with planted ones.
CANONICAL_BY_HEADER = {h: c for h, c in zip(HEADERS, COLUMNS, strict=True) if c}
COL = {c: i for i, c in enumerate(COLUMNS) if c}

HEADER_ROW = 2
FIRST_DATA_ROW = 3
#: A fully empty row follows this data row (index from 0): skipped, but it still counts.
BLANK_AFTER = 7
TODAY = dt.date(2025, 6, 30)  # latest date the generator writes, so files stay valid in later years

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力云飞鹏宇浩婷雪琳晨欣怡子涵梓轩佳琪嘉俊博文昊然雨桐思远晓东"
REGIONS = ("320505", "320506", "320507", "320508", "320502", "320584", "320581", "340102", "410105", "510104")


@dataclass(frozen=True)
class Planted:
    """A problem planted at spreadsheet ``row`` in canonical ``column``, expected as ``code``."""

    row: int
    column: str
    code: str


def default_addresses(
    estate: str = "西渚花苑", *, buildings: int = 12, units: int = 2, floors: int = 6, per_floor: int = 2
) -> list[ParsedAddress]:
    """Every room of an estate of identical buildings, e.g. 西渚花苑 1–12幢, 1–2单元, 101–602."""
    return [
        ParsedAddress(estate, str(b), str(u), f"{f}{r:02d}", f)
        for b in range(1, buildings + 1)
        for u in range(1, units + 1)
        for f in range(1, floors + 1)
        for r in range(1, per_floor + 1)
    ]


def row_number(index: int) -> int:
    """The spreadsheet row of data row ``index`` (0-based), counting the title, header and blank row."""
    return FIRST_DATA_ROW + index + (1 if index > BLANK_AFTER else 0)


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@dataclass
class _Person:
    name: str
    male: bool
    birth: dt.date
    id_number: str  # as written in the sheet (may be legacy 15-digit, lower-case x, full-width …)
    canonical_id: str
    relationship: str


class _Generator:
    def __init__(
        self, rng: random.Random, addresses: Sequence[ParsedAddress], regions: Sequence[str] = REGIONS
    ) -> None:
        self.regions = tuple(regions)
        self.rng = rng
        self.addresses = addresses
        self.used: set[str] = set()

    # -- people ----------------------------------------------------------------------------------

    def name(self) -> str:
        r = self.rng
        given = "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))
        name = r.choice(SURNAMES) + given
        roll = r.random()
        if len(name) == 2 and roll < 0.2:
            return name[0] + "\u3000" + name[1]  # aligned with a full-width space
        if roll > 0.95:
            return " " + name + "  "
        return name

    def birth(self, low: int, high: int) -> dt.date:
        year = self.rng.randint(low, high)
        return dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def new_id(self, birth: dt.date, male: bool) -> tuple[str, str]:
        """(as written, canonical) — unique across the file."""
        r = self.rng
        while True:
            region = r.choice(self.regions)
            sequence = r.randrange(0, 1000)
            if sequence % 2 != int(male):
                sequence = (sequence + 1) % 1000
            value = idnumber.make(region, birth, sequence)
            if value not in self.used:
                self.used.add(value)
                break
        roll = r.random()
        if roll < 0.03 and birth.year < 2000:
            return f"{region}{birth:%y%m%d}{sequence:03d}", value  # legacy 15-digit
        if roll < 0.06:
            return _full_width(value), value
        if roll < 0.08:
            return f"{value[:6]} {value[6:14]} {value[14:]}", value
        if value.endswith("X") and roll < 0.5:
            return value[:-1] + "x", value
        return value, value

    def person(self, relationship: str, male: bool, low: int, high: int) -> _Person:
        birth = self.birth(low, high)
        written, canonical = self.new_id(birth, male)
        return _Person(self.name(), male, birth, written, canonical, relationship)

    def household(self) -> list[_Person]:
        r = self.rng
        head_male = r.random() < 0.7
        head = self.person(r.choice(("户主", "户主", "本人")), head_male, 1940, 1995)
        members = [head]
        size = r.choice((1, 2, 2, 3, 3, 3, 4, 4))
        if size >= 2:
            word = r.choice(("妻", "妻子", "配偶")) if head_male else r.choice(("夫", "丈夫", "配偶"))
            members.append(self.person(word, not head_male, head.birth.year - 3, min(head.birth.year + 3, 2000)))
        for n in range(size - 2):
            male = r.random() < 0.5
            low = min(head.birth.year + 20, 2023)
            if head.birth.year < 1960 and n == 1:
                members.append(self.person(r.choice(("孙子", "外孙女", "孙女")), male, max(low, 2000), 2023))
                continue
            word = r.choice(("儿子", "长子", "子")) if male else r.choice(("女儿", "次女", "女"))
            members.append(self.person(word, male, low, min(head.birth.year + 40, 2023)))
        return members

    # -- cells -----------------------------------------------------------------------------------

    def date_cell(self, date: dt.date, *, month_only_ok: bool = False) -> object:
        r = self.rng
        forms: list[Callable[[], object]] = [
            lambda: dt.datetime(date.year, date.month, date.day),
            lambda: (date - dt.date(1899, 12, 30)).days,  # Excel serial
            lambda: f"{date.year}年{date.month}月{date.day}日",
            lambda: f"{date.year}.{date.month}.{date.day}",
            lambda: date.isoformat(),
            lambda: f"{date.year}/{date.month}/{date.day}",
            lambda: f"{date:%Y%m%d}",
            lambda: _full_width(f"{date.year}.{date.month}.{date.day}"),
        ]
        if month_only_ok:
            forms.append(lambda: f"{date.year}年{date.month}月")
        return r.choice(forms)()

    def phone_cell(self) -> object:
        r = self.rng
        mobile = f"1{r.choice('3456789')}{r.randrange(10**9):09d}"
        return r.choice(
            (
                mobile,
                mobile,
                int(mobile),
                f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
                f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                f"0512-6{r.randrange(10**6, 10**7)}",
                None,
            )
        )

    def address_cell(self, a: ParsedAddress) -> str:
        r = self.rng
        if not a.unit:
            return r.choice((f"{a.estate}{a.building}幢{a.room}室", f"{a.estate}{a.building}-{a.room}"))
        return r.choice(
            (
                f"{a.estate}{a.building}幢{a.unit}单元{a.room}室",
                f"{a.estate}{a.building}幢{a.unit}单元{a.room}室",
                f"{a.estate}{a.building}号楼{a.unit}单元{a.room}",
                f"{a.estate}{a.building}栋{a.unit}-{a.room}",
                f"{a.estate} {a.building}-{a.unit}-{a.room}",
                f"苏州市高新区东渚街道{a.estate}{a.building}幢{a.unit}单元{a.room}室",
                f"{a.estate}{_full_width(a.building)}幢{_full_width(a.unit)}单元{_full_width(a.room)}室",
            )
        )

    def row(self, p: _Person, address: ParsedAddress, moved_in: dt.date) -> list[object]:
        r = self.rng
        gender = r.choice(("男", "男", "男性", "M")) if p.male else r.choice(("女", "女", "女性", "F"))
        birth_cell = self.date_cell(p.birth, month_only_ok=True) if r.random() < 0.9 else None
        tags = r.choice(
            ("",) * 12 + ("党员", "党员、低保", "退役军人,残疾人二级", "低保边缘；重点关爱", "特困", "独居老人")
        )
        return [
            None,  # 序号, filled in by the writer
            p.name,
            gender if r.random() < 0.95 else None,
            p.id_number,
            birth_cell,
            r.choice(("汉族", "汉族", "汉族", "汉", "回族", "满")),
            self.phone_cell(),
            r.choice(("户籍", "户籍", "常住", "流动", "外来人口", None)),
            p.relationship,
            self.address_cell(address),
            self.date_cell(max(moved_in, p.birth)) if r.random() < 0.7 else None,
            r.choice(("在住", "在住", "在住", "外出", None)),
            tags or None,
            r.choice((None,) * 9 + ("新登记",)),
        ]


# -- planted problems ------------------------------------------------------------------------------

Mutation = Callable[[list[object], random.Random], None]


def _set(column: str, *choices: object) -> Mutation:
    def mutate(values: list[object], rng: random.Random) -> None:
        values[COL[column]] = rng.choice(choices)

    return mutate


def _canonical_id(values: list[object]) -> str:
    return idnumber.parse(str(values[COL["id_number"]])).value


def _bad_check(values: list[object], rng: random.Random) -> None:
    value = _canonical_id(values)
    wrong = rng.choice([ch for ch in "0123456789X" if ch != value[17]])
    values[COL["id_number"]] = value[:17] + wrong


def _excel_float(values: list[object], rng: random.Random) -> None:
    value = _canonical_id(values)
    values[COL["id_number"]] = float(value[:17] + "0")  # what Excel keeps of a number cell


def _excel_scientific(values: list[object], rng: random.Random) -> None:
    values[COL["id_number"]] = f"{float(_canonical_id(values)[:17]):.5E}"


def _excel_dot_zero(values: list[object], rng: random.Random) -> None:
    values[COL["id_number"]] = _canonical_id(values)[:17] + "0.0"


def _short_id(values: list[object], rng: random.Random) -> None:
    values[COL["id_number"]] = _canonical_id(values)[:-1]


def _letter_in_id(values: list[object], rng: random.Random) -> None:
    value = _canonical_id(values)
    values[COL["id_number"]] = value[:8] + "O" + value[9:]


def _impossible_birth(values: list[object], rng: random.Random) -> None:
    value = _canonical_id(values)
    first17 = value[:6] + "19810229" + value[14:17]
    values[COL["id_number"]] = first17 + idnumber.check_char(first17)
    values[COL["birth_date"]] = None


def _birth_mismatch(values: list[object], rng: random.Random) -> None:
    birth = idnumber.parse(_canonical_id(values)).birth_date
    values[COL["birth_date"]] = (birth.replace(day=1) + dt.timedelta(days=40)).isoformat()


def _gender_mismatch(values: list[object], rng: random.Random) -> None:
    values[COL["gender"]] = "女" if idnumber.parse(_canonical_id(values)).is_male else "男"


PLANTS: tuple[tuple[str, str, Mutation], ...] = (
    ("id_number", "check_digit", _bad_check),
    ("id_number", "excel_number", _excel_float),
    ("id_number", "excel_number", _excel_scientific),
    ("id_number", "excel_number", _excel_dot_zero),
    ("id_number", "length", _short_id),
    ("id_number", "characters", _letter_in_id),
    ("id_number", "birth_date", _impossible_birth),
    ("id_number", "required", _set("id_number", None, "  ")),
    ("name", "required", _set("name", None, "\u3000")),
    ("birth_date", "date", _set("birth_date", "1980年13月5日", "1980.2.30", "80.3.5", "不详", "1980-03-05x")),
    ("birth_date", "birth_date_mismatch", _birth_mismatch),
    ("gender", "gender", _set("gender", "未知", "男女", "?")),
    ("gender", "gender_mismatch", _gender_mismatch),
    ("phone", "phone", _set("phone", "1381234567", "12345678901", "138-1234-56789", "13812345678/13912345678")),
    ("ethnicity", "ethnicity", _set("ethnicity", "汉人", "火星族")),
    ("residence_type", "residence_type", _set("residence_type", "农业", "不详")),
    ("relationship", "relationship", _set("relationship", "邻居", "ABC", "？")),
    ("address", "address", _set("address", "西渚花苑地下一层", "西渚花苑B1", "西渚花苑", "门卫室")),
    ("moved_in", "date", _set("moved_in", "2015年13月1日", "2099-01-01", "去年", "2015-02-30")),
    ("status", "status", _set("status", "失联", "不详")),
    ("tags", "tags", _set("tags", "网格员", "党员、志愿者")),
)
DUPLICATES = 3
PER_KIND = 2


@dataclass
class _Plan:
    mutations: dict[int, Mutation]
    duplicates: dict[int, int]  # later data index → earlier data index
    planted: list[Planted]


def _plan(rows: int, rng: random.Random, clean: bool) -> _Plan:
    if clean or rows < 20:
        return _Plan({}, {}, [])
    indices = rng.sample(range(1, rows), PER_KIND * len(PLANTS) + DUPLICATES)
    mutations: dict[int, Mutation] = {}
    planted: list[Planted] = []
    for n, (column, code, mutate) in enumerate(PLANTS * PER_KIND):
        mutations[indices[n]] = mutate
        planted.append(Planted(row_number(indices[n]), column, code))
    duplicates: dict[int, int] = {}
    taken = set(indices)
    for later in indices[len(PLANTS) * PER_KIND :]:
        earlier = rng.choice([i for i in range(max(0, later - 200), later) if i not in taken] or [0])
        duplicates[later] = earlier
        taken.add(earlier)
        planted.append(Planted(row_number(later), "id_number", "duplicate_in_file"))
    return _Plan(mutations, duplicates, sorted(planted, key=lambda p: p.row))


def _rows(
    rows: int, *, seed: int, clean: bool, addresses: Sequence[ParsedAddress] | None, regions: Sequence[str] = REGIONS
) -> tuple[Iterator[list[object]], list[Planted]]:
    """The sheet's rows (title, header, data with one blank row) and the planted problems."""
    rng = random.Random(seed)
    plan = _plan(rows, rng, clean)
    gen = _Generator(rng, addresses or default_addresses(), regions)
    keep = set(plan.duplicates.values())

    def produce() -> Iterator[list[object]]:
        yield [TITLE] + [None] * (len(HEADERS) - 1)
        yield list(HEADERS)
        kept: dict[int, list[object]] = {}
        index = 0
        room = 0
        while index < rows:
            address = gen.addresses[room % len(gen.addresses)]
            room += 1
            moved_in = gen.birth(1995, TODAY.year - 1)
            for person in gen.household():
                if index >= rows:
                    break
                if index in plan.duplicates:
                    values = list(kept[plan.duplicates[index]])  # the same person entered twice
                else:
                    values = gen.row(person, address, moved_in)
                    mutate = plan.mutations.get(index)
                    if mutate is not None:
                        mutate(values, rng)
                if index in keep:
                    kept[index] = values
                values[0] = index + 1
                yield values
                if index == BLANK_AFTER:
                    yield []
                index += 1

    return produce(), plan.planted


def write_xlsx(
    path: str | Path,
    rows: int = 2000,
    *,
    seed: int = 11643,
    clean: bool = False,
    addresses: Sequence[ParsedAddress] | None = None,
    regions: Sequence[str] = REGIONS,
) -> list[Planted]:
    """Write the messy register as ``.xlsx`` (write-only, so 100,000 rows stay fast).

    ``regions`` are the address codes drawn for identity numbers (a benchmark passes codes
    the demo data does not use, so the import does not collide with it)."""
    produced, planted = _rows(rows, seed=seed, clean=clean, addresses=addresses, regions=regions)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("居民信息")
    for values in produced:
        sheet.append(values)
    workbook.save(path)
    return planted


def _csv_cell(value: object) -> str:
    """What Excel's "save as CSV" writes for a cell: dates formatted, long numbers scientific."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, float):
        return f"{value:.5E}" if value >= 1e15 else repr(value)
    return str(value)


def write_csv(
    path: str | Path,
    rows: int = 2000,
    *,
    seed: int = 11643,
    clean: bool = False,
    addresses: Sequence[ParsedAddress] | None = None,
    encoding: str = "gbk",
    delimiter: str = ",",
) -> list[Planted]:
    """Write the messy register as CSV (GBK by default, as Excel on Chinese Windows saves it)."""
    produced, planted = _rows(rows, seed=seed, clean=clean, addresses=addresses)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for values in produced:
            if values and isinstance(values[COL["birth_date"]], int):
                # An Excel serial only means a date inside a workbook; CSV shows the formatted date.
                serial = values[COL["birth_date"]]
                assert isinstance(serial, int)
                values[COL["birth_date"]] = dt.date(1899, 12, 30) + dt.timedelta(days=serial)
            if values and isinstance(values[COL["moved_in"]], int):
                serial = values[COL["moved_in"]]
                assert isinstance(serial, int)
                values[COL["moved_in"]] = dt.date(1899, 12, 30) + dt.timedelta(days=serial)
            writer.writerow([_csv_cell(v) for v in values])
    return planted
