"""The problem types of a register import: one cell, one row, or the whole file."""

from __future__ import annotations

from dataclasses import dataclass


class CellProblem(ValueError):
    """A cell value that cannot be accepted; ``code`` is a stable machine identifier."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, empty, no header row)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One reported problem, located as staff see it in their spreadsheet.

    ``row`` is the row number the spreadsheet shows, ``column`` the header text as
    written in the sheet (or the canonical column name when the column is absent),
    ``letter`` the column letter (A, B, …; empty when the column is absent).
    """

    row: int
    column: str
    code: str
    message: str
    letter: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}
