import io
from pathlib import Path

import pytest

from app.services.formats import csv as csv_format
from app.services.formats.base import FileFormatError, RawRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"


def read_file(name: str) -> list[RawRecord]:
    with (FIXTURES / name).open("rb") as stream:
        return list(csv_format.read(stream))


def read_bytes(data: bytes) -> list[RawRecord]:
    return list(csv_format.read(io.BytesIO(data)))


def test_reads_fixture_with_quotes_multiline_cells_and_blank_lines() -> None:
    records = read_file("tasks.csv")
    assert [r.number for r in records] == [2, 3, 4, 8]
    assert records[0].fields == {
        "title": "Write report",
        "description": 'Numbers from Anna, then "draft" it',
        "status": "todo",
        "priority": "high",
        "due_date": "2030-07-15",
        "project": "Work",
        "tags": ["writing", "review"],
    }
    assert records[0].raw == (
        'Write report,"Numbers from Anna, then ""draft"" it",todo,high,2030-07-15,Work,'
        "writing;review"
    )
    assert records[1].fields == {
        "title": "Buy milk",
        "status": "done",
        "priority": "low",
        "tags": ["home"],
    }
    assert records[2].fields == {
        "title": "Multi\nline title",
        "description": "line one\nline two",
        "status": "in_progress",
    }
    assert records[2].raw == '"Multi\nline title","line one\nline two",in_progress,,,,'
    assert records[3].fields == {"title": "Café ✓"}
    assert all(r.error is None and r.note is None for r in records)


def test_bom_and_header_case_and_spaces_are_accepted() -> None:
    [record] = read_file("bom.csv")
    assert record.fields == {"title": "With BOM", "tags": ["a", "b"]}
    assert record.number == 2


def test_crlf_line_endings() -> None:
    records = read_bytes(b'title,description\r\na,"x\r\ny"\r\nb,\r\n')
    assert [(r.number, r.fields) for r in records] == [
        (2, {"title": "a", "description": "x\r\ny"}),
        (4, {"title": "b"}),
    ]
    assert records[1].raw == "b,"


def test_header_only_gives_no_records() -> None:
    assert read_file("header_only.csv") == []


def test_empty_file() -> None:
    with pytest.raises(FileFormatError, match="the file is empty"):
        read_file("empty.csv")


def test_blank_lines_only_is_empty() -> None:
    with pytest.raises(FileFormatError, match="the file is empty"):
        read_bytes(b"\n\n \n")


def test_wrong_cell_count_is_a_record_error() -> None:
    records = read_file("cell_count.csv")
    assert [(r.number, r.error) for r in records] == [
        (2, None),
        (3, "expected 2 cells, found 3"),
        (4, "expected 2 cells, found 1"),
    ]
    assert records[1].raw == "too,many,cells"
    assert records[1].fields == {}


def test_a_cell_over_128_kib_is_read_for_the_schema_to_refuse() -> None:
    # The csv module's own limit made such a file "malformed" as a whole.
    records = read_bytes(b"title,description\nlong," + b"d" * 200_000 + b"\nshort,d\n")
    assert [(r.number, len(r.fields["description"])) for r in records] == [(2, 200_000), (3, 1)]


def test_tags_are_split_and_trimmed_and_empty_parts_dropped() -> None:
    [record] = read_bytes(b"title,tags\nx, a ;;B;\n")
    assert record.fields["tags"] == ["a", "B"]


def test_a_row_of_only_tag_separators_is_a_record_not_a_blank_row() -> None:
    records = read_bytes(b"title,tags\n,;\n , ; \n\n")

    # Nothing is dropped silently: both rows reach validation (and fail it: no title).
    assert [(r.number, r.fields, r.raw) for r in records] == [(2, {}, ",;"), (3, {}, " , ; ")]


def test_whitespace_only_cells_are_absent_but_values_are_kept_as_read() -> None:
    [record] = read_bytes(b"title,project,tags\n  padded  ,  , ; \n")
    assert record.fields == {"title": "  padded  "}


@pytest.mark.parametrize(
    ("name", "match", "line"),
    [
        ("latin1.csv", "not valid UTF-8", 2),
        ("binary.csv", "binary data", 3),
        ("unbalanced_quote.csv", "record starting on line 3.*unbalanced double quote", 3),
        ("missing_title.csv", "'title' is missing; unknown column.*'name'", 1),
        ("unknown_column.csv", "unknown column.*'owner', 'estimate'", 1),
    ],
)
def test_unusable_files(name: str, match: str, line: int) -> None:
    with pytest.raises(FileFormatError, match=match) as info:
        read_file(name)
    assert info.value.line == line


def test_unusable_file_errors_come_after_earlier_records() -> None:
    records = csv_format.read(io.BytesIO(b'title\nfine\n"bad"x\n'))
    assert next(records).fields == {"title": "fine"}
    with pytest.raises(FileFormatError, match="line 3"):
        next(records)


def test_unbalanced_quote_early_in_a_big_file_fails_fast_with_its_line() -> None:
    data = b'title,description\nok,"never closed\n' + b"more,text\n" * 200_000
    with pytest.raises(FileFormatError, match="starting on line 2") as info:
        read_bytes(data)
    assert info.value.line == 2


def test_empty_and_duplicate_column_names() -> None:
    with pytest.raises(FileFormatError, match=r"\(empty name\)"):
        read_bytes(b"title,\nx,\n")
    with pytest.raises(FileFormatError, match=r"duplicate column.*title"):
        read_bytes(b"title,Title\nx,y\n")


def test_writer_header_and_rows() -> None:
    task = {
        "id": 1,
        "title": 'Say "hi", then leave',
        "description": "two\nlines",
        "status": "done",
        "priority": "low",
        "due_date": None,
        "project": "Home",
        "tags": ["a", "b"],
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-01-02T00:00:00+00:00",
        "completed_at": "2024-01-02T00:00:00+00:00",
        "version": 2,
    }
    assert "".join(csv_format.write([task])) == (
        "title,description,status,priority,due_date,project,tags,created_at,completed_at\r\n"
        '"Say ""hi"", then leave","two\nlines",done,low,,Home,a;b,'
        "2024-01-01T00:00:00+00:00,2024-01-02T00:00:00+00:00\r\n"
    )


def test_writer_with_no_tasks_writes_the_header() -> None:
    assert list(csv_format.write([])) == [",".join(csv_format.COLUMNS) + "\r\n"]


@pytest.mark.parametrize("block", [1, 3, 10])
def test_a_quoted_cell_across_read_blocks_keeps_its_line_and_raw_text(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b'title,description\nfirst,"one\r\ntwo\nthree"\n\nsecond,plain\n"third\n",\n'
    expected = read_bytes(data)
    monkeypatch.setattr("app.services.formats.lines.BLOCK_BYTES", block)
    records = read_bytes(data)
    assert records == expected
    assert [(r.number, r.raw) for r in records] == [
        (2, 'first,"one\r\ntwo\nthree"'),
        (6, "second,plain"),
        (7, '"third\n",'),
    ]
    assert records[0].fields["description"] == "one\r\ntwo\nthree"


def test_a_malformed_row_after_a_multiline_cell_names_its_own_line() -> None:
    with pytest.raises(FileFormatError, match="starting on line 4") as info:
        read_bytes(b'title,description\na,"x\ny"\nb,"ok"x\n')
    assert info.value.line == 4


def test_old_mac_line_endings_say_what_to_do() -> None:
    with pytest.raises(FileFormatError) as info:
        read_bytes(b"title,priority\ra,low\rb,high\r")
    assert str(info.value) == (
        "the CSV is malformed in the record starting on line 1: a line ends with a lone "
        "carriage return (\\r) (save the file with \\n or \\r\\n line endings)"
    )
