"""The interface every batch import/export format implements, and its errors.

A format is one module with ``FORMAT``, ``EXTENSIONS``, ``read`` and ``write``
(see :class:`FormatModule`). Readers turn a binary stream into
:class:`RawRecord` objects holding *canonical task fields* (``title``,
``description``, ``status``, ``priority``, ``due_date``, ``project``, ``tags``,
``created_at``, ``completed_at``); they apply the format's mapping but leave
value validation to the task schema. Writers turn tasks in the API's JSON
shape into text chunks.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

from app.core.errors import InvalidInputError

MAX_RECORD_BYTES = 1 << 20
"""Longest line or record accepted (1 MiB); anything longer makes the file unusable."""

TASK_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "project",
    "tags",
    "created_at",
    "completed_at",
)
"""The task fields a reader may put in :attr:`RawRecord.fields`, in file order."""

CANONICAL_FIELDS = frozenset(TASK_FIELDS)
"""The same fields, for membership tests."""


class FileFormat(StrEnum):
    """A supported batch import/export format."""

    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"
    TASKWARRIOR = "taskwarrior"
    TODOTXT = "todotxt"


@dataclass(slots=True)  # not frozen: its __init__ runs once per imported row, 5x faster
class RawRecord:
    """One record read from an import file, before schema validation.

    Attributes:
        number: 1-based line where the record starts (csv, jsonl, todotxt) or
            element index (json, taskwarrior).
        fields: Canonical task fields present in the record; empty when
            ``error`` or ``note`` is set.
        raw: The record exactly as read, without its trailing newline.
        error: A problem local to this record (the rest of the file is fine).
        note: An informational skip (not an error), e.g. a recurring template.
        unmapped: Attributes of the record that no task field holds (Taskwarrior's
            ``scheduled`` or a UDA, say): the task is imported without them, and the
            import says so.
    """

    number: int
    fields: dict[str, Any]
    raw: str
    error: str | None = None
    note: str | None = None
    unmapped: tuple[str, ...] = ()


class FileFormatError(InvalidInputError):
    """The whole file is unusable (encoding, binary data, structure, size...)."""

    code = "invalid-file"
    title = "Invalid file"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


TOO_MANY_DIGITS = "a number has more than 4,300 digits"
"""Why `json` refuses an integer longer than Python reads (`sys.get_int_max_str_digits`)."""


def json_problem(message: str) -> str:
    """A `JSONDecodeError` message without its dangling "at" (the caller says where)."""
    return message.removesuffix(" starting at").removesuffix(" at")


class Reader(Protocol):
    """Reads a binary stream lazily into records."""

    def __call__(self, stream: BinaryIO) -> Iterator[RawRecord]:
        """Yield one record at a time; raise FileFormatError for an unusable file."""
        ...


class Writer(Protocol):
    """Writes tasks (API JSON shape) as text chunks."""

    def __call__(self, tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
        """Yield text chunks that, concatenated, form the file."""
        ...


class FormatModule(Protocol):
    """What a format module exposes; the registry is built from these."""

    @property
    def FORMAT(self) -> FileFormat:
        """The format this module implements."""
        ...

    @property
    def EXTENSIONS(self) -> tuple[str, ...]:
        """File extensions (lowercase, with the dot) that imply this format."""
        ...

    @property
    def UNWRITTEN(self) -> tuple[str, ...]:
        """Task fields the format has no place for: an export leaves them out, and says so."""
        ...

    def read(self, stream: BinaryIO) -> Iterator[RawRecord]:
        """Yield the file's records."""
        ...

    def write(self, tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
        """Yield the file's text chunks."""
        ...
