"""Bounded, validated line reading shared by the line-oriented formats.

Every line is read with ``readline(limit)``, so a 10 MB line is refused after
reading 1 MiB of it, never loaded whole. Lines are checked for binary data and
decoded as strict UTF-8; a leading BOM is dropped.
"""

from collections.abc import Iterator
from typing import BinaryIO

from app.services.formats.base import MAX_RECORD_BYTES, FileFormatError

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, keeping its line terminator.

    Raises:
        FileFormatError: The file is empty, binary, not UTF-8, or has a line
            longer than MAX_RECORD_BYTES.
    """
    number = 0
    readline = stream.readline
    while chunk := readline(MAX_RECORD_BYTES + 2):
        number += 1
        if number == 1:
            chunk = _strip_bom(chunk)
        if len(chunk) > MAX_RECORD_BYTES:  # the full check only when it can fail
            _check_length(chunk, number)
        yield number, decode_line(chunk, number)
    if number == 0:
        raise FileFormatError("the file is empty")


def iter_text_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each non-blank line, without its line terminator.

    Raises:
        FileFormatError: As :func:`iter_lines`; also when every line is blank.
    """
    empty = True
    for number, line in iter_lines(stream):
        if line.strip():
            empty = False
            yield number, strip_newline(line)
    if empty:
        raise FileFormatError("the file is empty")


def strip_newline(text: str) -> str:
    r"""Return ``text`` without its trailing ``\n`` or ``\r\n``."""
    return text.removesuffix("\n").removesuffix("\r")


def decode_line(chunk: bytes, number: int) -> str:
    """Decode one line as strict UTF-8, refusing binary data.

    Raises:
        FileFormatError: The line holds a NUL byte or is not valid UTF-8.
    """
    if b"\x00" in chunk:
        raise FileFormatError(
            f"the file contains binary data (a NUL byte on line {number}); "
            "export your tasks as a UTF-8 text file",
            number,
        )
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"the file is not valid UTF-8 (byte 0x{chunk[exc.start]:02x} on line {number}); "
            "re-save it with UTF-8 encoding",
            number,
        ) from None


def _strip_bom(chunk: bytes) -> bytes:
    if chunk.startswith(_UTF16_BOMS):
        raise FileFormatError("the file is UTF-16 encoded; re-save it with UTF-8 encoding", 1)
    return chunk.removeprefix(_BOM)


def _check_length(chunk: bytes, number: int) -> None:
    content = len(chunk)
    if chunk.endswith(b"\n"):
        content -= 2 if chunk.endswith(b"\r\n") else 1
    if content > MAX_RECORD_BYTES:
        raise FileFormatError(
            f"line {number} is longer than {MAX_RECORD_BYTES // (1 << 20)} MiB; "
            "is this really a task file?",
            number,
        )
