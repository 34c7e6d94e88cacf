"""Streaming decoder for a top-level JSON array, one element at a time.

The stream is read in 64 KiB chunks and decoded as strict UTF-8; each element
is parsed with :meth:`json.JSONDecoder.raw_decode` over a buffer that never
holds more than about one element (at most MAX_RECORD_BYTES) plus one chunk,
so memory stays flat whatever the file size.
"""

import codecs
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, NoReturn

from app.services.formats.base import (
    MAX_RECORD_BYTES,
    TOO_MANY_DIGITS,
    FileFormatError,
    json_problem,
)

_CHUNK = 1 << 16
_WHITESPACE = " \t\r\n"
# A decode error this close to the end of the buffer may just mean "read more".
_TAIL = 8


class _Buffer:
    """Decoded text not yet consumed, with the line number of its start."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._lines_read = 0
        self.text = ""
        self.pos = 0
        self.base_line = 1
        self.eof = False
        self._first = True

    def fill(self) -> bool:
        """Read one more chunk; return False at end of file."""
        if self.eof:
            return False
        chunk = self._stream.read(_CHUNK)
        self.eof = not chunk
        if b"\x00" in chunk:
            raise FileFormatError(
                "the file contains binary data (a NUL byte); export your tasks as UTF-8 JSON",
                self._lines_read + chunk[: chunk.index(b"\x00")].count(b"\n") + 1,
            )
        try:
            text = self._decoder.decode(chunk, final=self.eof)
        except UnicodeDecodeError as exc:
            line = self._lines_read + chunk[: max(exc.start, 0)].count(b"\n") + 1
            raise FileFormatError(
                f"the file is not valid UTF-8 (around line {line}); re-save it with UTF-8 encoding",
                line,
            ) from None
        if self._first and text:
            text, self._first = text.removeprefix("\ufeff"), False
        self._lines_read += text.count("\n")
        self._compact()
        self.text += text
        return not self.eof or bool(text)

    def skip_whitespace(self) -> str | None:
        """Advance past whitespace; return the next character, None at end of file."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None

    def line_at(self, pos: int) -> int:
        """Return the 1-based line number of buffer position ``pos``."""
        return self.base_line + self.text.count("\n", 0, pos)

    def _compact(self) -> None:
        if self.pos:
            self.base_line += self.text.count("\n", 0, self.pos)
            self.text = self.text[self.pos :]
            self.pos = 0


def iter_elements(
    stream: BinaryIO,
    what: str = "a JSON array",
    *,
    bare_objects: bool = False,
    control_characters: bool = False,
) -> Iterator[tuple[Any, str]]:
    """Yield ``(value, raw_text)`` for each element of the top-level array.

    With `bare_objects`, a file of JSON objects one after another, without the array's
    brackets and commas (Taskwarrior's export with ``json.array=off``), is read too.
    With `control_characters`, strings may hold them unescaped (JSON forbids it, but
    Taskwarrior escapes only backspace, tab, newline, form feed and carriage return).

    Raises:
        FileFormatError: The file is empty, not UTF-8, binary, not an array,
            not valid JSON, or has an element longer than MAX_RECORD_BYTES.
    """
    buf = _Buffer(stream)
    decoder = json.JSONDecoder(strict=not control_characters)
    first = buf.skip_whitespace()
    if first is None:
        raise FileFormatError("the file is empty")
    if first == "{" and bare_objects:
        yield from _bare_objects(buf, decoder)
        return
    if first != "[":
        expected = "'[' or '{'" if bare_objects else "'['"
        raise FileFormatError(
            f"the file is not {what}: it must start with {expected} (found {first!r})",
            buf.line_at(buf.pos),
        )
    buf.pos += 1
    if buf.skip_whitespace() == "]":
        buf.pos += 1
    else:
        while True:
            yield _decode_element(buf, decoder)
            sep = buf.skip_whitespace()
            if sep == "]":
                buf.pos += 1
                break
            if sep is None:
                _fail_syntax(buf, "the file ends before the array's closing ']'")
            if sep != ",":
                _fail_syntax(buf, "expected ',' or ']' after an array element")
            buf.pos += 1
            if buf.skip_whitespace() in ("]", None):
                _fail_syntax(buf, "expected an element after ','")
    if buf.skip_whitespace() is not None:
        _fail_syntax(buf, "unexpected data after the closing ']'")


def _bare_objects(buf: _Buffer, decoder: json.JSONDecoder) -> Iterator[tuple[Any, str]]:
    """Objects separated by whitespace only, as Taskwarrior writes them one per line."""
    while buf.skip_whitespace() is not None:
        if buf.text[buf.pos] != "{":
            _fail_syntax(buf, "expected an object: without '[', the file holds one per line")
        yield _decode_element(buf, decoder)


def _decode_element(buf: _Buffer, decoder: json.JSONDecoder) -> tuple[Any, str]:
    # buf.pos stays at the element's start until it is decoded; fill() may
    # move the text (compaction), so no other offset is kept across reads.
    while True:
        try:
            value, end = decoder.raw_decode(buf.text, buf.pos)
        except RecursionError:
            line = buf.line_at(buf.pos)
            raise FileFormatError(f"JSON nested too deeply on line {line}", line) from None
        except json.JSONDecodeError as exc:
            near_end = exc.pos >= len(buf.text) - _TAIL or exc.msg.startswith("Unterminated")
            if buf.eof or not near_end:
                line = buf.line_at(exc.pos)
                problem = json_problem(exc.msg)
                raise FileFormatError(f"invalid JSON on line {line}: {problem}", line) from None
            _read_more(buf, json_problem(exc.msg))
            continue
        except ValueError:  # Python refuses to read an integer of over 4,300 digits
            line = buf.line_at(buf.pos)
            raise FileFormatError(f"invalid JSON on line {line}: {TOO_MANY_DIGITS}", line) from None
        if end - buf.pos > MAX_RECORD_BYTES:
            _too_long(buf, None)
        if end < len(buf.text) or buf.eof:
            start, buf.pos = buf.pos, end
            return value, buf.text[start:end]
        _read_more(buf, None)  # a number may go on in the next chunk


def _read_more(buf: _Buffer, reason: str | None) -> None:
    if len(buf.text) - buf.pos > MAX_RECORD_BYTES:
        _too_long(buf, reason)
    buf.fill()


def _too_long(buf: _Buffer, reason: str | None) -> NoReturn:
    line = buf.line_at(buf.pos)
    broken = f" (or its JSON is broken: {reason})" if reason else ""
    raise FileFormatError(f"the record starting on line {line} is longer than 1 MiB{broken}", line)


def _fail_syntax(buf: _Buffer, message: str) -> NoReturn:
    line = buf.line_at(min(buf.pos, len(buf.text)))
    raise FileFormatError(f"invalid JSON on line {line}: {message}", line)
