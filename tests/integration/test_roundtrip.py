"""Export, then import into an EMPTY database: the same tasks come back.

Two levels: the CLI, end to end, for all five formats (each compared on the fields it
carries), and a Hypothesis property over the service layer for csv, jsonl and json.
The import side is always empty: a new SQLite file, or the PostgreSQL database wiped.
"""

import asyncio
import io
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from app.core.database import Database
from app.core.enums import Priority, TaskStatus
from app.models import Base
from app.schemas.project import ProjectCreate
from app.schemas.task import TaskCreate, TaskFilters
from app.services.formats import READERS, FileFormat
from app.services.project import ProjectService
from app.services.task import TaskService
from app.services.task_export import TaskExporter
from app.services.task_import import TaskImporter
from cli.main import app

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")
RUNNER = CliRunner(
    env={"NO_COLOR": None, "FORCE_COLOR": None, "DATABASE_URL": None, "COLUMNS": "200"}
)
FIELDS = ("title", "description", "status", "priority", "due_date", "project", "tags")
HISTORY = ("created_at", "completed_at")


async def _wipe(url: str) -> None:
    database = Database(url)
    try:
        await database.create_all()
        async with database.write_engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await database.dispose()


def empty_database(url: str, tmp_path: Path, name: str) -> str:
    """An empty database to import into: a new SQLite file, or PostgreSQL's wiped."""
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{tmp_path / name}"
    asyncio.run(_wipe(url))
    return url


def cli(url: str, *args: str | Path) -> Result:
    result = RUNNER.invoke(app, ["--database-url", url, *(str(a) for a in args)])
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.stderr}"
    return result


def all_tasks(url: str) -> list[dict[str, Any]]:
    page = json.loads(cli(url, "tasks", "list", "--json", "--limit", "200").stdout)
    assert page["next_cursor"] is None
    tasks: list[dict[str, Any]] = page["items"]
    return tasks


def project_names(url: str) -> list[str]:
    return [p["name"] for p in json.loads(cli(url, "projects", "list", "--json").stdout)["items"]]


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# --- CLI, every format ----------------------------------------------------------------------

RICH = [
    {
        "title": 'Write "report", v2',
        "description": "Numbers from Anna,\nthen draft; 'quotes' too",
        "status": "todo",
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "Work.Reports",
        "tags": ["writing", "q-3"],
        "created_at": "2024-01-05T09:30:00.123456+00:00",
    },
    {
        "title": "Multi\nline title",
        "status": "in_progress",
        "priority": "high",
        "project": "Home",
        "created_at": "2024-02-01T00:00:00+00:00",
    },
    {
        "title": "Finished ✓ café",
        "status": "done",
        "priority": "low",
        "tags": ["x_y"],
        "created_at": "2024-03-01T10:00:00+00:00",
        "completed_at": "2024-03-02T11:22:33.444444+00:00",
    },
    {
        "title": "Dropped; semi,colon",
        "status": "cancelled",
        "due_date": "2020-02-29",
        "project": "home",
    },
    {
        "title": "Emoji 🎉 and\ttab",
        "description": "  padded  ",
        "project": "Garden shed",
        "tags": ["a", "b", "c"],
    },
]

# todo.txt is one line per task and one word per +project; nothing else is lost on the way.
TODO_SAFE = [
    {
        "title": 'Write "report", v2 (B) maybe',
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "Work.Reports",
        "tags": ["writing", "q-3"],
        "created_at": "2024-01-05T09:30:00+00:00",
    },
    {"title": "Started café ✓", "status": "in_progress", "priority": "high", "project": "Home"},
    {
        "title": "Finished",
        "status": "done",
        "priority": "urgent",
        "tags": ["x_y"],
        "created_at": "2024-03-01T10:00:00+00:00",
        "completed_at": "2024-03-02T11:22:33+00:00",
    },
    {"title": "Done low", "status": "done", "priority": "low"},
    {"title": "Dropped; semi", "status": "cancelled", "due_date": "2020-02-29", "project": "home"},
    {"title": "Someday", "priority": "low"},
]


def carried(fmt: str, task: dict[str, Any]) -> dict[str, Any]:
    """What a format carries of a task, as our import maps it back."""
    kept = {k: task[k] for k in FIELDS + HISTORY}
    if fmt == "taskwarrior":
        # H is the top Taskwarrior priority; times are whole seconds
        kept["priority"] = "high" if task["priority"] == "urgent" else task["priority"]
        kept["created_at"] = task["created_at"][:19]
        kept["completed_at"] = task["completed_at"] and task["completed_at"][:19]
    elif fmt == "todotxt":
        kept["description"] = None
        kept["created_at"] = task["created_at"][:10]
        kept["completed_at"] = task["completed_at"] and task["completed_at"][:10]
    return kept


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "taskwarrior", "todotxt"])
def test_cli_export_then_import_into_an_empty_database(
    committed_database_url: str, tmp_path: Path, fmt: str
) -> None:
    source = committed_database_url
    data = TODO_SAFE if fmt == "todotxt" else RICH
    seed = tmp_path / "seed.jsonl"
    seed.write_text(jsonl(data), encoding="utf-8")
    cli(source, "tasks", "import", seed)
    before = all_tasks(source)
    projects = project_names(source)
    assert len(before) == len(data)

    exported = tmp_path / f"export.{fmt}"
    cli(source, "tasks", "export", "--format", fmt, "--output", exported)

    target = empty_database(source, tmp_path, "target.db")
    assert all_tasks(target) == []
    result = cli(target, "tasks", "import", exported, "--format", fmt)
    n = len(data)
    assert f"read {n}, imported {n}, rejected 0" in result.stderr

    after = all_tasks(target)
    assert [carried(fmt, t) for t in after] == [carried(fmt, t) for t in before]
    assert project_names(target) == projects


def test_csv_export_import_export_is_byte_identical(
    committed_database_url: str, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.jsonl"
    seed.write_text(jsonl(RICH), encoding="utf-8")
    cli(committed_database_url, "tasks", "import", seed)
    first = cli(committed_database_url, "tasks", "export", "--format", "csv").stdout_bytes
    (tmp_path / "first.csv").write_bytes(first)
    target = empty_database(committed_database_url, tmp_path, "target.db")
    cli(target, "tasks", "import", tmp_path / "first.csv")
    assert cli(target, "tasks", "export", "--format", "csv").stdout_bytes == first


# --- Hypothesis, service layer ---------------------------------------------------------------

# Any character a database can hold (no surrogates, no NUL), with the ones that break
# naive CSV/JSON handling made frequent.
TEXT = st.one_of(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    st.sampled_from(list("\",;\n\r\t '\\{}[]+@:#é✓🎉\u2028\u0085\ufeff")),
)


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(TEXT, min_size=min_size, max_size=max_size)


titles = text(1, 80).filter(str.strip)
# Blank descriptions are left out: CSV cannot tell them from "none" (see the xfail below).
descriptions = st.none() | text(1, 300).filter(str.strip)
project_names_ = text(1, 100).map(str.strip).filter(bool)
tags = st.lists(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,31}", fullmatch=True), max_size=6)
dates = st.none() | st.dates(date(1900, 1, 1), date(2200, 12, 31))


@st.composite
def task_sets(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    projects = draw(st.lists(project_names_, max_size=3, unique_by=str.casefold))
    project = st.none() | (st.sampled_from(projects) if projects else st.none())
    task = st.fixed_dictionaries(
        {
            "title": titles,
            "description": descriptions,
            "status": st.sampled_from(list(TaskStatus)),
            "priority": st.sampled_from(list(Priority)),
            "due_date": dates,
            "project": project,
            "tags": tags,
        }
    )
    return projects, draw(st.lists(task, min_size=1, max_size=8))


async def _tasks(session: AsyncSession) -> list[dict[str, Any]]:
    service = TaskService.from_session(session)
    return [t.model_dump(mode="json") async for t in service.iter_tasks(TaskFilters())]


async def _empty(session: AsyncSession) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        await session.execute(table.delete())
    assert await _tasks(session) == []


async def _round_trip(
    database: Database, fmt: FileFormat, projects: list[str], tasks: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seed through the services, export, empty the database, import, list again.

    Three transactions only (PostgreSQL round trips add up over many examples): the
    database is emptied at the start of the seeding one and of the importing one.
    """
    async with database.session() as session:
        await _empty(session)
        for name in projects:
            await ProjectService.from_session(session).create(ProjectCreate(name=name))
        items = [TaskCreate.model_validate(t) for t in tasks]
        await TaskService.from_session(session).create_many(items)
        before = await _tasks(session)

    async with database.session(write=False) as session:
        exporter = TaskExporter(TaskService.from_session(session))
        text = "".join([chunk async for chunk in exporter.chunks(TaskFilters(), fmt)])
    assert exporter.exported == len(tasks)

    async with database.session() as session:
        await _empty(session)
        stream = io.BytesIO(text.encode("utf-8"))
        report = await TaskImporter.from_session(session).run(READERS[fmt](stream))
        after = await _tasks(session)
    assert (report.read, report.imported, report.rejected) == (len(tasks), len(tasks), 0)
    assert report.projects_created == len({t["project"] for t in before if t["project"]})
    return before, after


class ServiceDatabase:
    """One database and one event loop for every example of a test (engines are per loop)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.database = Database(url)
        self.loop.run_until_complete(self.database.create_all())

    def round_trip(
        self, fmt: FileFormat, projects: list[str], tasks: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.loop.run_until_complete(_round_trip(self.database, fmt, projects, tasks))

    def close(self) -> None:
        self.loop.run_until_complete(self.database.dispose())
        self.loop.close()


@pytest.fixture
def services(committed_database_url: str) -> Iterator[ServiceDatabase]:
    service_database = ServiceDatabase(committed_database_url)
    yield service_database
    service_database.close()


def _same(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    keys = FIELDS + HISTORY
    assert [{k: t[k] for k in keys} for t in after] == [{k: t[k] for k in keys} for t in before]


PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("fmt", [FileFormat.JSONL, FileFormat.CSV, FileFormat.JSON])
@PROPERTY
@given(task_set=task_sets())
def test_export_then_import_gives_the_same_tasks(
    services: ServiceDatabase,
    fmt: FileFormat,
    task_set: tuple[list[str], list[dict[str, Any]]],
) -> None:
    projects, tasks = task_set
    before, after = services.round_trip(fmt, projects, tasks)
    _same(before, after)


@pytest.mark.parametrize("description", ["", "   "])
def test_csv_reads_a_blank_description_back_as_none(
    services: ServiceDatabase, description: str
) -> None:
    # CSV has no null: an empty cell means "not given" (README), so a blank description
    # comes back as none. JSON lines and JSON keep it; this pins the documented limit.
    task = {"title": "t", "description": description, "tags": []}
    before, after = services.round_trip(FileFormat.CSV, [], [task])
    assert before[0]["description"] == description
    assert after[0]["description"] is None
    other = [k for k in FIELDS + HISTORY if k != "description"]
    assert {k: after[0][k] for k in other} == {k: before[0][k] for k in other}
