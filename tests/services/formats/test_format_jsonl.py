import io
import json
from pathlib import Path

import pytest

from app.services.formats import jsonl
from app.services.formats.base import FileFormatError, RawRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"


def read_bytes(data: bytes) -> list[RawRecord]:
    return list(jsonl.read(io.BytesIO(data)))


def test_reads_fixture_with_record_errors_and_line_numbers() -> None:
    with (FIXTURES / "tasks.jsonl").open("rb") as stream:
        records = list(jsonl.read(stream))
    assert [(r.number, r.error) for r in records] == [
        (1, None),
        (3, None),
        (4, "invalid JSON: Expecting value (column 1)"),
        (5, "not a JSON object (found an array)"),
        (6, "unknown field(s): estimate, owner"),
        (7, None),
    ]
    assert records[0].fields == {
        "title": "Write report",
        "priority": "high",
        "tags": ["writing"],
        "due_date": "2030-07-15",
    }
    assert records[1].fields == {"title": "Has nulls"}
    assert records[2].raw == "not json at all"
    assert records[2].fields == {}
    assert records[4].raw == '{"title": "Extra", "owner": "me", "estimate": 3}'
    # id, updated_at and version (our own export's extras) are accepted and ignored.
    assert records[5].fields == {"title": "From our export", "status": "done"}


def test_values_are_passed_on_unvalidated() -> None:
    [record] = read_bytes(b'{"title": 5, "tags": "a;b", "priority": "HIGH"}\r\n')
    assert record.fields == {"title": 5, "tags": "a;b", "priority": "HIGH"}
    assert record.raw == '{"title": 5, "tags": "a;b", "priority": "HIGH"}'


def test_bom_is_accepted() -> None:
    [record] = read_bytes(b'\xef\xbb\xbf{"title": "x"}\n')
    assert record.fields == {"title": "x"}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b'{"title": "caf\xe9"}\n', "not valid UTF-8"),
        (b'{"title": "x"}\n\x00\x01\x02', "binary data"),
    ],
)
def test_unusable_files(data: bytes, match: str) -> None:
    with pytest.raises(FileFormatError, match=match):
        read_bytes(data)


def test_ten_megabyte_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        out.write(b'{"title": "ok"}\n{"title": "')
        for _ in range(10):
            out.write(b"x" * (1 << 20))
        out.write(b'"}\n')
    with path.open("rb") as stream, pytest.raises(FileFormatError, match="line 2") as info:
        list(jsonl.read(stream))
    assert info.value.line == 2


def test_writer_writes_one_api_object_per_line() -> None:
    task = {"id": 3, "title": "Café", "description": None, "tags": [], "version": 1, "extra": 1}
    [line] = list(jsonl.write([task]))
    assert line == '{"id": 3, "title": "Café", "description": null, "tags": [], "version": 1}\n'
    assert json.loads(line)["title"] == "Café"


def test_json_errors_say_where_in_words() -> None:
    records = read_bytes(b'{"title": "never closed}\n{"title": "tab\there"}\n')
    assert [r.error for r in records] == [
        "invalid JSON: Unterminated string (column 11)",
        "invalid JSON: Invalid control character (column 15)",
    ]


def test_a_number_python_will_not_read_rejects_its_record_only() -> None:
    records = read_bytes(b'{"title": "a", "version": ' + b"9" * 5000 + b'}\n{"title": "b"}\n')
    assert [r.error for r in records] == ["invalid JSON: a number has more than 4,300 digits", None]


def test_a_taskwarrior_task_read_as_plain_json_says_which_format_it_is() -> None:
    line = b'{"description": "x", "entry": "20240101T000000Z", "status": "pending", "uuid": "u"}'
    [record] = read_bytes(line)
    assert record.error == (
        "unknown field(s): entry, uuid "
        "(this is a Taskwarrior task: import the file as the taskwarrior format)"
    )
