import datetime as dt

import pytest

from jingzhi.core import idnumber


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014", "53010219200508011X"])
def test_published_examples_are_valid(value: str) -> None:
    assert idnumber.is_valid(value)


def test_parse_reads_birth_date_and_sex() -> None:
    parsed = idnumber.parse("11010519491231002X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.is_male is False
    assert parsed.region == "110105"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("110105194902310026", "birth_date"),
        ("11010519491231", "length"),
        ("1101051949123100AX", "characters"),
    ],
)
def test_invalid_numbers_say_why(value: str, code: str) -> None:
    with pytest.raises(idnumber.IdNumberError) as info:
        idnumber.parse(value)
    assert info.value.code == code


def test_full_width_lower_case_and_spaces_are_normalised() -> None:
    assert idnumber.parse("１１０１０５ 19491231002ｘ").value == "11010519491231002X"


def test_fifteen_digit_legacy_numbers_are_converted() -> None:
    assert idnumber.parse("110105491231002").value == "110105194912310021"[:17] + idnumber.check_char(
        "11010519491231002"
    )


def test_make_builds_valid_numbers_with_the_sex_digit() -> None:
    value = idnumber.make("320505", dt.date(1980, 3, 5), 13)
    assert idnumber.parse(value).is_male
    assert not idnumber.parse(idnumber.make("320505", dt.date(1980, 3, 5), 14)).is_male
