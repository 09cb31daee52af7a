"""Each cell normaliser: what it accepts, and the code it reports for what it cannot."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhi.core import idnumber
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.importing import cells
from jingzhi.registry.importing.problems import CellProblem
from jingzhi.registry.importing.text import chinese_number, clean_text

TODAY = dt.date(2026, 1, 1)
VALID = "11010519491231002X"  # the standard's own example
VALID_DIGITS = "440524188001010014"


def code_of(parse, value) -> str:
    with pytest.raises(CellProblem) as caught:
        parse(value)
    return caught.value.code


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  张三  ", "张三"),
        ("ＡＢＣ１２３", "ABC123"),
        ("a\u3000\u3000b", "a b"),
        ("a \t\n b", "a b"),
        (501.0, "501"),
        (None, ""),
    ],
)
def test_clean_text_normalises_width_and_spaces(raw, clean):
    assert clean_text(raw) == clean


def test_chinese_numbers_up_to_ninety_nine():
    assert [chinese_number(t) for t in ("三", "十", "十二", "二十", "二十三", "两")] == [3, 10, 12, 20, 23, 2]
    assert chinese_number("三元") is None


def test_name_removes_alignment_spaces_inside_chinese_names():
    assert cells.parse_name("张\u3000三") == "张三"
    assert cells.parse_name(" 欧阳 小明 ") == "欧阳小明"
    assert cells.parse_name("John  Smith") == "John Smith"
    assert code_of(cells.parse_name, "\u3000") == "required"
    assert code_of(cells.parse_name, "张" * 65) == "too_long"


# --- identity numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        " 110105 19491231 002X ",
        "'11010519491231002X",
    ],
)
def test_id_number_accepts_width_case_spaces_and_apostrophe(raw):
    assert cells.parse_id_number(raw, today=TODAY).value == VALID


def test_id_number_converts_legacy_fifteen_digits():
    legacy = "440524800101001"
    parsed = cells.parse_id_number(legacy, today=TODAY)
    assert parsed.value == idnumber.make("440524", dt.date(1980, 1, 1), 1)


def test_id_number_as_exact_int_is_accepted():
    assert cells.parse_id_number(int(VALID_DIGITS), today=TODAY).value == VALID_DIGITS
    # a 15-digit legacy number is exact even as a float
    assert cells.parse_id_number(440524800101001.0, today=TODAY).birth_date == dt.date(1980, 1, 1)


@pytest.mark.parametrize(
    "raw",
    [
        3.20505198003051e17,  # the float Excel keeps
        float(VALID_DIGITS),
        "3.20505E+17",
        "3.20505e17",
        "320505198003051234.0",
        "４４０５２４１８８００１０１００１４.0",
        440524188001010000,  # Excel padded the lost digits with zeros
    ],
)
def test_id_number_damaged_by_excel_is_reported_as_excel_number(raw):
    assert code_of(lambda v: cells.parse_id_number(v, today=TODAY), raw) == "excel_number"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100211", "length"),
        ("11010519491231O02X", "characters"),
        ("110105194902310026", "birth_date"),
        ("110105194912310021", "check_digit"),
        (VALID_DIGITS[:-1] + "5", "check_digit"),
        (None, "required"),
        ("   ", "required"),
    ],
)
def test_id_number_problems_carry_the_idnumber_codes(raw, code):
    assert code_of(lambda v: cells.parse_id_number(v, today=TODAY), raw) == code


def test_id_number_messages_do_not_repeat_the_number():
    with pytest.raises(CellProblem) as caught:
        cells.parse_id_number("110105194912310021", today=TODAY)
    assert "110105194912310021" not in caught.value.message
    assert "X" in caught.value.message  # names the expected check character


def test_id_number_birth_in_the_future_is_implausible():
    future = idnumber.make("320505", dt.date(2026, 6, 1), 1)
    assert code_of(lambda v: cells.parse_id_number(v, today=TODAY), future) == "birth_date"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        dt.date(1980, 3, 5),
        dt.datetime(1980, 3, 5, 0, 0),
        29285,  # Excel serial
        29285.75,  # serial with a time of day
        "1980年3月5日",
        "1980 年 3 月 5 日",
        "1980.3.5",
        "1980-03-05",
        "1980/3/5",
        "19800305",
        19800305,
        "１９８０．３．５",
        "1980-03-05 00:00:00",
    ],
)
def test_dates_in_every_common_format(raw):
    assert cells.parse_date(raw, today=TODAY) == dt.date(1980, 3, 5)


def test_excel_serials_follow_the_1900_date_system():
    assert cells.parse_date(1, today=TODAY) == dt.date(1900, 1, 1)
    assert cells.parse_date(59, today=TODAY) == dt.date(1900, 2, 28)
    assert cells.parse_date(61, today=TODAY) == dt.date(1900, 3, 1)
    assert code_of(lambda v: cells.parse_date(v, today=TODAY), 60) == "date"  # Lotus's 1900-02-29


def test_year_and_month_only():
    parts = cells.parse_partial_date("1980年3月", today=TODAY)
    assert parts is not None and (parts.year, parts.month, parts.day) == (1980, 3, None)
    assert parts.matches(dt.date(1980, 3, 5)) and not parts.matches(dt.date(1980, 4, 5))
    assert cells.parse_date("2015.06", today=TODAY, day_required=False) == dt.date(2015, 6, 1)
    assert code_of(lambda v: cells.parse_date(v, today=TODAY), "1980年3月") == "date"


@pytest.mark.parametrize(
    "raw",
    ["1980年13月5日", "1980.2.30", "80.3.5", "不详", "1980-03-05x", "2099-01-01", "1869-12-31", 0, -5, 3_000_000, True],
)
def test_bad_dates_are_reported_as_date(raw):
    assert code_of(lambda v: cells.parse_date(v, today=TODAY), raw) == "date"


def test_empty_date_is_none():
    assert cells.parse_date(None, today=TODAY) is None
    assert cells.parse_date("  ", today=TODAY) is None


# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0512-66881234", "0512-66881234"),
        ("051266881234", "0512-66881234"),
        ("(0512) 6688 1234", "0512-66881234"),
        ("010-62345678", "010-62345678"),
        (None, ""),
        ("", ""),
    ],
)
def test_phone_numbers_are_normalised(raw, clean):
    assert cells.parse_phone(raw) == clean


@pytest.mark.parametrize(
    "raw", ["1381234567", "12345678901", "138-1234-56789", "13812345678/13912345678", "66881234", "abc"]
)
def test_bad_phone_numbers(raw):
    assert code_of(cells.parse_phone, raw) == "phone"


# --- enumerations ---------------------------------------------------------------------------


def test_gender():
    assert [cells.parse_gender(v) for v in ("男", "女", "M", "f", "Male", "FEMALE", "男性", None)] == [
        Gender.MALE,
        Gender.FEMALE,
        Gender.MALE,
        Gender.FEMALE,
        Gender.MALE,
        Gender.FEMALE,
        Gender.MALE,
        None,
    ]
    assert code_of(cells.parse_gender, "未知") == "gender"


def test_ethnicity_is_written_in_full():
    assert cells.parse_ethnicity("汉") == "汉族"
    assert cells.parse_ethnicity(" 维吾尔族 ") == "维吾尔族"
    assert cells.parse_ethnicity(None) == ""
    assert len(cells.ETHNIC_GROUPS) == 58
    assert code_of(cells.parse_ethnicity, "汉人") == "ethnicity"


def test_residence_type():
    assert cells.parse_residence_type("户籍") == ResidenceType.REGISTERED
    assert cells.parse_residence_type("常住人口") == ResidenceType.PERMANENT
    assert cells.parse_residence_type("外来人口") == ResidenceType.FLOATING
    assert cells.parse_residence_type("") is None
    assert code_of(cells.parse_residence_type, "农业") == "residence_type"


@pytest.mark.parametrize(
    ("raw", "relationship"),
    [
        ("户主", Relationship.HEAD),
        ("本人", Relationship.HEAD),
        ("配偶", Relationship.SPOUSE),
        ("妻", Relationship.SPOUSE),
        ("丈夫", Relationship.SPOUSE),
        ("户主之妻", Relationship.SPOUSE),
        ("子", Relationship.CHILD),
        ("女儿", Relationship.CHILD),
        ("长子", Relationship.CHILD),
        ("次女", Relationship.CHILD),
        ("三子", Relationship.CHILD),
        ("父亲", Relationship.PARENT),
        ("母", Relationship.PARENT),
        ("孙子", Relationship.GRANDCHILD),
        ("外孙女", Relationship.GRANDCHILD),
        ("弟", Relationship.SIBLING),
        ("姐姐", Relationship.SIBLING),
        ("租客", Relationship.TENANT),
        ("承租人", Relationship.TENANT),
        ("儿媳", Relationship.OTHER),
        ("女婿", Relationship.OTHER),
        ("其他", Relationship.OTHER),
        (None, None),
    ],
)
def test_relationship(raw, relationship):
    assert cells.parse_relationship(raw) == relationship


@pytest.mark.parametrize("raw", ["邻居", "ABC", "？"])
def test_unknown_relationship_text(raw):
    assert code_of(cells.parse_relationship, raw) == "relationship"


def test_status():
    assert [cells.parse_status(v) for v in ("在住", "外出", "迁出", "死亡", "已故", None)] == [
        ResidentStatus.PRESENT,
        ResidentStatus.AWAY,
        ResidentStatus.MOVED_OUT,
        ResidentStatus.DECEASED,
        ResidentStatus.DECEASED,
        None,
    ]
    assert code_of(cells.parse_status, "失联") == "status"


def test_tags_with_every_separator_and_grade():
    tags = cells.parse_tags("党员、退役军人,残疾人（二级）；低保边缘;特困 重点关爱，低保")
    assert tags.codes == {
        TagCode.PARTY_MEMBER,
        TagCode.VETERAN,
        TagCode.DISABLED,
        TagCode.DIBIAN,
        TagCode.TEKUN,
        TagCode.KEY_CARE,
        TagCode.DIBAO,
    }
    assert tags.disability_grade == 2
    assert cells.parse_tags("低边").codes == {TagCode.DIBIAN}
    assert cells.parse_tags("独居老人").codes == frozenset()  # derived by the register, not stored
    assert cells.parse_tags(None).codes == frozenset()
    assert code_of(cells.parse_tags, "党员、志愿者") == "tags"
