"""Address parsing into estate / building / unit / room, and back."""

from __future__ import annotations

import pytest

from jingzhi.registry.importing.address import (
    ParsedAddress,
    floor_of,
    format_address,
    parse_address,
    parse_building,
    parse_room,
    parse_unit,
)
from jingzhi.registry.importing.problems import CellProblem

EXPECTED = ParsedAddress("西渚花苑", "3", "2", "501", 5)


@pytest.mark.parametrize(
    "text",
    [
        "西渚花苑3幢2单元501室",
        "西渚花苑3号楼2单元501",
        "西渚花苑3栋2-501",
        "西渚花苑 3-2-501",
        "西渚花苑3#2单元501室",
        "苏州市高新区东渚街道西渚花苑3幢2单元501室",
        "江苏省苏州市虎丘区西渚社区西渚花苑3幢2单元501室",
        "西渚花苑３幢２单元５０１室",
        "西渚花苑三幢二单元501室",
        " 西渚花苑 3幢 2单元 501室 ",
        "西渚花苑3—2—501",
    ],
)
def test_address_variants(text):
    assert parse_address(text) == EXPECTED


def test_buildings_without_units_letters_and_basements():
    assert parse_address("西渚花苑3幢501室") == ParsedAddress("西渚花苑", "3", "", "501", 5)
    assert parse_address("西渚花苑12-1203") == ParsedAddress("西渚花苑", "12", "", "1203", 12)
    assert parse_address("金色小区A座B101") == ParsedAddress("金色小区", "A", "", "B101", -1)
    assert parse_address("西渚花苑二期12#1单元602").estate == "西渚花苑二期"


def test_known_estates_beat_the_prefix_heuristic():
    # 新区花园 looks like district 新区 + 花园 to the heuristic; the community's own list knows better.
    assert parse_address("新区花园3幢2单元501室").estate == "花园"
    assert parse_address("新区花园3幢2单元501室", known_estates=["新区花园"]).estate == "新区花园"


def test_a_new_estate_whose_name_extends_a_known_one():
    # 西渚 is known; 西渚东苑 is new: the known name inside it must not leave "东苑3-2-501" unread.
    parsed = parse_address("西渚东苑3-2-501", known_estates=["西渚", "花园"])
    assert (parsed.estate, parsed.building, parsed.unit, parsed.room) == ("西渚东苑", "3", "2", "501")
    assert parse_address("西渚3-2-501", known_estates=["西渚"]).estate == "西渚"


def test_default_estate_for_addresses_that_start_at_the_building():
    assert parse_address("3-2-501", default_estate="西渚花苑") == EXPECTED
    with pytest.raises(CellProblem) as caught:
        parse_address("3-2-501")
    assert caught.value.code == "address"


@pytest.mark.parametrize("text", ["西渚花苑地下一层", "西渚花苑B1", "西渚花苑", "门卫室", "西渚花苑3幢"])
def test_unparseable_addresses(text):
    with pytest.raises(CellProblem) as caught:
        parse_address(text)
    assert caught.value.code == "address"


def test_empty_address_is_required():
    with pytest.raises(CellProblem) as caught:
        parse_address("  ")
    assert caught.value.code == "required"


def test_floor_from_room_number():
    assert [floor_of(r) for r in ("501", "1203", "B101", "12", "0501", "B1")] == [5, 12, -1, None, 5, None]


def test_format_is_the_inverse_of_parse():
    for address in (EXPECTED, ParsedAddress("西渚花苑", "3", "", "501", 5)):
        assert parse_address(format_address(address)) == address
    assert format_address(EXPECTED) == "西渚花苑3幢2单元501室"


def test_separate_place_cells():
    assert [parse_building(v) for v in ("3", "3幢", "3号楼", "三栋", 3, 3.0)] == ["3"] * 6
    assert [parse_unit(v) for v in ("2", "2单元", "二单元", None)] == ["2", "2", "2", ""]
    assert [parse_room(v) for v in ("501", "501室", 501)] == ["501"] * 3
    with pytest.raises(CellProblem) as caught:
        parse_room("五楼")
    assert caught.value.code == "address"
