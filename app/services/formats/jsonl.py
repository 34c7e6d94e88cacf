"""JSON Lines: one JSON object per line (``.jsonl`` / ``.ndjson``).

Blank lines are skipped (a file of only blank lines is empty). A line that is
not a JSON object, or has unknown keys, is a record error; the rest of the
file is still read. The writer emits every task in the API's JSON shape, one
per line.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO

from app.services.formats.base import TOO_MANY_DIGITS, FileFormat, RawRecord, json_problem
from app.services.formats.lines import iter_text_lines
from app.services.formats.records import dump_task, record_from_value

FORMAT = FileFormat.JSONL
EXTENSIONS = (".jsonl", ".ndjson")
UNWRITTEN: tuple[str, ...] = ()


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per non-blank line."""
    for number, raw in iter_text_lines(stream):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            problem = f"invalid JSON: {json_problem(exc.msg)} (column {exc.colno})"
            yield RawRecord(number, {}, raw, error=problem)
            continue
        except RecursionError:
            yield RawRecord(number, {}, raw, error="invalid JSON: nested too deeply")
            continue
        except ValueError:  # Python refuses to read an integer of over 4,300 digits
            yield RawRecord(number, {}, raw, error=f"invalid JSON: {TOO_MANY_DIGITS}")
            continue
        yield record_from_value(number, value, raw)


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield one line of JSON per task."""
    for task in tasks:
        yield dump_task(task) + "\n"
