import io
from pathlib import Path
from typing import BinaryIO

import pytest

from app.services.formats.base import MAX_RECORD_BYTES, FileFormatError
from app.services.formats.lines import BLOCK_BYTES, iter_lines, iter_text_lines, strip_newline


class CountingStream(io.RawIOBase):
    """A stream over a file that records the largest single read and the total read."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.largest = 0
        self.total = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self.inner.readline(-1 if size is None else size))

    def read(self, size: int = -1) -> bytes:
        return self._counted(self.inner.read(size))

    def _counted(self, data: bytes) -> bytes:
        self.largest = max(self.largest, len(data))
        self.total += len(data)
        return data


def lines(data: bytes) -> list[tuple[int, str]]:
    return list(iter_lines(io.BytesIO(data)))


def test_numbers_lines_and_keeps_terminators() -> None:
    assert lines(b"a\r\nb\n\nc") == [(1, "a\r\n"), (2, "b\n"), (3, "\n"), (4, "c")]


def test_strip_newline() -> None:
    assert [strip_newline(s) for s in ("a\r\n", "b\n", "c", "d\r")] == ["a", "b", "c", "d"]


def test_utf8_bom_is_dropped_from_first_line_only() -> None:
    assert lines(b"\xef\xbb\xbfa\n\xef\xbb\xbfb\n") == [(1, "a\n"), (2, "\ufeffb\n")]


def test_empty_file() -> None:
    with pytest.raises(FileFormatError, match="empty"):
        lines(b"")


def test_latin1_bytes_are_an_encoding_error_with_line() -> None:
    with pytest.raises(FileFormatError, match="not valid UTF-8") as info:
        lines(b"ok\ncaf\xe9\n")
    assert info.value.line == 2
    assert "0xe9" in info.value.message


def test_nul_byte_is_binary_data() -> None:
    with pytest.raises(FileFormatError, match="binary data") as info:
        lines(b"ok\nok\n\x89PNG\x00\x00")
    assert info.value.line == 3


def test_utf16_bom_is_named() -> None:
    with pytest.raises(FileFormatError, match="UTF-16"):
        lines("title\n".encode("utf-16"))


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_line_of_exactly_the_limit_is_accepted(ending: bytes) -> None:
    [(_, text)] = lines(b"a" * MAX_RECORD_BYTES + ending)
    assert len(strip_newline(text)) == MAX_RECORD_BYTES


def test_line_one_byte_over_the_limit_is_refused() -> None:
    with pytest.raises(FileFormatError, match="longer than 1 MiB") as info:
        lines(b"ok\n" + b"a" * (MAX_RECORD_BYTES + 1) + b"\n")
    assert info.value.line == 2


def test_ten_megabyte_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as out:
        out.write(b"title\n")
        for _ in range(10):
            out.write(b"x" * (1 << 20))
        out.write(b"\nmore\n")
    with path.open("rb") as raw:
        stream = CountingStream(raw)
        with pytest.raises(FileFormatError, match="line 2 is longer than 1 MiB"):
            list(iter_lines(stream))  # type: ignore[arg-type]
    # Refused once the line passes the limit: at most one read beyond it.
    assert stream.total <= len(b"title\n") + MAX_RECORD_BYTES + 2 + BLOCK_BYTES
    assert stream.largest <= BLOCK_BYTES


def test_text_lines_skip_blank_lines_and_drop_terminators() -> None:
    assert list(iter_text_lines(io.BytesIO(b"\n a\r\n \t\nb"))) == [(2, " a"), (4, "b")]


def test_text_lines_of_only_blank_lines_is_empty() -> None:
    with pytest.raises(FileFormatError, match="the file is empty"):
        list(iter_text_lines(io.BytesIO(b"\n \r\n\n")))


class TrickleStream(io.RawIOBase):
    """A pipe that hands over at most `step` bytes per read, like a slow producer."""

    def __init__(self, data: bytes, step: int) -> None:
        self.inner = io.BytesIO(data)
        self.step = step

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        return self.inner.read(min(size, self.step))


MIXED = (
    "\ufefftitle\r\n"  # BOM, CRLF
    "caf\u00e9 \u2713\n"  # multi-byte characters
    "lone\rreturn\x0cform\x1cfeed\u2028sep\n"  # none of these ends a line
    "\n"
    "no final newline"
).encode()
MIXED_LINES = [
    (1, "title\r\n"),
    (2, "caf\u00e9 \u2713\n"),
    (3, "lone\rreturn\x0cform\x1cfeed\u2028sep\n"),
    (4, "\n"),
    (5, "no final newline"),
]


def test_only_newline_ends_a_line() -> None:
    assert lines(MIXED) == MIXED_LINES


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64])
def test_lines_do_not_depend_on_how_the_file_is_cut_into_blocks(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.services.formats.lines.BLOCK_BYTES", block)
    assert lines(MIXED) == MIXED_LINES


@pytest.mark.parametrize("step", [1, 2, 7])
def test_a_stream_delivering_a_few_bytes_at_a_time(step: int) -> None:
    assert list(iter_lines(TrickleStream(MIXED, step))) == MIXED_LINES  # type: ignore[arg-type]


@pytest.mark.parametrize(("bad", "match"), [(b"\x00", "binary data"), (b"\xe9", "not valid UTF-8")])
def test_an_error_far_into_the_file_names_its_line(
    bad: bytes, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.services.formats.lines.BLOCK_BYTES", 16)
    with pytest.raises(FileFormatError, match=f"{match}.* line 1001") as info:
        lines(b"a fine line\n" * 1000 + b"then " + bad + b" here\n" + b"more\n" * 10)
    assert info.value.line == 1001


def test_a_bom_only_file_is_empty() -> None:
    with pytest.raises(FileFormatError, match="the file is empty"):
        lines(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("data", "match", "line"),
    [
        (b"title\ncaf\xe9\n" + b"ok\n" * 1000 + b"bad\x00\n", "not valid UTF-8", 2),
        (b"ok\n" + b"x" * (MAX_RECORD_BYTES + 100) + b"\n\x00\n", "longer than 1 MiB", 2),
        (b"ok\n\x00\n" + b"x" * (MAX_RECORD_BYTES + 100) + b"\n", "binary data", 2),
    ],
)
def test_of_several_problems_in_one_block_the_first_line_is_named(
    data: bytes, match: str, line: int
) -> None:
    with pytest.raises(FileFormatError, match=match) as info:
        lines(data)
    assert info.value.line == line


def test_a_line_of_the_limit_arriving_in_small_reads_is_accepted() -> None:
    data = b"a" * MAX_RECORD_BYTES + b"\r\nnext\n"
    stream = TrickleStream(data, 4096)
    assert [n for n, _ in iter_lines(stream)] == [1, 2]  # type: ignore[arg-type]
