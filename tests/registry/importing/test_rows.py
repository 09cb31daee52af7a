"""Row validation: clean records, cross-checks against the identity number, duplicates in a file."""

from __future__ import annotations

import datetime as dt

from jingzhi.core import idnumber
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode
from jingzhi.registry.importing import FileValidator, ParsedAddress, map_headers, validate_row
from jingzhi.registry.importing.reader import SourceRow

TODAY = dt.date(2026, 1, 1)
MAN = idnumber.make("320505", dt.date(1980, 3, 5), 123)
WOMAN = idnumber.make("320505", dt.date(1985, 7, 1), 124)


def row(**cells: object) -> dict[str, object]:
    return {"name": "张三", "id_number": MAN, "address": "西渚花苑3幢2单元501室", **cells}


def test_a_clean_row_becomes_a_record():
    record, problems = validate_row(
        row(
            phone="+86 138 1234 5678",
            gender="男",
            birth_date="1980年3月5日",
            ethnicity="汉",
            residence_type="流动",
            relationship="长子",
            moved_in="2015.6",
            status="外出",
            tags="党员、残疾人三级",
        ),
        7,
        today=TODAY,
    )
    assert problems == []
    assert record is not None
    assert (record.row, record.name, record.id_number) == (7, "张三", MAN)
    assert (record.gender, record.birth_date) == (Gender.MALE, dt.date(1980, 3, 5))
    assert record.address == ParsedAddress("西渚花苑", "3", "2", "501", 5)
    assert (record.phone, record.ethnicity) == ("13812345678", "汉族")
    assert (record.residence_type, record.relationship, record.status) == (
        ResidenceType.FLOATING,
        Relationship.CHILD,
        ResidentStatus.AWAY,
    )
    assert record.moved_in == dt.date(2015, 6, 1)
    assert record.tags == {TagCode.PARTY_MEMBER, TagCode.DISABLED} and record.disability_grade == 3


def test_optional_cells_left_empty_are_left_to_the_service():
    record, problems = validate_row(row(), 2, today=TODAY)
    assert problems == [] and record is not None
    assert (record.phone, record.residence_type, record.relationship, record.status, record.moved_in) == (
        "",
        None,
        None,
        None,
        None,
    )


def test_birth_date_and_gender_are_checked_against_the_identity_number():
    record, problems = validate_row(row(birth_date="1980-03-06", gender="女"), 4, today=TODAY)
    assert record is None
    assert sorted((p.column, p.code) for p in problems) == [
        ("birth_date", "birth_date_mismatch"),
        ("gender", "gender_mismatch"),
    ]
    assert validate_row(row(birth_date="1980年3月", gender="M"), 4, today=TODAY)[1] == []
    assert validate_row(row(birth_date="1980年4月"), 4, today=TODAY)[1][0].code == "birth_date_mismatch"


def test_no_cross_check_without_a_valid_identity_number():
    _record, problems = validate_row(row(id_number=MAN[:-1], birth_date="1999-01-01", gender="女"), 4, today=TODAY)
    assert [p.code for p in problems] == ["length"]


def test_every_bad_cell_of_a_row_is_reported():
    _record, problems = validate_row(
        row(name="", phone="123", gender="?", address="门卫室", tags="志愿者"), 9, today=TODAY
    )
    assert sorted((p.column, p.code) for p in problems) == [
        ("address", "address"),
        ("gender", "gender"),
        ("name", "required"),
        ("phone", "phone"),
        ("tags", "tags"),
    ]
    assert all(p.row == 9 for p in problems)


def test_problems_name_the_sheet_header_and_letter():
    headers = map_headers(["序号", "居民姓名", "公民身份号码", "住址"], row=3)
    _record, problems = validate_row(
        headers.cells([1, "张三", "3.20505E+17", "西渚花苑3幢2单元501室"]), 4, headers=headers, today=TODAY
    )
    [problem] = problems
    assert (problem.row, problem.column, problem.letter, problem.code) == (4, "公民身份号码", "C", "excel_number")


def test_separate_place_columns():
    headers = map_headers(["姓名", "身份证号", "小区", "楼栋", "单元", "房号"])
    record, problems = validate_row(
        headers.cells(["张三", MAN, "西渚花苑", "3幢", "二单元", "501室"]), 2, headers=headers
    )
    assert problems == [] and record is not None
    assert record.address == ParsedAddress("西渚花苑", "3", "2", "501", 5)
    _record, problems = validate_row(headers.cells(["张三", MAN, "", "三楼", "2", "501"]), 3, headers=headers)
    assert sorted((p.column, p.letter, p.code) for p in problems) == [
        ("小区", "C", "required"),
        ("楼栋", "D", "address"),
    ]


def test_estate_column_with_short_addresses():
    headers = map_headers(["姓名", "身份证号", "小区", "地址"])
    record, problems = validate_row(headers.cells(["张三", MAN, "西渚花苑", "3-2-501"]), 2, headers=headers)
    assert problems == [] and record is not None and record.address.estate == "西渚花苑"


def test_known_estates_are_passed_to_the_address_parser():
    record, _problems = validate_row(row(address="新区花园3-2-501"), 2, known_estates=["新区花园"], today=TODAY)
    assert record is not None and record.address.estate == "新区花园"


def test_file_validator_reports_duplicates_on_the_later_row():
    headers = map_headers(["姓名", "身份证号", "地址", "电话"])
    validator = FileValidator(headers, today=TODAY)
    address = "西渚花苑3幢2单元501室"
    rows = [
        SourceRow(2, ("张三", MAN, address, "")),
        SourceRow(3, ("李四", WOMAN, address, "bad phone")),
        SourceRow(5, ("张三", MAN.lower(), address, "")),
        SourceRow(6, ("李四", WOMAN, address, "")),
        SourceRow(7, ("王五", "３" + MAN[1:], address, "")),  # full-width digits: still the same number
    ]
    records = list(validator.validate(rows))
    assert [r.row for r in records] == [2]
    found = [(p.row, p.column, p.letter, p.code) for p in validator.problems]
    assert found == [
        (3, "电话", "D", "phone"),
        (5, "身份证号", "B", "duplicate_in_file"),
        (6, "身份证号", "B", "duplicate_in_file"),
        (7, "身份证号", "B", "duplicate_in_file"),
    ]
    assert "2" in validator.problems[1].message and "3" in validator.problems[2].message
    assert (validator.rows, validator.valid) == (5, 1)


def test_a_missing_required_column_is_reported_once_not_on_every_row():
    headers = map_headers(["姓名", "地址"])
    validator = FileValidator(headers)
    assert [p.code for p in validator.problems] == ["missing_column"]
    # rows are counted but not validated: one header problem, not one per row
    assert validator.check(SourceRow(2, ("张三", "西渚花苑3幢2单元501室"))) == (None, [])
    assert (validator.rows, validator.valid, len(validator.problems)) == (1, 0, 1)
