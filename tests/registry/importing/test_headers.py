"""Header synonyms, unknown and duplicated columns, required columns."""

from __future__ import annotations

import pytest

from jingzhi.registry.importing.headers import SYNONYMS, canonical_column, map_headers


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("姓名", "name"),
        ("名字", "name"),
        ("居民姓名", "name"),
        ("身份证号", "id_number"),
        ("公民身份号码", "id_number"),
        ("证件号码", "id_number"),
        (" 身份证 号码 ", "id_number"),
        ("身份证号码（18位）", "id_number"),
        ("*姓名", "name"),
        ("联系电话", "phone"),
        ("手机", "phone"),
        ("联系方式", "phone"),
        ("出生年月", "birth_date"),
        ("户口性质", "residence_type"),
        ("与户主关系", "relationship"),
        ("现住址", "address"),
        ("幢", "building"),
        ("门牌号", "room"),
        ("入住日期", "moved_in"),
        ("居住状态", "status"),
        ("人员类别", "tags"),
        ("Name", "name"),
        ("ID_NUMBER", "id_number"),
        ("ｎａｍｅ", "name"),
    ],
)
def test_synonyms_match_regardless_of_width_case_and_spaces(text, column):
    assert canonical_column(text) == column


def test_every_column_has_its_own_synonyms():
    seen: dict[str, str] = {}
    for column, names in SYNONYMS.items():
        for name in names:
            assert seen.setdefault(name, column) == column, name


def test_map_headers_locates_columns_and_ignores_unknown_ones():
    result = map_headers(["序号", "姓名", "身份证号码", "房屋地址", "车牌号", None, "备注"], row=3)
    assert {name: col.letter for name, col in result.columns.items()} == {"name": "B", "id_number": "C", "address": "D"}
    assert [(c.header, c.letter) for c in result.ignored] == [("车牌号", "E")]  # 序号 and 备注 are known noise
    assert result.problems == []
    assert result.locate("id_number") == ("身份证号码", "C")
    assert result.locate("phone") == ("phone", "")
    assert result.uses_address
    assert result.cells(["1", "张三", "X", "addr"]) == {"name": "张三", "id_number": "X", "address": "addr"}


def test_duplicated_column_is_a_problem_at_the_second_header():
    result = map_headers(["姓名", "身份证号", "手机", "联系电话", "地址"], row=1)
    assert result.columns["phone"].header == "手机"
    [problem] = result.problems
    assert (problem.row, problem.column, problem.letter, problem.code) == (1, "联系电话", "D", "duplicate_column")


def test_required_columns():
    result = map_headers(["姓名", "电话"])
    assert sorted((p.column, p.code) for p in result.problems) == [
        ("building", "missing_column"),
        ("estate", "missing_column"),
        ("id_number", "missing_column"),
        ("room", "missing_column"),
    ]


def test_split_place_columns_replace_the_address():
    result = map_headers(["姓名", "身份证号", "小区", "楼号", "单元", "房号"])
    assert result.problems == []
    assert not result.uses_address
