r"""Bounded, validated line reading shared by the line-oriented formats.

The stream is read in blocks of whole lines (``BLOCK_BYTES`` at a time, cut after
the last newline), and each block is checked for binary data and decoded as strict
UTF-8 in one call, so the per-line cost is one list element. A line may continue
across reads, but only up to ``MAX_RECORD_BYTES``: a 10 MB line is refused after
reading about 1 MiB of it, never loaded whole. A leading BOM is dropped. Lines end
at ``\n`` only (``\r\n`` included), like ``readline``.
"""

from collections.abc import Callable, Iterator
from itertools import repeat
from operator import add
from typing import BinaryIO

from app.services.formats.base import MAX_RECORD_BYTES, FileFormatError

BLOCK_BYTES = 1 << 18
"""How much is read at a time (256 KiB); a block is the lines completed by a read."""

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def iter_blocks(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(number of the first line, lines)`` for consecutive runs of whole lines.

    Every line keeps its terminator, except perhaps the file's last one. Lines are
    numbered from 1 and every block continues where the previous one stopped.

    Raises:
        FileFormatError: The file is empty, binary, not UTF-8, or has a line
            longer than MAX_RECORD_BYTES.
    """
    read = getattr(stream, "read1", stream.read)  # read1: a pipe's data as it arrives
    number = 1
    pending: list[bytes] = []  # what was read after the last newline, not joined yet
    pending_size = 0
    chunk = _strip_bom(_read_start(read))  # may be empty (a BOM alone) with more to come
    while True:
        end = chunk.rfind(b"\n") + 1  # only the new bytes are searched: no rescans
        if end:
            data = b"".join((*pending, chunk[:end])) if pending else chunk[:end]
            pending, pending_size = [chunk[end:]], len(chunk) - end
            lines = _decode(data, number)
            yield number, lines
            number += len(lines)
        else:
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size > MAX_RECORD_BYTES + 2:  # one line, and still no end to it
                _check_length(b"".join(pending), number)
        if not (chunk := read(BLOCK_BYTES)):
            break
    if pending_size:  # the last line, without a terminator
        yield number, _decode(b"".join(pending), number)
    elif number == 1:
        raise FileFormatError("the file is empty")


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, keeping its line terminator.

    Raises:
        FileFormatError: As :func:`iter_blocks`.
    """
    for first, lines in iter_blocks(stream):
        yield from enumerate(lines, first)


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


def _read_start(read: Callable[[int], bytes]) -> bytes:
    """The first bytes of the stream: enough to recognise a byte order mark, if any."""
    start = read(BLOCK_BYTES)
    while 0 < len(start) < len(_BOM) and (more := read(BLOCK_BYTES)):
        start += more
    return start


def _decode(data: bytes, first: int) -> list[str]:
    """Split whole lines (``data`` ends at a newline or the file's end) and decode them.

    The checks run on the whole block at once; only when one fails is the block checked
    again line by line, so that the error names the first bad line, as a line-by-line
    reader would.
    """
    if b"\x00" in data or _has_long_line(data):
        _check_lines(data, first)  # a long line may still be fine: "\r" is not content
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _check_lines(data, first)  # the first bad line may come before this byte's
        raise _not_utf8(data[exc.start], first + data.count(b"\n", 0, exc.start)) from None
    lines = text.split("\n")  # "\n" only: str.splitlines would also cut at \r, \f, \x1c...
    last = lines.pop()
    lines = list(map(add, lines, repeat("\n")))
    if last:
        lines.append(last)
    return lines


def _has_long_line(data: bytes) -> bool:
    # Only a block this large can hold a line that is too long.
    return len(data) > MAX_RECORD_BYTES and any(
        len(line) > MAX_RECORD_BYTES for line in data.split(b"\n")
    )


def _check_lines(data: bytes, first: int) -> None:
    """Refuse the first line that is too long, binary or not UTF-8, checked in that order."""
    for number, line in enumerate(data.split(b"\n"), first):
        _check_length(line, number)
        if b"\x00" in line:
            raise FileFormatError(
                f"the file contains binary data (a NUL byte on line {number}); "
                "export your tasks as a UTF-8 text file",
                number,
            )
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(line[exc.start], number) from None


def _not_utf8(byte: int, number: int) -> FileFormatError:
    return FileFormatError(
        f"the file is not valid UTF-8 (byte 0x{byte:02x} on line {number}); "
        "re-save it with UTF-8 encoding",
        number,
    )


def _strip_bom(chunk: bytes) -> bytes:
    if chunk.startswith(_UTF16_BOMS):
        raise FileFormatError("the file is UTF-16 encoded; re-save it with UTF-8 encoding", 1)
    return chunk.removeprefix(_BOM)


def _check_length(line: bytes, number: int) -> None:
    """Refuse ``line`` (with or without its terminator) if its content is too long."""
    content = len(line.removesuffix(b"\n").removesuffix(b"\r"))
    if content > MAX_RECORD_BYTES:
        raise FileFormatError(
            f"line {number} is longer than {MAX_RECORD_BYTES // (1 << 20)} MiB; "
            "is this really a task file?",
            number,
        )
