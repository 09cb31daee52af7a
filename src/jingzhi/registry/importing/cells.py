"""Normalisers for one cell each: return a clean value or raise :class:`CellProblem`.

Every normaliser accepts what openpyxl or the CSV reader hands over (``str``, ``int``,
``float``, ``datetime``, ``None``) and is forgiving about width, spaces and punctuation,
strict about meaning: a value it cannot read with certainty is a problem, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from jingzhi.core import idnumber
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.importing.problems import CellProblem
from jingzhi.registry.importing.text import chinese_number, clean_text, join_cjk

NAME_MAX = 64
EARLIEST_DATE = dt.date(1870, 1, 1)


def local_today() -> dt.date:
    """Dates in the sheet are local (Asia/Shanghai) calendar dates."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _shown(text: str) -> str:
    """The value as quoted back in a message, cut so one bad cell cannot flood the report."""
    return text if len(text) <= 40 else text[:39] + "…"


def _required() -> CellProblem:
    return CellProblem("required", str(_("This cell is required but empty.")))


# --- text -------------------------------------------------------------------------------------


def parse_name(value: object) -> str:
    """A person's name: width and spaces normalised, spaces inside a Chinese name removed."""
    name = join_cjk(clean_text(value))
    if not name:
        raise _required()
    if len(name) > NAME_MAX:
        raise CellProblem(
            "too_long",
            str(
                _("A name has at most %(max)s characters; this one has %(count)s.")
                % {"max": NAME_MAX, "count": len(name)}
            ),
        )
    return name


# --- identity number --------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[0-9]+\.[0-9]*")


def _excel_number() -> CellProblem:
    return CellProblem(
        "excel_number",
        str(
            _(
                "Excel turned this identity number into a number and its last digits are lost. "
                "Format the column as text and type the number again."
            )
        ),
    )


def parse_id_number(value: object, *, today: dt.date | None = None) -> idnumber.IdNumber:
    """A GB 11643 number, detecting the damage Excel does to long numbers first.

    An ``int`` reaches us with all its digits (the file stored them exactly) and is checked like
    text; a ``float`` of more than 15 digits has lost precision and cannot be trusted, nor can
    text such as ``3.20505E+17`` or ``320505198003051234.0``.
    """
    if value is None:
        raise _required()
    from_int = False
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise _excel_number()
        value = int(value)  # a 15-digit legacy number fits a double exactly
    if isinstance(value, int) and not isinstance(value, bool):
        from_int = True
    text = clean_text(value).lstrip("'`")
    compact = "".join(text.split())
    if not compact:
        raise _required()
    if _SCIENTIFIC.fullmatch(compact) or _FLOAT_TEXT.fullmatch(compact):
        raise _excel_number()
    try:
        return idnumber.parse(compact, today=today or local_today())
    except idnumber.IdNumberError as exc:
        normalised = idnumber.normalise(compact)
        if exc.code == "check_digit" and from_int and normalised.endswith("000"):
            # Excel keeps 15 significant digits and pads with zeros: a number cell, not a typo.
            raise _excel_number() from None
        raise CellProblem(exc.code, _id_message(exc.code, normalised)) from None


def _id_message(code: str, value: str) -> str:
    # Messages name the row and column but never repeat the number: reports and --json output travel.
    if code == "length":
        return str(_("An identity number has 18 characters; this one has %(count)s.") % {"count": len(value)})
    if code == "characters":
        return str(_("An identity number has only digits, with X allowed as the last character."))
    if code == "birth_date":
        return str(
            _("The birth date %(date)s inside the identity number does not exist or is not plausible.")
            % {"date": value[6:14]}
        )
    if code == "check_digit":
        return str(
            _("The last character should be %(expected)s, not %(actual)s; check the number for a typing error.")
            % {"expected": idnumber.check_char(value[:17]), "actual": value[17:]}
        )
    return str(_("This is not a valid identity number."))


# --- dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    """A date as written; ``day`` is None for year-and-month values such as ``1980年3月`` (出生年月)."""

    year: int
    month: int
    day: int | None = None

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, self.day or 1)

    def matches(self, date: dt.date) -> bool:
        return (self.year, self.month) == (date.year, date.month) and self.day in (None, date.day)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}" + (f"-{self.day:02d}" if self.day else "")


_SEP = r"\s*(?:[./\-]|年|月)\s*"
_FULL = re.compile(r"(\d{4})" + _SEP + r"(\d{1,2})" + _SEP + r"(\d{1,2})\s*[日号]?")
_MONTH = re.compile(r"(\d{4})" + _SEP + r"(\d{1,2})\s*月?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})?")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")

# Excel's 1900 date system counts 1900-01-01 as 1 and, copying Lotus 1-2-3, has a day 60
# (1900-02-29) that never existed; serials from 61 on are one day ahead of a plain count.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def _date_problem(shown: str) -> CellProblem:
    return CellProblem(
        "date",
        str(
            _("%(value)s is not a date; write it as 1980-03-05, 1980/3/5, 1980.3.5 or 1980年3月5日.")
            % {"value": _shown(shown)}
        ),
    )


def _from_serial(serial: int) -> dt.date:
    if serial == 60:
        raise CellProblem("date", str(_("Excel date 1900-02-29 does not exist; type the real date.")))
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise _date_problem(str(serial))
    return _EXCEL_EPOCH + dt.timedelta(days=serial + (1 if serial < 60 else 0))


def _check_range(parts: PartialDate, shown: str, today: dt.date) -> PartialDate:
    try:
        first = parts.first_day()
    except ValueError:
        raise CellProblem("date", str(_("The date %(value)s does not exist.") % {"value": _shown(shown)})) from None
    if first < EARLIEST_DATE or first > today:
        raise CellProblem(
            "date",
            str(
                _("The date %(value)s is not plausible: it must lie between %(earliest)s and today.")
                % {"value": _shown(shown), "earliest": EARLIEST_DATE.isoformat()}
            ),
        )
    return parts


def parse_partial_date(value: object, *, today: dt.date | None = None) -> PartialDate | None:
    """A date, or a year and month; None for an empty cell.

    Accepts date cells, Excel serial numbers, ``1980年3月5日``, ``1980.3.5``, ``1980-03-05``,
    ``1980/3/5``, ``19800305`` (full-width digits too) and the same without the day.
    """
    today = today or local_today()
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _check_range(PartialDate(value.year, value.month, value.day), value.isoformat(), today)
    if isinstance(value, bool):
        raise _date_problem(str(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            value = int(value)  # a serial with a time of day: the date part is what counts
        number = int(value)
        if 10_000_000 <= number <= 99_999_999:  # typed as 19800305 into a number cell
            text = str(number)
            return _check_range(PartialDate(int(text[:4]), int(text[4:6]), int(text[6:])), text, today)
        date = _from_serial(number)
        return _check_range(PartialDate(date.year, date.month, date.day), str(number), today)
    text = clean_text(value)
    if not text:
        return None
    bare = _TIME.sub("", text).strip()
    for pattern in (_FULL, _COMPACT, _MONTH):
        match = pattern.fullmatch(bare)
        if match:
            year, month, day = match.group(1), match.group(2), match.group(3) if pattern is not _MONTH else None
            parts = PartialDate(int(year), int(month), int(day) if day else None)
            return _check_range(parts, text, today)
    raise _date_problem(text)


def parse_date(value: object, *, today: dt.date | None = None, day_required: bool = True) -> dt.date | None:
    """A full date, or None for an empty cell; a year-and-month is a problem unless ``day_required`` is off."""
    parts = parse_partial_date(value, today=today)
    if parts is None:
        return None
    if parts.day is None and day_required:
        raise CellProblem("date", str(_("%(value)s has no day; write the full date.") % {"value": str(parts)}))
    return parts.first_day()


# --- phone ------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")


def parse_phone(value: object) -> str:
    """An 11-digit mobile (``+86``/``0086``/``86`` dropped), or a landline kept as ``0512-66881234``; ``""`` if empty."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if not text:
        return ""
    compact = _PHONE_NOISE.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
    if compact.isdigit():
        for prefix in ("0086", "86", ""):
            if compact.startswith(prefix) and _MOBILE.fullmatch(compact[len(prefix) :]):
                return compact[len(prefix) :]
        if compact.startswith("0") and not compact.startswith("00"):
            # Area codes 010 and 02x have three digits, all others four; local numbers 7 or 8.
            area_len = 3 if compact[1] in "12" else 4
            area, local = compact[:area_len], compact[area_len:]
            if len(local) in (7, 8) and local[0] not in "01":
                return f"{area}-{local}"
    raise CellProblem(
        "phone",
        str(
            _(
                "%(value)s is not a phone number: use an 11-digit mobile number or a landline with area code such as 0512-66881234, one number per cell."
            )
            % {"value": _shown(text)}
        ),
    )


# --- enumerations -----------------------------------------------------------------------------


def _key(value: object) -> str:
    return "".join(clean_text(value).split()).lower()


def _choice_problem(code: str, text: str, allowed: str) -> CellProblem:
    return CellProblem(
        code,
        str(
            _("%(value)s is not understood here; use one of: %(allowed)s.")
            % {"value": _shown(text), "allowed": allowed}
        ),
    )


_GENDERS = {
    "男": Gender.MALE, "男性": Gender.MALE, "m": Gender.MALE, "male": Gender.MALE,
    "女": Gender.FEMALE, "女性": Gender.FEMALE, "f": Gender.FEMALE, "female": Gender.FEMALE,
}  # fmt: skip


def parse_gender(value: object) -> Gender | None:
    key = _key(value)
    if not key:
        return None
    if key in _GENDERS:
        return _GENDERS[key]
    raise _choice_problem("gender", clean_text(value), "男、女")


#: The 56 recognised ethnic groups of China, plus the two residual GB 3304 entries.
ETHNIC_GROUPS = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他",
    "外国血统中国籍人士",
]
_ETHNIC = {name: name for name in ETHNIC_GROUPS} | {name[:-1]: name for name in ETHNIC_GROUPS if name.endswith("族")}


def parse_ethnicity(value: object) -> str:
    """One of the 56 groups, written in full (``汉`` → ``汉族``); ``""`` if empty."""
    key = _key(value)
    if not key:
        return ""
    if key in _ETHNIC:
        return _ETHNIC[key]
    raise CellProblem(
        "ethnicity",
        str(
            _("%(value)s is not a recognised ethnic group, such as 汉族 or 回族.")
            % {"value": _shown(clean_text(value))}
        ),
    )


_RESIDENCE = {
    ResidenceType.REGISTERED: ("户籍", "户籍人口", "本地", "本地户籍", "本市户籍", "本地户口", "registered"),
    ResidenceType.PERMANENT: ("常住", "常住人口", "非户籍常住", "permanent"),
    ResidenceType.FLOATING: (
        "流动",
        "流动人口",
        "外来",
        "外来人口",
        "暂住",
        "暂住人口",
        "外地",
        "外地户籍",
        "floating",
    ),
}
_RESIDENCE_KEYS = {text: kind for kind, texts in _RESIDENCE.items() for text in texts}


def parse_residence_type(value: object) -> ResidenceType | None:
    key = _key(value)
    if not key:
        return None
    if key in _RESIDENCE_KEYS:
        return _RESIDENCE_KEYS[key]
    raise _choice_problem("residence_type", clean_text(value), "户籍、常住、流动")


_RELATIONS = {
    Relationship.HEAD: "户主 本人 户主本人 head",
    Relationship.SPOUSE: "配偶 妻 夫 妻子 丈夫 爱人 老婆 老公 spouse",
    Relationship.CHILD: "子 女 儿 儿子 女儿 子女 孩子 独生子 独生女 养子 养女 继子 继女 child",
    Relationship.PARENT: "父亲 母亲 父 母 父母 爸爸 妈妈 养父 养母 继父 继母 parent",
    Relationship.GRANDCHILD: "孙 孙子 孙女 外孙 外孙子 外孙女 曾孙 曾孙女 grandchild",
    Relationship.SIBLING: "兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹 兄弟 姐妹 兄弟姐妹 sibling",
    Relationship.TENANT: "租客 租户 承租人 房客 租住 tenant",
    Relationship.OTHER: (
        "其他 其它 其他亲属 亲属 非亲属 儿媳 媳妇 女婿 岳父 岳母 公公 婆婆 祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆 "
        "侄子 侄女 外甥 外甥女 叔叔 伯伯 舅舅 姑姑 阿姨 嫂子 弟媳 姐夫 妹夫 保姆 朋友 同事 同住 同住人 借住 other"
    ),
}
_RELATION_KEYS = {text: rel for rel, texts in _RELATIONS.items() for text in texts.split()}
# 长子, 次女, 三子, 第二子…: children numbered by birth order.
_NUMBERED_CHILD = re.compile(r"(?:第?[长次一二三四五六七八九\d])(?:子|女|儿子|女儿)")
# 户主之妻, 户主的儿子, 之女: the relation named relative to the head.
_OF_HEAD = re.compile(r"^(?:户主)?(?:之|的)")


def parse_relationship(value: object) -> Relationship | None:
    """Relationship to the head of household; family words outside the vocabulary become ``other``."""
    key = _key(value)
    if not key:
        return None
    key = _OF_HEAD.sub("", key) or key
    if key in _RELATION_KEYS:
        return _RELATION_KEYS[key]
    if _NUMBERED_CHILD.fullmatch(key):
        return Relationship.CHILD
    raise _choice_problem(
        "relationship", clean_text(value), "户主、配偶、子、女、父亲、母亲、孙子、孙女、兄弟姐妹、租客、其他"
    )


_STATUSES = {
    ResidentStatus.PRESENT: "在住 在家 常住 正常 居住 present",
    ResidentStatus.AWAY: "外出 暂离 离开 外出务工 务工 外地务工 住院 旅游 探亲 在外 away",
    ResidentStatus.MOVED_OUT: "迁出 已迁出 搬走 已搬走 搬离 moved_out",
    ResidentStatus.DECEASED: "死亡 已故 去世 已去世 过世 亡故 deceased",
}
_STATUS_KEYS = {text: status for status, texts in _STATUSES.items() for text in texts.split()}


def parse_status(value: object) -> ResidentStatus | None:
    key = _key(value)
    if not key:
        return None
    if key in _STATUS_KEYS:
        return _STATUS_KEYS[key]
    raise _choice_problem("status", clean_text(value), "在住、外出、迁出、死亡")


# --- tags -------------------------------------------------------------------------------------

_TAGS = {
    TagCode.PARTY_MEMBER: "党员 中共党员 共产党员 预备党员",
    TagCode.VETERAN: "退役军人 复员军人 转业军人 退伍军人",
    TagCode.DISABLED: "残疾人 残疾 残障",
    TagCode.DIBAO: "低保 低保户 低保对象",
    TagCode.TEKUN: "特困 特困人员 特困供养 五保",
    TagCode.DIBIAN: "低边 低保边缘 低保边缘户",
    TagCode.KEY_CARE: "重点关爱 重点关爱对象 关爱对象 重点关注",
}
_TAG_KEYS = {text: tag for tag, texts in _TAGS.items() for text in texts.split()} | {t.value: t for t in TagCode}
# Tags the register derives itself (age, living alone, minors): accepted and not stored.
_DERIVED_TAGS = frozenset(
    ["老人", "老年人", "高龄", "高龄老人", "独居", "独居老人", "空巢", "空巢老人", "未成年人", "未成年", "儿童"]
)
_TAG_SPLIT = re.compile(r"[,;、/|\s]+")
_DISABILITY = re.compile(r"(?:.*残疾人?|残障)(?:[一二三四1-4]级)?")
_GRADE = re.compile(r"([一二三四1-4])级")


@dataclass(frozen=True)
class Tags:
    codes: frozenset[TagCode]
    disability_grade: int | None = None


def parse_tags(value: object) -> Tags:
    """Tags separated by commas, 、 or semicolons; a disability may carry its grade (残疾人二级)."""
    text = clean_text(value)
    codes: set[TagCode] = set()
    grade: int | None = None
    unknown: list[str] = []
    for raw in _TAG_SPLIT.split(text):
        item = raw.strip("()")
        if not item or item in _DERIVED_TAGS:
            continue
        if item in _TAG_KEYS:
            codes.add(_TAG_KEYS[item])
        elif _DISABILITY.fullmatch(item.replace("(", "").replace(")", "")):
            codes.add(TagCode.DISABLED)
            found = _GRADE.search(item)
            if found:
                grade = chinese_number(found.group(1)) or int(found.group(1))
        else:
            unknown.append(raw)
    if unknown:
        raise CellProblem(
            "tags",
            str(
                _("Unknown tags: %(tags)s. Known tags are 党员、退役军人、残疾人、低保、特困、低边、重点关爱.")
                % {"tags": _shown("、".join(unknown))}
            ),
        )
    return Tags(frozenset(codes), grade)
