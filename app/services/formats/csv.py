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
from typing import Any, BinaryIO

from app.services.formats.base import TASK_FIELDS, FileFormatError, ImportFormat, RawRecord
from app.services.formats.lines import iter_lines, strip_newline

FORMAT = ImportFormat.CSV
EXTENSIONS = (".csv",)

COLUMNS = TASK_FIELDS
"""The columns the writer emits, in order (every column the reader accepts)."""

TAG_SEPARATOR = ";"


class _LineSource:
    """Feeds lines to ``csv.reader`` and remembers those of the current record."""

    def __init__(self, stream: BinaryIO) -> None:
        self._lines = iter_lines(stream)
        self.pending: list[str] = []
        self.start = 1

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, line = next(self._lines)
        if not self.pending:
            self.start = number
        self.pending.append(line)
        return line

    def take(self) -> tuple[int, str]:
        """Return the current record's first line number and raw text, then reset."""
        raw = strip_newline("".join(self.pending))
        self.pending.clear()
        return self.start, raw


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per data row; the header row is checked, not yielded."""
    source = _LineSource(stream)
    rows = _rows(source)
    header = next(rows, None)
    if header is None:
        raise FileFormatError("the file is empty")
    header_line, _, names = header
    columns = _check_header(names, header_line)
    for number, raw, cells in rows:
        yield _record(number, raw, cells, columns)


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield the header line, then one line per task (CRLF line ends, tags joined with ``;``)."""
    yield _format_row(COLUMNS)
    for task in tasks:
        yield _format_row([_cell(task, column) for column in COLUMNS])


def _rows(source: _LineSource) -> Iterator[tuple[int, str, list[str]]]:
    reader = csv.reader(source, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileFormatError(
                f"the CSV is malformed in the record starting on line {source.start}: {exc} "
                "(check for an unbalanced double quote)",
                source.start,
            ) from None
        number, raw = source.take()
        if any(cell.strip() for cell in cells):
            yield number, raw, cells


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


def _record(number: int, raw: str, cells: list[str], columns: list[str]) -> RawRecord:
    if len(cells) != len(columns):
        return RawRecord(
            number, {}, raw, error=f"expected {len(columns)} cells, found {len(cells)}"
        )
    fields: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=True):
        if not cell.strip():
            continue
        if column == "tags":
            tags = [tag.strip() for tag in cell.split(TAG_SEPARATOR) if tag.strip()]
            if tags:
                fields["tags"] = tags
        else:
            fields[column] = cell
    return RawRecord(number, fields, raw)


def _cell(task: Mapping[str, Any], column: str) -> str:
    value = task.get(column)
    if value is None:
        return ""
    if column == "tags":
        return TAG_SEPARATOR.join(value)
    return str(value)


def _format_row(cells: Iterable[str]) -> str:
    out = io.StringIO()
    # RFC 4180 line ends: with "\n" alone, Python 3.11 would not quote a lone "\r" in a cell.
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
