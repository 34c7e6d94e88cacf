import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.services.formats import todotxt
from app.services.formats.base import FileFormatError, RawRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"
DAY = "2026-11-27T00:00:00+00:00"


def read_bytes(data: bytes) -> list[RawRecord]:
    return list(todotxt.read(io.BytesIO(data)))


def test_real_todo_sh_file_maps_as_documented() -> None:
    with (FIXTURES / "todo.txt").open("rb") as stream:
        records = list(todotxt.read(stream))
    assert [r.number for r in records] == [1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert all(r.error is None for r in records)
    fields = [r.fields for r in records]
    assert fields[0] == {
        "title": "Write the quarterly report",
        "status": "todo",
        "priority": "urgent",
        "project": "work.reports",
        "tags": ["office"],
        "due_date": "2030-07-15",
        "created_at": DAY,
    }
    assert fields[1] == {
        "title": "Call mum",
        "status": "todo",
        "priority": "high",
        "tags": ["phone", "home"],
        "created_at": DAY,
    }
    assert fields[2]["title"] == "Fix the bike +garage key:val"  # only the first +project
    assert fields[2]["project"] == "home"
    assert fields[2]["priority"] == "medium"
    assert fields[3]["priority"] == "low"  # (Z)
    assert fields[4] == {
        "title": "Pay rent",
        "status": "done",
        "priority": "medium",
        "project": "home",
        "due_date": "2024-01-31",
        "completed_at": DAY,
        "created_at": DAY,
    }
    assert fields[5]["priority"] == "low"  # (D)
    assert fields[6] == {
        "title": "Unicode café ✓",
        "status": "todo",
        "priority": "medium",
        "tags": ["errands"],
        "created_at": DAY,
    }
    # `todo.sh do` on a task without creation date: one date, the completion date.
    assert fields[7] == {
        "title": "Renew passport",
        "status": "done",
        "priority": "medium",
        "project": "admin",
        "tags": ["errands"],
        "completed_at": DAY,
    }
    assert fields[8] == {
        "title": "Ship release",
        "status": "todo",
        "priority": "medium",
        "project": "dev",
        "tags": ["work"],
    }
    assert records[4].raw == "x 2026-11-27 2026-11-27 Pay rent +home due:2024-01-31"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("(A)Not a priority", {"title": "(A)Not a priority"}),
        ("(a) lowercase", {"title": "(a) lowercase"}),
        ("X 2024-01-01 capital X", {"title": "X 2024-01-01 capital X"}),
        ("xylophone lesson", {"title": "xylophone lesson"}),
        ("2024-13-45 not a date", {"title": "2024-13-45 not a date"}),
        ("email a@b.c about 1+1", {"title": "email a@b.c about 1+1"}),
        ("call @ + alone", {"title": "call @ + alone"}),
        ("due:tomorrow pay", {"title": "pay", "due_date": "tomorrow"}),
        (
            "x done pri:A status:other",
            {"title": "done status:other", "status": "done", "priority": "urgent"},
        ),
        ("x done status:in_progress", {"title": "done", "status": "done"}),
        ("(A) open status:cancelled", {"title": "open", "priority": "urgent"}),
        ("(B) open pri:A", {"title": "open pri:A", "priority": "high"}),
        (
            "x 2024-01-02 2024-01-01 won pri:A",
            {"title": "won", "status": "done", "priority": "urgent"},
        ),
        ("x 2024-01-02 gave up status:cancelled", {"title": "gave up", "status": "cancelled"}),
        (
            "(A) working status:in_progress",
            {"title": "working", "status": "in_progress", "priority": "urgent"},
        ),
        ("(C) +first +second two  spaces", {"title": "+second two spaces", "project": "first"}),
        ("+only @tags", {"project": "only", "tags": ["tags"]}),
    ],
)
def test_line_mapping(line: str, expected: dict[str, Any]) -> None:
    fields = todotxt.parse_line(line)
    defaults = {"status": "todo", "priority": "medium"}
    assert {k: v for k, v in fields.items() if k not in ("completed_at", "created_at")} == {
        **defaults,
        **expected,
    }


def test_blank_line_has_no_title() -> None:
    assert todotxt.parse_line("  ") == {"status": "todo", "priority": "medium"}


def test_completion_and_creation_dates() -> None:
    fields = todotxt.parse_line("x 2024-01-02 2024-01-01 t")
    assert fields["completed_at"] == "2024-01-02T00:00:00+00:00"
    assert fields["created_at"] == "2024-01-01T00:00:00+00:00"
    assert "completed_at" not in todotxt.parse_line("x 2024-01-02 t status:cancelled")


def test_blank_lines_and_crlf() -> None:
    records = read_bytes(b"\r\n  \r\n(A) a\r\n")
    assert [(r.number, r.raw, r.fields["title"]) for r in records] == [(3, "(A) a", "a")]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"\r\n\n", "empty"),
        (b"caf\xe9\n", "not valid UTF-8"),
        (b"\x00\x01", "binary data"),
    ],
)
def test_unusable_files(data: bytes, match: str) -> None:
    with pytest.raises(FileFormatError, match=match):
        read_bytes(data)


def task(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 1,
        "title": "Write report",
        "description": "not written",
        "status": "todo",
        "priority": "medium",
        "due_date": None,
        "project": None,
        "tags": [],
        "created_at": "2024-01-05T23:30:00-02:00",
        "updated_at": "2024-01-07T09:00:00+00:00",
        "completed_at": None,
        "version": 1,
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({}, "(C) 2024-01-06 Write report"),
        (
            {
                "priority": "urgent",
                "project": "Work  reports",
                "tags": ["a", "b"],
                "due_date": "2030-07-15",
            },
            "(A) 2024-01-06 Write report +Work_reports @a @b due:2030-07-15",
        ),
        (
            {"priority": "high", "status": "in_progress"},
            "(B) 2024-01-06 Write report status:in_progress",
        ),
        ({"priority": "low", "title": "two\nlines"}, "(D) 2024-01-06 two lines"),
        (
            {"status": "done", "completed_at": "2024-01-08T10:00:00+00:00"},
            "x 2024-01-08 2024-01-06 Write report",
        ),
        (
            {"status": "done", "priority": "urgent", "completed_at": "2024-01-08T10:00:00+00:00"},
            "x 2024-01-08 2024-01-06 Write report pri:A",
        ),
        ({"status": "cancelled"}, "x 2024-01-07 2024-01-06 Write report status:cancelled"),
    ],
)
def test_writer_lines(overrides: dict[str, Any], line: str) -> None:
    assert list(todotxt.write([task(**overrides)])) == [line + "\n"]


@pytest.mark.parametrize(
    "title", ["Call mom +Home", "Pay by due:2020-01-01", "+Home first", "Plain words"]
)
def test_a_title_that_looks_like_metadata_keeps_the_tasks_own(title: str) -> None:
    """The first `+project` and `due:` of a line are the task's: ours must come first."""
    written = task(title=title, project="Family", due_date="2030-07-15", tags=["phone"])

    [line] = todotxt.write([written])
    fields = todotxt.parse_line(line)

    assert (fields["title"], fields["project"], fields["due_date"]) == (
        title,
        "Family",
        "2030-07-15",
    )


@pytest.mark.skipif(shutil.which("todo-txt") is None, reason="todo.txt-cli is not installed")
def test_live_todo_sh_lists_our_export(tmp_path: Path) -> None:
    tasks = [
        task(id=1, priority="urgent", project="Work", tags=["office"], due_date="2030-07-15"),
        task(id=2, title="Pay rent", status="done", completed_at="2024-01-08T10:00:00+00:00"),
        task(id=3, title="Refactor", status="in_progress", priority="low"),
    ]
    lines = "".join(todotxt.write(tasks))
    (tmp_path / "todo.txt").write_text(lines, encoding="utf-8")
    config = tmp_path / "config"
    config.write_text(
        f'export TODO_DIR="{tmp_path}"\n'
        'export TODO_FILE="$TODO_DIR/todo.txt"\n'
        'export DONE_FILE="$TODO_DIR/done.txt"\n'
        'export REPORT_FILE="$TODO_DIR/report.txt"\n'
    )
    env = {**os.environ, "TODOTXT_PLAIN": "1"}

    def todo(*args: str) -> str:
        return subprocess.run(
            ["todo-txt", "-d", str(config), "-p", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    listed = todo("ls")
    for number, line in enumerate(lines.splitlines(), start=1):
        assert f"{number} {line}\n" in listed
    assert "3 of 3 tasks shown" in listed
    assert "1 (A) 2024-01-06 Write report +Work @office due:2030-07-15" in todo("listpri", "A")
    assert todo("listproj").split() == ["+Work"]
    assert todo("listcon").split() == ["@office"]
    # and todo.sh's own edits read back as expected (`do` archives to done.txt)
    todo("do", "3")
    [*_, refactor] = read_bytes((tmp_path / "done.txt").read_bytes())
    assert refactor.fields["status"] == "done"  # the x marker wins over status:in_progress
    assert refactor.raw.startswith("x ")


def test_old_mac_line_endings_are_refused_not_merged_into_one_task() -> None:
    records = read_bytes(b"(A) first +P\r(B) second due:2024-01-01\r\n(C) third\r\n")
    assert [(r.number, r.error is None) for r in records] == [(1, False), (2, True)]
    assert "carriage return" in (records[0].error or "")
    assert records[1].fields["title"] == "third"
