"""Read a community's `.xlsx` or `.csv` register into a header row and numbered data rows.

Rows are produced by a generator so a 100,000-row file passes through once and is never held
whole in memory. Row numbers are the ones the spreadsheet shows (1-based, empty rows counted),
because staff must be able to find the cell a problem report points at.
"""

from __future__ import annotations

import codecs
import csv
import io
import multiprocessing
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from zipfile import BadZipFile

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from jingzhi.registry.importing.headers import count_known
from jingzhi.registry.importing.problems import ImportFileError

Source = str | Path | IO[bytes]

#: How many leading rows may hold titles or notes before the header row.
HEADER_SEARCH_ROWS = 20
#: How much of a CSV file decides its encoding and delimiter.
SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", "\t", ";")
#: Rows per message from the parsing child process.
ROWS_PER_MESSAGE = 2000

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls, or an encrypted workbook


@dataclass(frozen=True)
class SourceRow:
    """One non-empty data row; ``number`` is the row number the spreadsheet shows."""

    number: int
    values: tuple[object, ...]


def is_empty(values: tuple[object, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _open_binary(source: Source) -> tuple[IO[bytes], bool]:
    """A seekable binary stream and whether we opened it (and so must close it)."""
    if isinstance(source, str | Path):
        try:
            return open(source, "rb"), True
        except OSError as exc:
            raise ImportFileError(
                "unreadable", str(_("The file cannot be opened: %(error)s") % {"error": exc})
            ) from exc
    if not source.seekable():
        # Detection reads ahead, then starts over; an upload stream may not rewind.
        return io.BytesIO(source.read()), True
    return source, False


def _xlsx_rows(stream: IO[bytes], sheet: str | None) -> Iterator[tuple[object, ...]]:
    if "fork" in multiprocessing.get_all_start_methods():
        return _rows_from_child(stream, sheet)
    return _xlsx_rows_here(stream, sheet)


def _rows_from_child(stream: IO[bytes], sheet: str | None) -> Iterator[tuple[object, ...]]:
    """The rows of ``_xlsx_rows_here``, parsed in a forked child process.

    Parsing the workbook's XML is most of an import's time; in a child it runs on another core
    while this process checks the rows already received (and, when committing, the database
    works on a third). The child inherits the open stream, reads nothing else, touches no
    database connection and sends the rows back in batches.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_rows, args=(stream, sheet, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            kind, payload = receiver.recv()
            if kind == "rows":
                yield from payload
            elif kind == "file_error":
                raise ImportFileError(*payload)
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _send_rows(stream: IO[bytes], sheet: str | None, sender: Any) -> None:
    try:
        batch: list[tuple[object, ...]] = []
        for values in _xlsx_rows_here(stream, sheet):
            batch.append(values)
            if len(batch) >= ROWS_PER_MESSAGE:
                sender.send(("rows", batch))
                batch = []
        sender.send(("rows", batch))
        sender.send(("done", None))
    except BrokenPipeError:
        pass  # the parent stopped reading
    except ImportFileError as exc:
        sender.send(("file_error", (exc.code, exc.message)))
    except Exception as exc:  # handed to the parent, which raises it
        try:
            sender.send(("error", exc))
        except Exception:  # an exception that does not pickle
            sender.send(("error", RuntimeError(repr(exc))))
    finally:
        sender.close()


def _xlsx_rows_here(stream: IO[bytes], sheet: str | None) -> Iterator[tuple[object, ...]]:
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            "unreadable", str(_("The file is not a readable .xlsx workbook: %(error)s") % {"error": exc})
        ) from exc
    try:
        if sheet is None:
            if not workbook.worksheets:
                raise ImportFileError("empty_file", str(_("The workbook has no worksheet.")))
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ImportFileError(
                "no_sheet",
                str(
                    _("The workbook has no sheet named %(sheet)s; it has %(names)s.")
                    % {"sheet": sheet, "names": "、".join(workbook.sheetnames)}
                ),
            )
        # Some exporters write a wrong <dimension> ("A1"), and read-only mode trusts it and cuts rows
        # short; forgetting it makes openpyxl read every cell actually present.
        worksheet.reset_dimensions()
        # openpyxl fills gaps with empty rows, so position = row number.
        for values in worksheet.iter_rows(values_only=True):
            yield tuple(values)
    finally:
        workbook.close()


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # Incremental so a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=complete)
        return "gb18030"
    except UnicodeDecodeError:
        raise ImportFileError(
            "encoding", str(_("The file is neither UTF-8 nor GBK text; save it again as .xlsx or UTF-8 CSV."))
        ) from None


def detect_delimiter(text: str) -> str:
    """The delimiter used most often in the first lines (comma, tab or semicolon)."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    counts = {d: sum(line.count(d) for line in lines) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[object, ...]]:
    sample = stream.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample, complete=len(sample) < SAMPLE_BYTES)
    delimiter = detect_delimiter(sample.decode(encoding, errors="ignore"))
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        # One record per spreadsheet row, even when a quoted cell spans several lines.
        for record in csv.reader(text, delimiter=delimiter):
            yield tuple(cell if cell != "" else None for cell in record)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "encoding", str(_("The file changes encoding part-way through: %(error)s") % {"error": exc})
        ) from exc
    except csv.Error as exc:
        raise ImportFileError("unreadable", str(_("The CSV file is malformed: %(error)s") % {"error": exc})) from exc
    finally:
        text.detach()


def iter_sheet(source: Source, *, sheet: str | None = None) -> Generator[tuple[object, ...], None, None]:
    """Every row of the first (or named) sheet, empty ones included: row N is the N-th item."""
    stream, owned = _open_binary(source)
    try:
        start = stream.tell()
        magic = stream.read(4)
        stream.seek(start)
        if not magic:
            raise ImportFileError("empty_file", str(_("The file is empty.")))
        if magic == _OLE_MAGIC:
            raise ImportFileError(
                "unsupported_format",
                str(_("This is an old .xls or a password-protected workbook; save it as .xlsx without a password.")),
            )
        if magic == _XLSX_MAGIC:
            yield from _xlsx_rows(stream, sheet)
        else:
            yield from _csv_rows(stream)
    finally:
        if owned:
            stream.close()


class Table:
    """An opened sheet: the header row found, then its data rows on demand (one pass)."""

    def __init__(self, source: Source, *, sheet: str | None = None) -> None:
        self._raw = iter_sheet(source, sheet=sheet)
        self._consumed = False
        self.header_row = 0
        self.headers: tuple[object, ...] = ()
        seen_content = False
        try:
            for number, values in enumerate(self._raw, start=1):
                if not is_empty(values):
                    seen_content = True
                    # A title row ("西渚社区居民信息表") may sit above; the header names ≥2 known columns.
                    if count_known(values) >= 2:
                        self.header_row, self.headers = number, values
                        break
                if number >= HEADER_SEARCH_ROWS:
                    break
        except BaseException:
            self.close()
            raise
        if not self.header_row:
            self.close()
            if not seen_content:
                raise ImportFileError("empty_file", str(_("The sheet has no rows.")))
            raise ImportFileError(
                "no_header",
                str(
                    _(
                        "No header row found in the first %(count)s rows; the header needs columns such as 姓名 and 身份证号码."
                    )
                    % {"count": HEADER_SEARCH_ROWS}
                ),
            )

    def rows(self) -> Iterator[SourceRow]:
        """The non-empty rows below the header, each with its spreadsheet row number."""
        if self._consumed:
            raise RuntimeError("Table.rows() can be iterated only once")
        self._consumed = True
        width = len(self.headers)
        try:
            for number, values in enumerate(self._raw, start=self.header_row + 1):
                if is_empty(values):
                    continue
                # Pad short CSV records so every header has a cell; extra cells are kept.
                yield SourceRow(number, values + (None,) * (width - len(values)))
        finally:
            self.close()

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_table(source: Source, *, sheet: str | None = None) -> Table:
    """Open ``source`` (a path or a binary file) and find its header row.

    Raises :class:`ImportFileError` (codes ``unreadable``, ``unsupported_format``, ``encoding``,
    ``empty_file``, ``no_sheet``, ``no_header``).
    """
    return Table(source, sheet=sheet)
