"""Reading .xlsx and .csv files: header row search, row numbers, encodings, delimiters, errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from jingzhi.registry.importing.problems import ImportFileError
from jingzhi.registry.importing.reader import detect_delimiter, detect_encoding, open_table

HEADER = ["姓名", "身份证号码", "地址"]
ROW = ["张三", "11010519491231002X", "西渚花苑3幢2单元501室"]


def xlsx(tmp_path, rows, *, name="data.xlsx", title=None):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    if title:
        sheet.title = title
    for number, values in rows:
        for col, value in enumerate(values, start=1):
            sheet.cell(row=number, column=col, value=value)
    path = tmp_path / name
    workbook.save(path)
    return path


def read(source, **kwargs):
    with open_table(source, **kwargs) as table:
        return table.header_row, list(table.headers), [(r.number, r.values) for r in table.rows()]


def test_xlsx_rows_carry_spreadsheet_row_numbers(tmp_path):
    path = xlsx(tmp_path, [(1, HEADER), (2, ROW), (5, ["李四", "440524188001010014", dt.datetime(2020, 1, 1)])])
    header_row, headers, rows = read(path)
    assert header_row == 1 and headers == HEADER
    assert [number for number, _ in rows] == [2, 5]  # rows 3 and 4 are empty: skipped, still counted
    assert rows[1][1][2] == dt.datetime(2020, 1, 1)


def test_title_rows_above_the_header_are_tolerated(tmp_path):
    path = xlsx(
        tmp_path, [(1, ["西渚社区居民信息登记表"]), (2, ["填表日期：2025年6月", None, "姓名"]), (4, HEADER), (5, ROW)]
    )
    header_row, headers, rows = read(path)
    assert header_row == 4 and headers == HEADER
    assert [number for number, _ in rows] == [5]


def test_named_sheet_and_missing_sheet(tmp_path):
    workbook = Workbook()
    workbook.active.title = "说明"  # type: ignore[union-attr]
    data = workbook.create_sheet("居民")
    data.append(HEADER)
    data.append(ROW)
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    assert read(path, sheet="居民")[2] == [(2, tuple(ROW))]
    with pytest.raises(ImportFileError) as caught:
        read(path)  # the first sheet holds only notes
    assert caught.value.code == "empty_file"
    with pytest.raises(ImportFileError) as caught:
        read(path, sheet="其他")
    assert caught.value.code == "no_sheet"


def test_short_rows_are_padded_to_the_header(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("姓名,身份证号码,地址\n张三\n", encoding="utf-8")
    assert read(path)[2] == [(2, ("张三", None, None))]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")]
)
def test_csv_encodings(tmp_path, encoding, bom):
    path = tmp_path / "data.csv"
    text = "\n".join(",".join(r) for r in (HEADER, ROW, ["王　五", "", "西渚花苑 3-2-502"])) + "\n"
    path.write_bytes(bom + text.encode(encoding))
    _header_row, headers, rows = read(path)
    assert headers == HEADER
    assert rows == [(2, tuple(ROW)), (3, ("王　五", None, "西渚花苑 3-2-502"))]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters(tmp_path, delimiter):
    path = tmp_path / "data.csv"
    path.write_text("\n".join(delimiter.join(r) for r in (HEADER, ROW)), encoding="utf-8")
    assert read(path)[2] == [(2, tuple(ROW))]


def test_csv_quoted_cell_spanning_lines_is_one_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('姓名,身份证号码,地址\n"张\n三",1,2\n\n李四,3,4\n', encoding="utf-8")
    assert [n for n, _ in read(path)[2]] == [2, 4]


def test_binary_streams_seekable_or_not(tmp_path):
    data = "\n".join(",".join(r) for r in (HEADER, ROW)).encode("gbk")

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert read(io.BytesIO(data))[2] == [(2, tuple(ROW))]
    assert read(Unseekable())[2] == [(2, tuple(ROW))]


def test_detection_helpers():
    assert detect_encoding("姓名".encode(), complete=True) == "utf-8"
    assert detect_encoding("姓名".encode()[:-1], complete=False) == "utf-8"  # a character cut by the sample
    assert detect_encoding("姓名".encode("gbk"), complete=True) == "gb18030"
    assert detect_encoding("\ufeff姓名".encode("utf-16"), complete=True) == "utf-16"
    assert detect_delimiter("a;b;c\n1;2;3") == ";"
    assert detect_delimiter("only") == ","


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\n\n,,\n", "empty_file"),
        (b"a,b,c\n1,2,3\n", "no_header"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "unsupported_format"),
        (b"PK\x03\x04broken", "unreadable"),
        (b"\xe5\xa7\x93,\x80\x80\n", "encoding"),
        (b"\xff\xfe" + b"a\x00b", "encoding"),  # UTF-16 cut in half
    ],
)
def test_file_errors(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        read(path)
    assert caught.value.code == code
    assert caught.value.message


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(ImportFileError) as caught:
        open_table(tmp_path / "nope.xlsx")
    assert caught.value.code == "unreadable"


def test_rows_can_be_iterated_once(tmp_path):
    path = xlsx(tmp_path, [(1, HEADER), (2, ROW)])
    table = open_table(path)
    list(table.rows())
    with pytest.raises(RuntimeError):
        list(table.rows())


def test_xlsx_with_a_wrong_dimension_record_is_read_in_full(tmp_path):
    import re
    import zipfile

    path = xlsx(tmp_path, [(1, HEADER), (2, ROW), (4, ROW)])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            target.writestr(item, data)
    assert read(broken)[2] == [(2, tuple(ROW)), (4, tuple(ROW))]
