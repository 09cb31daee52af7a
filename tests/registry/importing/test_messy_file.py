"""The deliberately messy 2,000-row register: every planted problem found where it was planted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from jingzhi.registry.importing import FileValidator, RowRecord, map_headers, open_table, summary_json, write_report
from jingzhi.registry.importing.report import DATA_SHEET, PROBLEM_FILL, PROBLEM_SHEET
from tests.registry.importing import messy


def run(path: Path) -> tuple[FileValidator, list[RowRecord]]:
    with open_table(path) as table:
        validator = FileValidator(map_headers(table.headers, row=table.header_row))
        records = list(validator.validate(table.rows()))
    return validator, records


def located(validator: FileValidator) -> set[tuple[int, str, str]]:
    return {(p.row, messy.CANONICAL_BY_HEADER[p.column], p.code) for p in validator.problems}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[messy.Planted]]]:
    folder = tmp_path_factory.mktemp("messy")
    return {
        "xlsx": (folder / "messy.xlsx", messy.write_xlsx(folder / "messy.xlsx")),
        "csv": (folder / "messy.csv", messy.write_csv(folder / "messy.csv")),
        "clean": (folder / "clean.xlsx", messy.write_xlsx(folder / "clean.xlsx", clean=True)),
        "clean_csv": (folder / "clean.csv", messy.write_csv(folder / "clean.csv", clean=True, encoding="utf-8-sig")),
    }


@pytest.fixture(scope="module")
def messy_xlsx(files) -> tuple[Path, list[messy.Planted], FileValidator, list[RowRecord]]:
    path, planted = files["xlsx"]
    validator, records = run(path)
    return path, planted, validator, records


def test_every_kind_of_problem_is_planted(files):
    _path, planted = files["xlsx"]
    kinds = {(p.column, p.code) for p in planted}
    assert {code for _column, code in kinds} >= {
        "check_digit",
        "excel_number",
        "length",
        "characters",
        "birth_date",
        "duplicate_in_file",
        "date",
        "birth_date_mismatch",
        "gender_mismatch",
        "phone",
        "relationship",
        "address",
        "required",
    }
    assert len({p.row for p in planted}) == len(planted)  # one problem per row


def test_xlsx_every_planted_problem_is_reported_at_its_row_and_column_and_nothing_else(messy_xlsx):
    _path, planted, validator, records = messy_xlsx
    assert located(validator) == {(p.row, p.column, p.code) for p in planted}
    assert len(validator.problems) == len(planted)
    assert validator.rows == 2000
    assert validator.valid == len(records) == 2000 - len(planted)


def test_csv_in_gbk_reports_the_same_problems(files):
    path, planted = files["csv"]
    assert path.read_bytes().decode("gbk")  # really GBK, not UTF-8
    validator, records = run(path)
    assert located(validator) == {(p.row, p.column, p.code) for p in planted}
    assert validator.valid == len(records) == 2000 - len(planted)


@pytest.mark.parametrize("kind", ["clean", "clean_csv"])
def test_clean_file_has_no_problems_and_every_row_is_valid(files, kind):
    path, planted = files[kind]
    assert planted == []
    validator, records = run(path)
    assert validator.problems == []
    assert (validator.rows, validator.valid, len(records)) == (2000, 2000, 2000)
    assert len({r.id_number for r in records}) == 2000
    assert records[0].row == messy.FIRST_DATA_ROW and records[-1].row == messy.row_number(1999)


def test_summary_json_reconciles(messy_xlsx):
    _path, planted, validator, _records = messy_xlsx
    summary = summary_json(validator.rows, validator.valid, validator.problems)
    assert list(summary) == ["rows", "valid", "problems"]
    assert summary["rows"] == 2000 and summary["valid"] == 2000 - len(planted)
    problems = summary["problems"]
    assert isinstance(problems, list) and len(problems) == len(planted)
    assert set(problems[0]) == {"row", "column", "code", "message"}
    json.dumps(summary, ensure_ascii=False)  # plain data, lazy strings already rendered


def test_report_marks_every_problem_cell_with_fill_and_comment(messy_xlsx):
    path, _planted, validator, _records = messy_xlsx
    workbook = load_workbook(io.BytesIO(write_report(path, validator.problems)))
    assert workbook.sheetnames == [DATA_SHEET, PROBLEM_SHEET]
    data = workbook[DATA_SHEET]
    assert data.max_row == messy.row_number(1999)  # original row numbers preserved
    assert data["A1"].value == messy.TITLE and data["B2"].value == "姓名"
    marked = {cell.coordinate for row in data.iter_rows() for cell in row if cell.comment}
    assert marked == {f"{p.letter}{p.row}" for p in validator.problems}
    for problem in validator.problems:
        cell = data[f"{problem.letter}{problem.row}"]
        assert cell.fill.fgColor.rgb == PROBLEM_FILL.fgColor.rgb
        assert problem.message in cell.comment.text
    listing = list(workbook[PROBLEM_SHEET].iter_rows(values_only=True))
    assert len(listing) == len(validator.problems) + 1
    assert {(r[0], r[2]) for r in listing[1:]} == {(p.row, p.code) for p in validator.problems}


def test_report_from_csv_and_formula_injection_is_neutralised(tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text('姓名,身份证号码,地址\n=HYPERLINK("http://x"),1,@SUM(A1)\n', encoding="utf-8")
    validator, _records = run(path)
    workbook = load_workbook(io.BytesIO(write_report(path, validator.problems)))
    data = workbook[DATA_SHEET]
    assert data["A2"].value == '\'=HYPERLINK("http://x")'
    assert data["C2"].value == "'@SUM(A1)"
    assert data["B2"].comment is not None and data["C2"].comment is not None


def test_report_marks_header_problems_and_lists_missing_columns(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "手机", "电话"])
    sheet.append(["张三", "13812345678", "13812345678"])
    path = tmp_path / "headers.xlsx"
    workbook.save(path)
    validator, _records = run(path)
    codes = sorted(p.code for p in validator.problems)
    assert codes.count("missing_column") == 4 and codes.count("duplicate_column") == 1
    report = load_workbook(io.BytesIO(write_report(path, validator.problems)))
    assert report[DATA_SHEET]["C1"].comment is not None
    assert len(list(report[PROBLEM_SHEET].iter_rows())) == 6
