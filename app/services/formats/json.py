"""JSON: one top-level array of task objects (``.json``).

The array is decoded one element at a time (see :mod:`jsonarray`), so a large
file never sits in memory whole. A file that is not an array is unusable; an
element that is not an object, or has unknown keys, is a record error
numbered by its 1-based position in the array.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO

from app.services.formats.base import FileFormat, RawRecord
from app.services.formats.jsonarray import iter_elements
from app.services.formats.records import dump_task, record_from_value

FORMAT = FileFormat.JSON
EXTENSIONS = (".json",)
UNWRITTEN: tuple[str, ...] = ()


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per array element."""
    for number, (value, raw) in enumerate(iter_elements(stream), start=1):
        yield record_from_value(number, value, raw)


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield ``[``, then one task object per line, then ``]``."""
    separator = "[\n"
    for task in tasks:
        yield separator + dump_task(task)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"
