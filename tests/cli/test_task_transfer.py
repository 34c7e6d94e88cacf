"""`app-cli tasks import` and `app-cli tasks export`, end to end against a committed database.

Every run checks the rule that holds for all of them: exit code, stdout and stderr are
checked apart, and the user never sees a traceback. "The database is exactly as it was"
is checked by listing every task and project (through the services) before and after.
"""

import asyncio
import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.core.database import Database
from app.core.enums import Priority
from app.schemas.project import ProjectCreate
from app.schemas.task import TaskCreate, TaskFilters
from app.services import task_import
from app.services.formats import READERS, FileFormat, RawRecord
from app.services.project import ProjectService
from app.services.task import TaskService
from cli.main import app
from tests.conftest import ON_POSTGRES

# Not a terminal, no colour forced either way, and no DATABASE_URL leaking in.
ENV: dict[str, str | None] = {
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "DATABASE_URL": None,
    "COLUMNS": "200",
}
RUNNER = CliRunner(env=ENV)

TEN_MB = 10 * 1024 * 1024


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"unhandled {result.exception!r}\nstderr: {result.stderr}"


class Cli:
    """`app-cli --database-url URL …` in-process."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str | Path, input: bytes | str | None = None) -> Result:
        argv = ["--database-url", self.url, *(str(a) for a in args)]
        result = RUNNER.invoke(app, argv, input=input)
        assert_no_traceback(result)
        return result

    def run(self, code: int, *args: str | Path, input: bytes | str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == code, (
            f"exit {result.exit_code}, wanted {code}\n{result.stdout}\n{result.stderr}"
        )
        return result

    def import_(self, code: int, *args: str | Path, input: bytes | str | None = None) -> Result:
        """`tasks import …`: never anything on stdout (data only goes there on export)."""
        result = self.run(code, "tasks", "import", *args, input=input)
        assert result.stdout == ""
        return result

    def snapshot(self) -> dict[str, Any]:
        """Every task and project, in the API's (and `--json`'s) shape, read via the services."""
        return asyncio.run(_snapshot(self.url))

    def tasks(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.snapshot()["tasks"]
        return items

    def project_names(self) -> list[str]:
        return [p["name"] for p in self.snapshot()["projects"]]


@pytest.fixture
def cli(committed_database_url: str) -> Cli:
    return Cli(committed_database_url)


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Cli]:
    """For usage errors, which must be caught before any database is opened."""
    never_opened = tmp_path / "never-opened.db"
    yield Cli(f"sqlite+aiosqlite:///{never_opened}")
    assert not never_opened.exists(), "a usage error must not touch the database"


async def _snapshot(url: str) -> dict[str, Any]:
    database = Database(url)
    try:
        await database.create_all()
        async with database.session(write=False) as session:
            service = TaskService.from_session(session)
            tasks = [t.model_dump(mode="json") async for t in service.iter_tasks(TaskFilters())]
            projects = await ProjectService.from_session(session).list_all()
        return {"tasks": tasks, "projects": projects.model_dump(mode="json")["items"]}
    finally:
        await database.dispose()


async def _seed(url: str) -> None:
    database = Database(url)
    try:
        await database.create_all()
        async with database.session() as session:
            await ProjectService.from_session(session).create(ProjectCreate(name="Home"))
            tasks = TaskService.from_session(session)
            await tasks.create(TaskCreate(title="Existing task", project="home", tags=["keep"]))
            await tasks.create(
                TaskCreate(title="Another", priority=Priority.HIGH, due_date=date(2030, 1, 1))
            )
    finally:
        await database.dispose()


@pytest.fixture
def seeded(cli: Cli) -> dict[str, Any]:
    """A database that is not empty: one project and two tasks, one of them in it."""
    asyncio.run(_seed(cli.url))
    before = cli.snapshot()
    assert len(before["tasks"]) == 2
    assert before["tasks"][0]["project"] == "Home"
    return before


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def jsonl(*records: Any) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def fields(task: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "description", "status", "priority", "due_date", "project", "tags")
    return {k: task[k] for k in keys}


def listed_problems(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith(("  line", "  record"))]


# --- importing: formats and sources ---------------------------------------------------------

FIXTURES = Path(__file__).parent.parent / "fixtures" / "formats"


def test_csv_import_creates_the_tasks_and_their_project(cli: Cli) -> None:
    result = cli.import_(0, FIXTURES / "tasks.csv")
    assert "read 4, imported 4, rejected 0, new projects 1" in result.stderr
    tasks = cli.tasks()
    assert [fields(t) for t in tasks] == [
        {
            "title": "Write report",
            "description": 'Numbers from Anna, then "draft" it',
            "status": "todo",
            "priority": "high",
            "due_date": "2030-07-15",
            "project": "Work",
            "tags": ["review", "writing"],
        },
        {
            "title": "Buy milk",
            "description": None,
            "status": "done",
            "priority": "low",
            "due_date": None,
            "project": None,
            "tags": ["home"],
        },
        {
            "title": "Multi\nline title",
            "description": "line one\nline two",
            "status": "in_progress",
            "priority": "medium",
            "due_date": None,
            "project": None,
            "tags": [],
        },
        {
            "title": "Café ✓",
            "description": None,
            "status": "todo",
            "priority": "medium",
            "due_date": None,
            "project": None,
            "tags": [],
        },
    ]
    assert tasks[1]["completed_at"] is not None
    assert cli.project_names() == ["Work"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tasks.jsonl", jsonl({"title": "A", "priority": "low"}, {"title": "B"})),
        ("tasks.NDJSON", jsonl({"title": "A", "priority": "low"}, {"title": "B"})),
        ("tasks.json", json.dumps([{"title": "A", "priority": "low"}, {"title": "B"}])),
        ("tasks.CSV", "title,priority\nA,low\nB,\n"),
        ("todo.txt", "(D) A\nB\n"),
    ],
)
def test_format_comes_from_the_extension(cli: Cli, tmp_path: Path, name: str, content: str) -> None:
    result = cli.import_(0, write(tmp_path / name, content))
    assert "read 2, imported 2" in result.stderr
    assert [(t["title"], t["priority"]) for t in cli.tasks()] == [("A", "low"), ("B", "medium")]


def test_format_option_wins_over_the_extension(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "export.txt", jsonl({"title": "From JSON lines", "tags": ["x"]}))
    cli.import_(0, path, "--format", "jsonl")
    assert [(t["title"], t["tags"]) for t in cli.tasks()] == [("From JSON lines", ["x"])]


def test_taskwarrior_import_needs_the_format_and_skips_recurring_templates_with_a_note(
    cli: Cli,
) -> None:
    result = cli.import_(0, FIXTURES / "taskwarrior_export.json", "--format", "taskwarrior")
    assert "read 9, imported 8, rejected 0, skipped 1" in result.stderr
    assert "note: record 5: recurring template skipped" in result.stderr
    assert "note: no task field holds these, so they are left out: wait (1 record)" in (
        result.stderr
    )
    tasks = cli.tasks()
    assert len(tasks) == 8
    by_title = {t["title"]: t for t in tasks}
    assert by_title["Refactor parser"]["status"] == "in_progress"
    assert by_title["Pay rent"]["status"] == "done"
    assert by_title["Old idea"]["status"] == "cancelled"
    assert by_title["Write the quarterly report"]["project"] == "work.reports.q3"
    assert sorted(cli.project_names()) == ["dev", "home", "misc", "work.reports.q3"]


def test_todotxt_import(cli: Cli) -> None:
    result = cli.import_(0, FIXTURES / "todo.txt")
    assert "read 9, imported 9" in result.stderr
    first = cli.tasks()[0]
    assert fields(first) == {
        "title": "Write the quarterly report",
        "description": None,
        "status": "todo",
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "work.reports",
        "tags": ["office"],
    }


def test_stdin_with_a_format(cli: Cli) -> None:
    result = cli.import_(0, "-", "--format", "csv", input="title,tags\nFrom stdin,a;b\n")
    assert "read 1, imported 1" in result.stderr
    assert [(t["title"], t["tags"]) for t in cli.tasks()] == [("From stdin", ["a", "b"])]


def test_stdin_without_a_format_is_refused(offline: Cli) -> None:
    result = offline.import_(2, "-", input="title\nx\n")
    assert "Cannot tell the file's format" in result.stderr
    assert "--format" in result.stderr


@pytest.mark.parametrize(
    "piped",
    ['{"title": "From a pipe", "tags": ["a"]}\n', '[{"title": "From a pipe", "tags": ["a"]}]'],
    ids=["jsonl", "json"],
)
def test_json_on_stdin_needs_no_format(cli: Cli, piped: str) -> None:
    result = cli.import_(0, "-", input=piped)
    assert "read 1, imported 1" in result.stderr
    assert [(t["title"], t["tags"]) for t in cli.tasks()] == [("From a pipe", ["a"])]


def test_a_taskwarrior_export_on_stdin_is_told_to_name_its_format(cli: Cli) -> None:
    piped = '[{"description": "x", "uuid": "u", "entry": "20240105T093000Z"}]'
    result = cli.import_(1, "-", input=piped)
    assert "import the file as the taskwarrior format" in result.stderr
    assert cli.tasks() == []


def test_file_without_a_known_extension_needs_a_format(offline: Cli, tmp_path: Path) -> None:
    result = offline.import_(2, write(tmp_path / "tasks.dat", "title\nx\n"))
    assert "Cannot tell the file's format" in result.stderr
    assert "--format" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--on-error", "ignore"], "use abort or skip"),
    ],
)
def test_bad_options_are_usage_errors(
    offline: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = offline.import_(2, write(tmp_path / "t.csv", "title\nx\n"), *args)
    assert message in result.stderr


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_input_is_a_clear_error(offline: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nope.csv"
    if kind == "directory":
        path.mkdir()
    result = offline.import_(2, path)
    assert f"Cannot read {path}" in result.stderr


# --- all or nothing -------------------------------------------------------------------------

INVALID_CSV = (
    "title,priority,due_date,project,tags\n"  # line 1
    "Valid one,high,2030-01-01,Brand new,a;b\n"  # 2
    ",low,,,\n"  # 3: no title
    "Bad priority,whenever,,,\n"  # 4
    "Bad date,,2030-02-30,,\n"  # 5
    "Bad tag,,,,has space\n"  # 6
    '"Multi\nline",,,Another new,\n'  # 7-8: valid
    "Too,many,cells,for,this,row\n"  # 9
    "Last valid,,,,\n"  # 10
)


def test_an_invalid_row_anywhere_leaves_the_database_exactly_as_it_was(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    result = cli.import_(1, write(tmp_path / "tasks.csv", INVALID_CSV))
    assert cli.snapshot() == seeded
    problems = listed_problems(result.stderr)
    assert [p.split(":")[0] for p in problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 9",
    ]
    assert problems[0].startswith("line 3: title:")
    assert problems[1].startswith("line 4: priority:")
    assert problems[2].startswith("line 5: due_date:")
    assert problems[3].startswith("line 6: tags:")
    assert "has space" in problems[3]
    assert problems[4] == "line 9: expected 5 cells, found 6"
    assert "read 8, imported 0, rejected 5" in result.stderr
    assert "Error: 5 of 8 records are invalid; nothing was imported" in result.stderr
    assert "--on-error skip" in result.stderr


def test_json_problems_are_numbered_by_record(cli: Cli, tmp_path: Path) -> None:
    content = json.dumps(
        [{"title": "ok"}, "a string", {"title": "x", "owner": "me"}, {"title": "y", "tags": "a"}]
    )
    result = cli.import_(1, write(tmp_path / "t.json", content))
    problems = listed_problems(result.stderr)
    assert problems[0] == "record 2: not a JSON object (found a string)"
    assert problems[1] == "record 3: unknown field(s): owner"
    assert problems[2].startswith("record 4: tags:")
    assert cli.tasks() == []


def test_every_problem_is_counted_but_only_twenty_are_listed(cli: Cli, tmp_path: Path) -> None:
    records = [{"title": f"ok {n}"} if n % 6 == 0 else {"title": ""} for n in range(1, 31)]
    result = cli.import_(1, write(tmp_path / "t.jsonl", jsonl(*records)))
    problems = listed_problems(result.stderr)
    assert len(problems) == 20
    assert problems[0].startswith("line 1: title:")
    assert "… and 5 more" in result.stderr
    assert "25 of 30 records are invalid" in result.stderr
    assert cli.tasks() == []


def test_a_multi_batch_import_creates_each_project_once(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 3)
    projects = ["Alpha", None, "alpha", "Beta", "Alpha", None, "BETA", "Gamma", None, "beta"]
    records = [{"title": f"t{n}", "project": p} for n, p in enumerate(projects)]
    result = cli.import_(0, write(tmp_path / "t.jsonl", jsonl(*records)))
    assert "read 10, imported 10, rejected 0, new projects 3" in result.stderr
    after = cli.snapshot()
    assert [p["name"].casefold() for p in after["projects"]] == ["alpha", "beta", "gamma"]
    assert [t["title"] for t in after["tasks"]] == [f"t{n}" for n in range(10)]
    assert [(t["project"] or "").casefold() for t in after["tasks"]] == [
        (p or "").casefold() for p in projects
    ]


def test_nothing_is_written_even_after_full_batches(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 2)
    records = [{"title": f"t{n}", "project": "Batch project"} for n in range(7)]
    path = write(tmp_path / "t.jsonl", jsonl(*records, {"title": "late", "status": "paused"}))
    result = cli.import_(1, path)
    assert "line 8: status:" in result.stderr
    assert cli.snapshot() == seeded


def test_rejected_import_summary_says_nothing_was_imported(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 2)
    path = write(tmp_path / "t.jsonl", jsonl(*[{"title": f"t{n}"} for n in range(5)], {}))
    result = cli.import_(1, path)
    assert "nothing was imported" in result.stderr
    assert "read 6, imported 0, rejected 1" in result.stderr


def test_interrupted_import_changes_nothing(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after some batches were inserted: the transaction is rolled back."""
    monkeypatch.setattr(task_import, "BATCH_SIZE", 2)
    original = READERS[FileFormat.JSONL]

    def interrupted(stream: BinaryIO) -> Iterator[RawRecord]:
        for number, record in enumerate(original(stream), start=1):
            if number == 6:
                raise KeyboardInterrupt
            yield record

    monkeypatch.setitem(READERS, FileFormat.JSONL, interrupted)
    records = [{"title": f"t{n}", "project": "Interrupted"} for n in range(9)]
    result = cli.import_(130, write(tmp_path / "t.jsonl", jsonl(*records)))
    assert "Interrupted; nothing was changed" in result.stderr
    assert cli.snapshot() == seeded


def test_interrupted_after_the_commit_says_the_import_was_saved(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the database closes: saying "nothing was changed" would invite a rerun
    that imports every task twice."""

    async def interrupted_close(_database: Database) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Database, "dispose", interrupted_close)
    records = [{"title": f"t{n}"} for n in range(3)]
    result = cli.import_(130, write(tmp_path / "t.jsonl", jsonl(*records)))
    monkeypatch.undo()

    assert "the changes were already saved" in result.stderr
    assert "nothing was changed" not in result.stderr
    assert len(cli.snapshot()["tasks"]) == len(seeded["tasks"]) + 3


def test_a_broken_file_after_written_batches_changes_nothing_even_in_skip_mode(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 2)
    good = jsonl(*[{"title": f"t{n}", "project": "Half"} for n in range(7)]).encode()
    path = write(tmp_path / "t.jsonl", good + '{"title": "Café"}\n'.encode("latin-1"))
    result = cli.import_(2, path, "--on-error", "skip", "--rejects", tmp_path / "rejects.jsonl")
    assert "line 8" in result.stderr
    assert "UTF-8" in result.stderr
    assert cli.snapshot() == seeded


# --- bad files: a clear message, exit 2, nothing changed ------------------------------------

GOOD_CSV = "title,project\nFine,Work\n"
GOOD_JSONL = jsonl({"title": "Fine", "project": "Work"})
GOOD_TXT = "(A) Fine +Work\n"


def _bad_files() -> list[Any]:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    return [
        pytest.param(
            "t.csv", GOOD_CSV + "Café,Work\n", "latin-1", [], "not valid UTF-8", id="latin1-csv"
        ),
        pytest.param(
            "t.jsonl",
            GOOD_JSONL + '{"title": "Café"}\n',
            "latin-1",
            [],
            "not valid UTF-8",
            id="latin1-jsonl",
        ),
        pytest.param(
            "t.json",
            '[{"title": "Fine"}, {"title": "Café"}]',
            "latin-1",
            [],
            "not valid UTF-8",
            id="latin1-json",
        ),
        pytest.param(
            "t.txt", GOOD_TXT + "Café\n", "latin-1", [], "not valid UTF-8", id="latin1-todotxt"
        ),
        pytest.param(
            "t.csv",
            GOOD_CSV.encode() + b"\x00\x01\x02\x03,x\n",
            None,
            [],
            "binary data",
            id="nul-csv",
        ),
        pytest.param(
            "t.jsonl",
            GOOD_JSONL.encode() + b"\x00\x00\x00\x18ftyp\n",
            None,
            [],
            "binary data",
            id="nul-jsonl",
        ),
        pytest.param(
            "t.json", b'[{"title": "Fine"}, \x00]', None, [], "binary data", id="nul-json"
        ),
        pytest.param("t.csv", png, None, [], "not valid UTF-8", id="png-csv"),
        pytest.param("t.csv", "title\nx\n", "utf-16", [], "UTF-16", id="utf16-csv"),
        pytest.param(
            "t.csv",
            'title,description\nfine,fine\nbroken,"no closing quote\nnext,row\n',
            None,
            [],
            "record starting on line 3",
            id="unbalanced-quote",
        ),
        pytest.param(
            "t.csv",
            "name,description\nx,y\n",
            None,
            [],
            "required column 'title' is missing",
            id="missing-title",
        ),
        pytest.param(
            "t.csv",
            "title,owner,estimate\nx,me,3\n",
            None,
            [],
            "unknown column(s): 'owner', 'estimate'",
            id="unknown-columns",
        ),
        pytest.param("t.csv", "", None, [], "the file is empty", id="empty-csv"),
        pytest.param("t.jsonl", "\n  \n\n", None, [], "the file is empty", id="blank-jsonl"),
        pytest.param("t.json", "", None, [], "the file is empty", id="empty-json"),
        pytest.param("t.txt", "", None, [], "the file is empty", id="empty-todotxt"),
        pytest.param(
            "t.json",
            "",
            None,
            ["--format", "taskwarrior"],
            "the file is empty",
            id="empty-taskwarrior",
        ),
        pytest.param(
            "t.json", '{"title": "not an array"}', None, [], "not a JSON array", id="json-object"
        ),
        pytest.param("t.json", '"just a string"', None, [], "not a JSON array", id="json-string"),
        pytest.param("t.json", "42", None, [], "not a JSON array", id="json-number"),
        pytest.param("t.json", '[{"title": "a"},', None, [], "invalid JSON", id="json-truncated"),
        pytest.param(
            "t.json",
            '"description"',
            None,
            ["--format", "taskwarrior"],
            "not a Taskwarrior export",
            id="taskwarrior-string",
        ),
    ]


@pytest.mark.parametrize(("name", "content", "encoding", "args", "message"), _bad_files())
def test_bad_file_is_a_clear_error(
    cli: Cli,
    tmp_path: Path,
    name: str,
    content: str | bytes,
    encoding: str | None,
    args: list[str],
    message: str,
) -> None:
    data = content.encode(encoding) if isinstance(content, str) and encoding else content
    result = cli.import_(2, write(tmp_path / name, data), *args)
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert cli.snapshot() == {"tasks": [], "projects": []}


@pytest.mark.parametrize(
    ("name", "head", "tail", "line"),
    [
        ("big.csv", GOOD_CSV, "\n", 3),
        ("big.jsonl", GOOD_JSONL + '{"title": "', '"}\n', 2),
        ("big.txt", GOOD_TXT, "\n", 2),
        ("big.json", '[{"title": "Fine"},\n{"title": "', '"}]\n', 2),
    ],
)
def test_a_ten_megabyte_line_is_refused(
    cli: Cli, tmp_path: Path, name: str, head: str, tail: str, line: int
) -> None:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        handle.write(head)
        handle.write("x" * TEN_MB)
        handle.write(tail)
    result = cli.import_(2, path)
    assert "longer than 1 MiB" in result.stderr
    assert f"line {line}" in result.stderr
    assert cli.snapshot() == {"tasks": [], "projects": []}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.csv", "\ufeffTitle, Tags \nWith BOM,a;b\n"),
        ("bom.jsonl", "\ufeff" + jsonl({"title": "With BOM", "tags": ["a", "b"]})),
        ("bom.json", "\ufeff" + json.dumps([{"title": "With BOM", "tags": ["a", "b"]}])),
        ("bom.txt", "\ufeffWith BOM @a @b\n"),
    ],
)
def test_a_utf8_bom_is_accepted(cli: Cli, tmp_path: Path, name: str, content: str) -> None:
    cli.import_(0, write(tmp_path / name, content))
    assert [(t["title"], t["tags"]) for t in cli.tasks()] == [("With BOM", ["a", "b"])]


def test_json_array_of_non_objects_is_rejected_record_by_record(cli: Cli, tmp_path: Path) -> None:
    result = cli.import_(1, write(tmp_path / "t.json", "[1, null, [2]]"))
    assert listed_problems(result.stderr) == [
        "record 1: not a JSON object (found a number)",
        "record 2: not a JSON object (found null)",
        "record 3: not a JSON object (found an array)",
    ]
    assert cli.tasks() == []


def test_empty_json_array_and_header_only_csv_import_nothing(cli: Cli, tmp_path: Path) -> None:
    assert "read 0, imported 0" in cli.import_(0, write(tmp_path / "t.json", "[]")).stderr
    assert "read 0, imported 0" in cli.import_(0, write(tmp_path / "t.csv", "title\n")).stderr
    assert cli.tasks() == []


def test_an_escaped_nul_character_is_rejected_as_invalid(cli: Cli, tmp_path: Path) -> None:
    """PostgreSQL cannot store NUL: both engines refuse it as an invalid field."""
    records = [
        {"title": "ok"},
        {"title": "nul \u0000 inside"},
        {"title": "x", "description": "a\u0000b"},
        {"title": "y", "project": "P\u0000"},
    ]
    result = cli.import_(1, write(tmp_path / "t.jsonl", jsonl(*records)))
    problems = listed_problems(result.stderr)
    assert [p.split(":")[:2] for p in problems] == [
        ["line 2", " title"],
        ["line 3", " description"],
        ["line 4", " project"],
    ]
    assert all("NUL" in p and "pattern" not in p for p in problems)
    assert cli.snapshot() == {"tasks": [], "projects": []}


# --- projects -------------------------------------------------------------------------------


def test_projects_named_in_the_file_are_created_once(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    content = (
        "title,project\n"
        "a,Garden\n"
        "b,garden\n"
        "c,  GARDEN  \n"
        "d,HOME\n"  # exists already
        "e,\n"
    )
    result = cli.import_(0, write(tmp_path / "t.csv", content))
    assert "new projects 1" in result.stderr
    after = cli.snapshot()
    assert after["projects"][1:] == seeded["projects"]  # Home untouched
    [garden] = after["projects"][:1]
    assert garden["name"].casefold() == "garden"
    projects = [t["project"] for t in after["tasks"][2:]]
    assert projects == [garden["name"]] * 3 + ["Home", None]


def test_a_long_project_name_that_grows_when_casefolded(cli: Cli, tmp_path: Path) -> None:
    name = "ß" * 100
    cli.import_(0, write(tmp_path / "t.jsonl", jsonl({"title": "x", "project": name})))
    assert cli.project_names() == [name]


# --- --on-error skip and --rejects ----------------------------------------------------------

SKIP_JSONL = (
    '{"title": "ok 1", "project": "Work"}\n'  # 1
    '{"title": ""}\n'  # 2
    "not json\n"  # 3
    '{"title": "ok 2", "owner": "me"}\n'  # 4
    '{"title": "ok 3", "tags": ["Fine", "fine"]}\n'  # 5
    "\n"  # 6: blank, not a record
    '{"title": "ok 4", "status": "paused"}\n'  # 7
    '{"title": "ok 5", "project": "work"}\n'  # 8
)


def read_rejects(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(set(row) == {"record", "reason", "raw"} for row in rows)
    return rows


def test_skip_imports_the_valid_rows_and_writes_every_rejected_one(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    path = write(tmp_path / "t.jsonl", SKIP_JSONL)
    result = cli.import_(3, path, "--on-error", "skip", "--rejects", rejects)
    assert "read 7, imported 3, rejected 4" in result.stderr
    assert f"Rejected records written to {rejects}" in result.stderr
    rows = read_rejects(rejects)
    lines = SKIP_JSONL.splitlines()
    assert [r["record"] for r in rows] == [2, 3, 4, 7]
    assert [r["raw"] for r in rows] == [lines[1], lines[2], lines[3], lines[6]]
    assert rows[0]["reason"].startswith("title:")
    assert rows[1]["reason"].startswith("invalid JSON")
    assert rows[2]["reason"] == "unknown field(s): owner"
    assert rows[3]["reason"].startswith("status:")
    after = cli.snapshot()
    assert after["tasks"][:2] == seeded["tasks"]
    # "Work" and "work" name one project (the first spelling wins: see
    # tests/services/test_task_import.py)
    assert [
        (t["title"], (t["project"] or "").casefold(), t["tags"]) for t in after["tasks"][2:]
    ] == [
        ("ok 1", "work", []),
        ("ok 3", "", ["fine"]),
        ("ok 5", "work", []),
    ]
    assert [p["name"].casefold() for p in after["projects"]] == ["home", "work"]


def test_skip_keeps_multi_line_csv_records_as_read(cli: Cli, tmp_path: Path) -> None:
    content = (
        "title,description,priority\r\n"
        '"Good\r\none",desc,high\r\n'
        '"Bad\r\ntwo","multi\nline, with ""quotes""",whenever\r\n'
        "Tail,,low\r\n"
    )
    rejects = tmp_path / "rejects.jsonl"
    result = cli.import_(
        3, write(tmp_path / "t.csv", content), "--on-error", "skip", "--rejects", rejects
    )
    assert "read 3, imported 2, rejected 1" in result.stderr
    [row] = read_rejects(rejects)
    assert row["record"] == 4
    assert row["raw"] == '"Bad\r\ntwo","multi\nline, with ""quotes""",whenever'
    assert row["reason"].startswith("priority:")
    assert [t["title"] for t in cli.tasks()] == ["Good\r\none", "Tail"]


def test_skip_without_a_rejects_file_lists_the_problems(cli: Cli, tmp_path: Path) -> None:
    result = cli.import_(3, write(tmp_path / "t.jsonl", SKIP_JSONL), "--on-error", "skip")
    assert [p.split(":")[0] for p in listed_problems(result.stderr)] == [
        "line 2",
        "line 3",
        "line 4",
        "line 7",
    ]
    assert len(cli.tasks()) == 3


def test_skip_with_every_row_valid_exits_zero_and_writes_an_empty_rejects_file(
    cli: Cli, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    path = write(tmp_path / "t.jsonl", jsonl({"title": "a"}, {"title": "b"}))
    result = cli.import_(0, path, "--on-error", "skip", "--rejects", rejects)
    assert "read 2, imported 2, rejected 0" in result.stderr
    assert read_rejects(rejects) == []


def test_skip_with_every_row_invalid(cli: Cli, seeded: dict[str, Any], tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    path = write(tmp_path / "t.jsonl", jsonl({"title": ""}, {"priority": "low"}))
    result = cli.import_(3, path, "--on-error", "skip", "--rejects", rejects)
    assert "read 2, imported 0, rejected 2" in result.stderr
    assert len(read_rejects(rejects)) == 2
    assert cli.snapshot() == seeded


def test_dash_means_standard_output_for_rejects_and_export(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a file named "-" would land here
    path = write(tmp_path / "t.jsonl", jsonl({"title": "a"}, {"title": ""}))
    imported = cli.run(3, "tasks", "import", path, "--on-error", "skip", "--rejects", "-")
    exported = cli.run(0, "tasks", "export", "-o", "-")

    assert [json.loads(line)["record"] for line in imported.stdout.splitlines()] == [2]
    assert [json.loads(line)["title"] for line in exported.stdout.splitlines()] == ["a"]
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("name", ["tasks.tsv", "tasks.csv.bak"])
def test_export_to_an_extension_no_format_has_is_refused(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    result = cli.run(2, "tasks", "export", "-o", tmp_path / name)

    assert "Cannot tell the file's format from its extension" in result.stderr
    assert "--format" in result.stderr
    assert not (tmp_path / name).exists()
    assert cli.run(0, "tasks", "export", "-o", tmp_path / "tasks").stdout == ""  # JSON lines


def test_rejects_file_cannot_be_the_input_file(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", SKIP_JSONL)
    result = cli.import_(2, path, "--on-error", "skip", "--rejects", path)
    assert path.read_text(encoding="utf-8") == SKIP_JSONL
    assert "--rejects" in result.stderr
    assert cli.tasks() == []


def test_an_unusable_file_leaves_no_partial_rejects_list(cli: Cli, tmp_path: Path) -> None:
    """Skip mode still stops at a file it cannot read on; the old rejects file stays as it was."""
    out = tmp_path / "out"
    out.mkdir()
    rejects = out / "rejects.jsonl"
    rejects.write_text("from the previous run\n", encoding="utf-8")
    path = write(out / "t.csv", 'title,priority\nok,low\nbad,someday\n"unbalanced,low\n')
    result = cli.import_(2, path, "--on-error", "skip", "--rejects", rejects)
    assert "Rejected records written" not in result.stderr
    assert rejects.read_text(encoding="utf-8") == "from the previous run\n"
    assert sorted(os.listdir(out)) == ["rejects.jsonl", "t.csv"]  # no temporary file left
    assert cli.tasks() == []


def test_rejects_file_that_cannot_be_written(offline: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", SKIP_JSONL)
    rejects = tmp_path / "no" / "such" / "dir" / "rejects.jsonl"
    result = offline.import_(2, path, "--on-error", "skip", "--rejects", rejects)
    assert f"Cannot write {rejects}" in result.stderr


# --- --dry-run ------------------------------------------------------------------------------


def test_dry_run_validates_everything_and_writes_nothing(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    path = write(tmp_path / "t.csv", "title,project\na,New project\nb,Home\n")
    result = cli.import_(0, path, "--dry-run")
    assert "read 2, would import 2, rejected 0" in result.stderr
    assert cli.snapshot() == seeded


def test_dry_run_in_skip_mode_reports_rejects_and_writes_no_tasks(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    path = write(tmp_path / "t.jsonl", SKIP_JSONL)
    result = cli.import_(3, path, "--dry-run", "--on-error", "skip", "--rejects", rejects)
    assert "read 7, would import 3, rejected 4" in result.stderr
    assert [r["record"] for r in read_rejects(rejects)] == [2, 3, 4, 7]
    assert cli.snapshot() == seeded


def test_dry_run_in_abort_mode_rejects_an_invalid_file(
    cli: Cli, seeded: dict[str, Any], tmp_path: Path
) -> None:
    result = cli.import_(1, write(tmp_path / "tasks.csv", INVALID_CSV), "--dry-run")
    assert len(listed_problems(result.stderr)) == 5
    assert cli.snapshot() == seeded


def test_dry_run_still_refuses_a_bad_file(cli: Cli, tmp_path: Path) -> None:
    result = cli.import_(2, write(tmp_path / "t.csv", "title,owner\nx,me\n"), "--dry-run")
    assert "'owner'" in result.stderr


# --- export ---------------------------------------------------------------------------------

SEED = [
    {
        "title": "Write report",
        "description": 'Numbers, "quoted"',
        "priority": "urgent",
        "due_date": "2020-01-10",
        "project": "Work",
        "tags": ["writing", "q1"],
    },
    {
        "title": "Review PR",
        "status": "in_progress",
        "priority": "high",
        "due_date": "2099-03-01",
        "project": "Work",
        "tags": ["code"],
    },
    {"title": "Buy milk", "status": "done", "priority": "low", "project": "Home", "tags": ["x"]},
    {"title": "Old idea", "status": "cancelled", "due_date": "2020-01-01"},
    {
        "title": "Café ✓ unicode",
        "description": "line one\nline two",
        "tags": ["writing"],
        "due_date": "2099-12-31",
    },
]
TITLES = [t["title"] for t in SEED]


@pytest.fixture
def exportable(cli: Cli, tmp_path: Path) -> Cli:
    cli.import_(0, write(tmp_path / "seed.jsonl", jsonl(*SEED)))
    return cli


def parse(fmt: str, text: str) -> list[str]:
    """The titles in an export."""
    if fmt == "jsonl":
        return [json.loads(line)["title"] for line in text.splitlines()]
    if fmt == "json":
        return [task["title"] for task in json.loads(text)]
    if fmt == "csv":
        return [row["title"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    if fmt == "taskwarrior":
        return [task["description"] for task in json.loads(text)]
    assert fmt == "todotxt"
    return text.splitlines()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "taskwarrior", "todotxt"])
def test_export_to_stdout_in_every_format(exportable: Cli, fmt: str) -> None:
    result = exportable.run(0, "tasks", "export", "--format", fmt)
    summary = f"Exported 5 tasks ({fmt}).\n"
    titles = parse(fmt, result.stdout)
    if fmt == "todotxt":  # which has no place for the two descriptions, and says so
        left_out = "  note: todotxt has no place for a task's description: left out of 2 tasks.\n"
        assert result.stderr == summary + left_out
        assert len(titles) == 5
        assert all(title in line for title, line in zip(TITLES, titles, strict=True))
    else:
        assert result.stderr == summary
        assert titles == TITLES


def test_export_defaults_to_json_lines(exportable: Cli) -> None:
    result = exportable.run(0, "tasks", "export")
    assert parse("jsonl", result.stdout) == TITLES
    first = json.loads(result.stdout.splitlines()[0])
    assert first == exportable.tasks()[0]  # the API's shape, field for field


def test_export_json_is_the_api_shape(exportable: Cli) -> None:
    exported = json.loads(exportable.run(0, "tasks", "export", "--format", "json").stdout)
    assert exported == exportable.tasks()


def test_export_csv_has_the_documented_columns(exportable: Cli) -> None:
    text = exportable.run(0, "tasks", "export", "--format", "csv").stdout_bytes.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == [
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "project",
        "tags",
        "created_at",
        "completed_at",
    ]
    assert rows[0]["tags"] == "q1;writing"
    assert rows[0]["description"] == 'Numbers, "quoted"'
    assert rows[4]["description"] == "line one\nline two"
    assert rows[3]["status"] == "cancelled"


@pytest.mark.parametrize(
    ("name", "args", "fmt"),
    [
        ("tasks.csv", [], "csv"),
        ("tasks.jsonl", [], "jsonl"),
        ("tasks.ndjson", [], "jsonl"),
        ("tasks.json", [], "json"),
        ("todo.txt", [], "todotxt"),
        ("tasks", [], "jsonl"),  # no extension: the default
        ("tw.json", ["--format", "taskwarrior"], "taskwarrior"),
        ("tasks.txt", ["--format", "csv"], "csv"),
    ],
)
def test_export_to_a_file(
    exportable: Cli, tmp_path: Path, name: str, args: list[str], fmt: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / name
    result = exportable.run(0, "tasks", "export", "--output", target, *args)
    assert result.stdout == ""
    assert result.stderr.startswith(f"Exported 5 tasks to {target} ({fmt}).\n")
    assert os.listdir(out) == [name]  # no temporary file left behind
    to_stdout = exportable.run(0, "tasks", "export", "--format", fmt).stdout_bytes
    assert target.read_bytes() == to_stdout


def test_export_replaces_an_existing_file_only_when_it_succeeds(
    exportable: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "tasks.jsonl"
    target.write_text("previous export\n")
    broken = Cli(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    result = broken.run(1, "tasks", "export", "--output", target)
    assert result.stdout == ""
    assert "Error:" in result.stderr
    assert target.read_text() == "previous export\n"
    assert os.listdir(out) == ["tasks.jsonl"]
    exportable.run(0, "tasks", "export", "--output", target)
    assert parse("jsonl", target.read_text(encoding="utf-8")) == TITLES


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--status", "done"], ["Buy milk"]),
        (
            ["--status", "todo", "--status", "in_progress"],
            ["Write report", "Review PR", "Café ✓ unicode"],
        ),
        (["--priority", "urgent", "--priority", "high"], ["Write report", "Review PR"]),
        (["--project", "WORK"], ["Write report", "Review PR"]),
        (["--tag", "writing"], ["Write report", "Café ✓ unicode"]),
        (["--tag", "writing", "--tag", "Q1"], ["Write report"]),
        (["--q", "CAFÉ"], ["Café ✓ unicode"]),
        (["--q", "quoted"], ["Write report"]),
        (["--due-before", "2021-01-01"], ["Write report", "Old idea"]),
        (["--due-after", "2099-06-01"], ["Café ✓ unicode"]),
        (["--overdue"], ["Write report"]),
        (["--project", "Home", "--status", "todo"], []),
        (
            ["--sort", "due_date"],
            ["Old idea", "Write report", "Review PR", "Café ✓ unicode", "Buy milk"],
        ),
        (
            ["--sort", "priority", "--desc"],
            ["Write report", "Review PR", "Café ✓ unicode", "Old idea", "Buy milk"],
        ),
    ],
)
def test_export_applies_the_list_filters(
    exportable: Cli, filters: list[str], expected: list[str]
) -> None:
    result = exportable.run(0, "tasks", "export", *filters)
    assert parse("jsonl", result.stdout) == expected
    noun = "task" if len(expected) == 1 else "tasks"
    assert result.stderr == f"Exported {len(expected)} {noun} (jsonl).\n"


def test_export_filters_work_with_other_formats(exportable: Cli) -> None:
    result = exportable.run(0, "tasks", "export", "--format", "csv", "--tag", "writing")
    assert parse("csv", result.stdout) == ["Write report", "Café ✓ unicode"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("jsonl", ""),
        ("json", "[]\n"),
        (
            "csv",
            "title,description,status,priority,due_date,project,tags,created_at,completed_at\r\n",
        ),
        ("taskwarrior", "[]\n"),
        ("todotxt", ""),
    ],
)
def test_export_of_an_empty_database(cli: Cli, fmt: str, expected: str) -> None:
    result = cli.run(0, "tasks", "export", "--format", fmt)
    assert result.stdout_bytes.decode("utf-8") == expected
    assert "Exported 0 tasks" in result.stderr


def test_export_of_one_task_says_task(cli: Cli) -> None:
    cli.run(0, "tasks", "add", "Only one")
    result = cli.run(0, "tasks", "export", "--format", "jsonl")
    assert result.stderr == "Exported 1 task (jsonl).\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--due-before", "31/12/2030"], "is not a date"),
        (["--status", "paused"], "paused"),
        (["--sort", "colour"], "colour"),
    ],
)
def test_export_usage_errors(offline: Cli, args: list[str], message: str) -> None:
    result = offline.run(2, "tasks", "export", *args)
    assert result.stdout == ""
    assert message in result.stderr


def test_export_to_a_missing_directory(offline: Cli, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "tasks.csv"
    result = offline.run(2, "tasks", "export", "--output", target)
    assert f"Cannot write {target}" in result.stderr
    assert not target.parent.exists()


def test_export_to_a_directory_is_refused(offline: Cli, tmp_path: Path) -> None:
    result = offline.run(2, "tasks", "export", "--output", tmp_path)
    assert f"--output {tmp_path} is a directory" in result.stderr
    assert os.listdir(tmp_path) == []


def test_export_and_rejects_never_overwrite_the_database(cli: Cli, tmp_path: Path) -> None:
    if ON_POSTGRES:
        pytest.skip("SQLite-file behaviour; the SQLite run covers it")
    database = Path(make_url(cli.url).database or "")
    cli.import_(0, write(tmp_path / "t.jsonl", jsonl({"title": "kept"})))
    before = database.read_bytes()
    for target in (database, Path(f"{database}-wal")):
        result = cli.run(2, "tasks", "export", "--format", "csv", "--output", target)
        assert "is the database" in result.stderr
    path = write(tmp_path / "bad.jsonl", jsonl({"title": ""}))
    result = cli.import_(2, path, "--on-error", "skip", "--rejects", database)
    assert "is the database" in result.stderr
    assert database.read_bytes() == before
    assert [t["title"] for t in cli.tasks()] == ["kept"]


@pytest.mark.parametrize("form", ["file:{path}?uri=true", "file://{path}?uri=true", "relative"])
def test_a_database_named_any_way_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "tasks.db"
    named = "tasks.db" if form == "relative" else form.format(path=database)
    cli = Cli(f"sqlite+aiosqlite:///{named}")
    cli.import_(0, write(tmp_path / "t.jsonl", jsonl({"title": "kept"})))
    before = database.read_bytes()

    result = cli.run(2, "tasks", "export", "--format", "csv", "--output", database)

    assert "is the database" in result.stderr
    assert database.read_bytes() == before


def test_output_through_a_symlink_or_into_a_pipe(cli: Cli, tmp_path: Path) -> None:
    """A link's target gets the data (the link stays); a pipe (like `/dev/stdout` or
    `>(gzip > f)`) is written to, not replaced by a regular file."""
    cli.import_(0, write(tmp_path / "t.jsonl", jsonl({"title": "kept"})))
    target = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    pipes = [tmp_path / "export.pipe", tmp_path / "rejects.pipe"]
    readers = []
    for pipe in pipes:
        os.mkfifo(pipe)
        readers.append(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))  # so writers never block
    try:
        cli.run(0, "tasks", "export", "--output", link)
        cli.run(0, "tasks", "export", "--format", "csv", "--output", pipes[0])
        bad = write(tmp_path / "bad.jsonl", jsonl({"title": ""}))
        cli.import_(3, bad, "--on-error", "skip", "--rejects", pipes[1])
        received = [os.read(reader, 65536).decode() for reader in readers]
    finally:
        for reader in readers:
            os.close(reader)

    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("kept,")
    assert all(stat.S_ISFIFO(pipe.stat().st_mode) for pipe in pipes)
    assert received[0].splitlines()[1].startswith("kept,")
    assert json.loads(received[1])["record"] == 1


def test_exported_file_gets_the_usual_permissions(cli: Cli, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = tmp_path / "tasks.csv"
        cli.run(0, "tasks", "export", "--output", target)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_permissions(cli: Cli, tmp_path: Path) -> None:
    private = tmp_path / "tasks.csv"
    private.write_text("old\n", encoding="utf-8")
    private.chmod(0o600)  # a private export must not become world-readable when replaced

    cli.run(0, "tasks", "export", "--output", private)

    assert private.read_text(encoding="utf-8").startswith("title,")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_messages_name_the_files_exactly(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "[old] tasks.csv"
    assert str(target) in cli.run(0, "tasks", "export", "--output", target).stderr
    rejects = tmp_path / "[red] rejects.jsonl"
    path = write(tmp_path / "t.jsonl", jsonl({"title": ""}))
    result = cli.import_(3, path, "--on-error", "skip", "--rejects", rejects)
    assert f"Rejected records written to {rejects}." in result.stderr
