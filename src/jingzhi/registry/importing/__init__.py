"""Parsing and validation of register imports (居民信息导入): no database access.

The pipeline, in order: :func:`open_table` finds the header row and streams numbered rows;
:func:`map_headers` maps header cells to canonical columns; :class:`FileValidator` normalises
and cross-checks each row into a :class:`RowRecord` or :class:`Problem` list; :func:`write_report`
and :func:`summary_json` present the problems. Checks against the register itself (duplicates,
unknown rooms) and the all-or-nothing commit belong to the registry services.
"""

from jingzhi.registry.importing.address import ParsedAddress, format_address, parse_address
from jingzhi.registry.importing.headers import HeaderMap, map_headers
from jingzhi.registry.importing.problems import CellProblem, ImportFileError, Problem
from jingzhi.registry.importing.reader import SourceRow, Table, open_table
from jingzhi.registry.importing.report import summary_json, write_report
from jingzhi.registry.importing.rows import FileValidator, RowRecord, validate_row

__all__ = [
    "CellProblem",
    "FileValidator",
    "HeaderMap",
    "ImportFileError",
    "ParsedAddress",
    "Problem",
    "RowRecord",
    "SourceRow",
    "Table",
    "format_address",
    "map_headers",
    "open_table",
    "parse_address",
    "summary_json",
    "validate_row",
    "write_report",
]
