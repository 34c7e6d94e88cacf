import io
import json
import tracemalloc
from pathlib import Path

import pytest

from app.services.formats import json as json_format
from app.services.formats.base import FileFormatError, RawRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"


def read_bytes(data: bytes) -> list[RawRecord]:
    return list(json_format.read(io.BytesIO(data)))


def test_reads_fixture_numbering_elements() -> None:
    with (FIXTURES / "tasks.json").open("rb") as stream:
        records = list(json_format.read(stream))
    assert [(r.number, r.error) for r in records] == [
        (1, None),
        (2, None),
        (3, "not a JSON object (found a string)"),
        (4, "unknown field(s): owner"),
    ]
    assert records[0].fields == {"title": "Write report", "priority": "high", "tags": ["writing"]}
    assert records[1].fields == {"title": "Spans lines", "description": "second\nline"}
    assert (
        records[1].raw == '{\n    "title": "Spans lines",\n    "description": "second\\nline"\n  }'
    )
    assert records[2].raw == '"a string"'


def test_empty_array_and_whitespace() -> None:
    assert read_bytes(b" \n[ \n ]\n") == []


def test_compact_single_line_array() -> None:
    records = read_bytes(b'[{"title":"a"},{"title":"b"},null,{"title":"c","id":9}]')
    assert [r.fields for r in records] == [{"title": "a"}, {"title": "b"}, {}, {"title": "c"}]
    assert records[2].error == "not a JSON object (found null)"


def test_not_an_array_is_unusable() -> None:
    with (
        (FIXTURES / "object.json").open("rb") as stream,
        pytest.raises(FileFormatError, match="not a JSON array"),
    ):
        list(json_format.read(stream))


@pytest.mark.parametrize(
    ("data", "match", "line"),
    [
        (b"", "the file is empty", None),
        (b"  \n", "the file is empty", None),
        (b'\n\n[{"title": tru e}]', "line 3: Expecting value", 3),
        (b'[{"title": "a"}', "closing ']'", 1),
        (b'[{"title": "a"},\n]', "expected an element after ','", 2),
        (b'[{"title": "a"} {"title": "b"}]', "expected ',' or ']'", 1),
        (b'[{"title": "a"}]\n[]', "unexpected data after the closing ']'", 2),
        (b'[{"title": "unterminated}]', "line 1: Unterminated string$", 1),  # not "… at"
        (b'[{"title": "caf\xe9"}]', "not valid UTF-8", 1),
        (b'[{"title": "a"},\n"\x00"]', "binary data", 2),
        (b'[{"title": "a"},\n{"version": ' + b"9" * 5000 + b"}]", "more than 4,300 digits", 2),
    ],
)
def test_unusable_files(data: bytes, match: str, line: int | None) -> None:
    with pytest.raises(FileFormatError, match=match) as info:
        read_bytes(data)
    assert info.value.line == line


def test_elements_spanning_many_chunks_and_split_numbers() -> None:
    # Build elements whose boundaries fall at every offset around the 64 KiB chunk size.
    elements = [{"title": "x" * size, "description": str(size)} for size in range(65_500, 65_560)]
    data = ("[" + ",".join(json.dumps(e) for e in elements) + ",12345678]").encode()
    records = read_bytes(data)
    assert [r.fields for r in records[:-1]] == elements
    assert records[-1].raw == "12345678"


def test_multibyte_characters_split_across_chunks() -> None:
    title = "é✓" * 40_000
    [record] = read_bytes(json.dumps([{"title": title}], ensure_ascii=False).encode())
    assert record.fields == {"title": title}


def test_element_over_one_mebibyte_is_refused() -> None:
    data = b'[{"title": "ok"},\n{"title": "' + b"x" * (1 << 20) + b'"}]'
    with pytest.raises(FileFormatError, match="line 2 is longer than 1 MiB") as info:
        read_bytes(data)
    assert info.value.line == 2


def test_ten_megabyte_file_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    element = json.dumps({"title": "t" * 100, "tags": ["a", "b"]})
    count = 10 * (1 << 20) // len(element)
    with path.open("w") as out:
        out.write("[" + ",".join([element] * count) + "]")
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            seen = sum(1 for _ in json_format.read(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 2 * (1 << 20)


def test_writer_writes_an_array_that_reads_back() -> None:
    tasks = [{"id": 1, "title": "a", "tags": []}, {"id": 2, "title": "b", "project": None}]
    text = "".join(json_format.write(tasks))
    assert (
        text
        == '[\n{"id": 1, "title": "a", "tags": []},\n{"id": 2, "title": "b", "project": null}\n]\n'
    )
    assert json.loads(text) == tasks
    assert [r.fields for r in read_bytes(text.encode())] == [
        {"title": "a", "tags": []},
        {"title": "b"},
    ]


def test_writer_with_no_tasks() -> None:
    assert "".join(json_format.write([])) == "[]\n"
