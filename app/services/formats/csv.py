"""CSV with a header row (``.csv``), UTF-8 with or without a BOM.

Columns: ``title`` (required), ``description``, ``status``, ``priority``,
``due_date``, ``project``, ``tags`` (separated by ``;``), ``created_at``,
``completed_at``, in any order; header names are matched ignoring case and
surrounding spaces. An unknown column makes the whole file unusable. An empty
cell means "not given". A quoted cell may span lines: the record is numbered
by the line it starts on and its ``raw`` text keeps all of its lines.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any, BinaryIO

from app.services.formats.base import (
    MAX_RECORD_BYTES,
    TASK_FIELDS,
    FileFormat,
    FileFormatError,
    RawRecord,
)
from app.services.formats.lines import iter_blocks, strip_newline

FORMAT = FileFormat.CSV
EXTENSIONS = (".csv",)
UNWRITTEN: tuple[str, ...] = ()

COLUMNS = TASK_FIELDS
"""The columns the writer emits, in order (every column the reader accepts)."""

TAG_SEPARATOR = ";"

# The csv module refuses a cell over 128 KiB as a malformed file; a record may be 1 MiB
# (longer ones are refused while reading lines), and a long cell is then one record's
# error (a description over 5,000 characters), not the whole file's.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per data row; the header row is checked, not yielded."""
    rows = _rows(stream)
    header = next((row for row in rows if _has_text(row[2])), None)
    if header is None:
        raise FileFormatError("the file is empty")
    header_line, _, names = header
    columns = _check_header(names, header_line)
    width = len(columns)
    for number, raw, cells in rows:
        if len(cells) == width:
            fields = _fields(columns, cells)
            if fields or _has_text(cells):  # else a blank row; `,;` is a record without a title
                yield RawRecord(number, fields, raw)
        elif _has_text(cells):
            yield RawRecord(number, {}, raw, error=f"expected {width} cells, found {len(cells)}")


def _fields(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """The row's non-blank cells by column, tags split.

    This runs once per imported row, so it iterates with the C builtins (``filter``,
    ``map``) rather than with per-cell Python code.
    """
    fields: dict[str, Any] = dict(filter(_CELL, zip(columns, cells, strict=True)))
    if any(map(str.isspace, fields.values())):
        fields = {column: cell for column, cell in fields.items() if not cell.isspace()}
    if (cell := fields.get("tags")) is not None:
        if tags := list(filter(None, map(str.strip, cell.split(TAG_SEPARATOR)))):
            fields["tags"] = tags
        else:
            del fields["tags"]
    return fields


_CELL = itemgetter(1)
"""Keeps the ``(column, cell)`` pairs whose cell is not empty."""


def _has_text(cells: list[str]) -> bool:
    return any(map(str.strip, cells))


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield the header line, then one line per task (CRLF line ends, tags joined with ``;``)."""
    out = io.StringIO()
    # RFC 4180 line ends: with "\n" alone, Python 3.11 would not quote a lone "\r" in a cell.
    writer = csv.writer(out, lineterminator="\r\n")
    for cells in _cells_to_write(tasks):  # one writer and buffer for the whole file
        writer.writerow(cells)
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _cells_to_write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[Iterable[str]]:
    """The header's cells, then each task's."""
    yield COLUMNS
    for task in tasks:
        yield [_cell(task, column) for column in COLUMNS]


def _rows(stream: BinaryIO) -> Iterator[tuple[int, str, list[str]]]:
    """Yield ``(first line, raw text, cells)`` for each row, blank ones included."""
    window = _Window(iter_blocks(stream))
    reader = csv.reader(chain.from_iterable(window), strict=True)
    try:
        for cells in reader:
            start, raw = window.take(reader.line_num)
            yield start, raw, cells
    except csv.Error as exc:
        start = window.done + 1
        hint = "check for an unbalanced double quote"
        if "new-line character seen in unquoted field" in str(exc):
            exc = csv.Error("a line ends with a lone carriage return (\\r)")  # not Python's words
            hint = "save the file with \\n or \\r\\n line endings"
        raise FileFormatError(
            f"the CSV is malformed in the record starting on line {start}: {exc} ({hint})",
            start,
        ) from None


class _Window:
    """The lines fed to ``csv.reader`` that are not yet part of a row it returned.

    The reader takes whole blocks of lines (a C loop, no Python per line), and each
    row it returns is the lines after the previous row's up to its ``line_num``.
    """

    __slots__ = ("blocks", "done", "first", "lines")

    def __init__(self, blocks: Iterator[tuple[int, list[str]]]) -> None:
        self.blocks = blocks
        self.lines: list[str] = []
        self.first = 1  # the number of ``lines[0]``
        self.done = 0  # the last line of the last row returned

    def __iter__(self) -> Iterator[list[str]]:
        for _, block in self.blocks:
            del self.lines[: self.done + 1 - self.first]
            self.first = self.done + 1
            self.lines += block
            yield block

    def take(self, end: int) -> tuple[int, str]:
        """The first line and raw text of the row ending on line ``end``."""
        start = self.done + 1
        offset = start - self.first
        if end == start:
            raw = self.lines[offset]
        else:  # a quoted cell spans lines
            raw = "".join(self.lines[offset : end - self.first + 1])
        self.done = end
        return start, strip_newline(raw)


def _check_header(names: list[str], line: int) -> list[str]:
    columns = [name.strip().lower() for name in names]
    problems = []
    if "title" not in columns:
        problems.append("the required column 'title' is missing")
    unknown = [repr(name) if name else "(empty name)" for name in columns if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    duplicates = sorted({name for name in columns if name and columns.count(name) > 1})
    if duplicates:
        problems.append(f"duplicate column(s): {', '.join(duplicates)}")
    if problems:
        raise FileFormatError(
            f"bad CSV header: {'; '.join(problems)} (the allowed columns are {', '.join(COLUMNS)})",
            line,
        )
    return columns


def _cell(task: Mapping[str, Any], column: str) -> str:
    value = task.get(column)
    if value is None:
        return ""
    if column == "tags":
        return TAG_SEPARATOR.join(value)
    return str(value)
