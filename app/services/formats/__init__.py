"""Batch import/export file formats: one module per format, registered here.

Adding a format means one new module (``FORMAT``, ``EXTENSIONS``, ``read``,
``write``; see :class:`~app.services.formats.base.FormatModule`), its
:class:`FileFormat` member, and one line in ``_MODULES``.
"""

import codecs
from pathlib import PurePath

from app.services.formats import csv, json, jsonl, taskwarrior, todotxt
from app.services.formats.base import (
    MAX_RECORD_BYTES,
    FileFormat,
    FileFormatError,
    FormatModule,
    RawRecord,
    Reader,
    Writer,
)

__all__ = [
    "EXTENSIONS",
    "MAX_RECORD_BYTES",
    "READERS",
    "UNWRITTEN",
    "WRITERS",
    "FileFormat",
    "FileFormatError",
    "RawRecord",
    "Reader",
    "Writer",
    "detect_format",
    "sniff_format",
]

_MODULES: tuple[FormatModule, ...] = (
    csv,
    jsonl,
    json,
    taskwarrior,
    todotxt,
)

READERS: dict[FileFormat, Reader] = {module.FORMAT: module.read for module in _MODULES}
"""The reader of each format."""

WRITERS: dict[FileFormat, Writer] = {module.FORMAT: module.write for module in _MODULES}
"""The writer of each format."""

UNWRITTEN: dict[FileFormat, tuple[str, ...]] = {
    module.FORMAT: module.UNWRITTEN for module in _MODULES
}
"""The task fields each format's writer leaves out."""

EXTENSIONS: dict[str, FileFormat] = {
    extension: module.FORMAT for module in _MODULES for extension in module.EXTENSIONS
}
"""File extension (lowercase, with the dot) → format."""


def detect_format(path: str) -> FileFormat | None:
    """Return the format a file name's extension implies, or None if it implies none.

    ``.json`` means plain JSON: a Taskwarrior export must be named with
    ``--format taskwarrior``.
    """
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def sniff_format(head: bytes) -> FileFormat | None:
    """Return the format the first bytes of a nameless input (stdin) imply, or None.

    Only the JSON formats are told by their content: an object first is JSON lines (what
    ``tasks export`` writes by default), ``[`` a JSON array. A Taskwarrior export looks
    like either; its records then say to import it as taskwarrior. CSV and todo.txt
    cannot be told apart.
    """
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    return {b"{": FileFormat.JSONL, b"[": FileFormat.JSON}.get(start)
