"""Live interop with the real tools: Taskwarrior 2.6 (`task`) and todo.txt-cli (`todo-txt`).

Our export goes into the tool, the tool changes a few things the way a user would, and
what the tool writes comes back through our import into an EMPTY database. Every tool
runs with its data, configuration and HOME inside tmp_path (and TZ=UTC).
"""

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from app.core.database import Database
from app.models import Base
from cli.main import app

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")
RUNNER = CliRunner(
    env={"NO_COLOR": None, "FORCE_COLOR": None, "DATABASE_URL": None, "COLUMNS": "200"}
)


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
    tasks: list[dict[str, Any]] = page["items"]
    return tasks


async def _wipe(url: str) -> None:
    database = Database(url)
    try:
        async with database.write_engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await database.dispose()


def empty_database(url: str, tmp_path: Path) -> str:
    """A new SQLite file, or the PostgreSQL database wiped."""
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    asyncio.run(_wipe(url))
    return url


def seed(url: str, tmp_path: Path, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "seed.jsonl"
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks), "utf-8")
    cli(url, "tasks", "import", path)
    return all_tasks(url)


def summary(task: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "description", "status", "priority", "due_date", "project", "tags")
    return {k: task[k] for k in keys}


# --- Taskwarrior ------------------------------------------------------------------------------

TASKWARRIOR_TASKS = [
    {
        "title": 'Write "report", v2',
        "description": "Numbers from Anna\nsecond line, with commas",
        "priority": "high",
        "due_date": "2030-07-15",
        "project": "Work.Reports",
        "tags": ["writing", "q-3"],
        "created_at": "2024-01-05T09:30:00+00:00",
    },
    {"title": "Started thing", "status": "in_progress", "priority": "low", "project": "Home"},
    {
        "title": "Finished café ✓",
        "status": "done",
        "tags": ["x_y"],
        "created_at": "2024-03-01T10:00:00+00:00",
        "completed_at": "2024-03-02T11:22:33+00:00",
    },
    {"title": "Dropped", "status": "cancelled", "priority": "medium"},
    {"title": "Someday", "priority": "low", "due_date": "2031-12-31"},
]


@pytest.mark.skipif(shutil.which("task") is None, reason="Taskwarrior (task) is not installed")
def test_taskwarrior_round_trip(committed_database_url: str, tmp_path: Path) -> None:
    source = committed_database_url
    ours = seed(source, tmp_path, TASKWARRIOR_TASKS)
    exported = tmp_path / "ours.json"
    cli(source, "tasks", "export", "--format", "taskwarrior", "--output", exported)

    data = tmp_path / "taskdata"
    data.mkdir()
    rc = tmp_path / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\nhooks=off\n")
    env = {**os.environ, "TASKRC": str(rc), "TASKDATA": str(data), "HOME": str(tmp_path)}
    env["TZ"] = "UTC"

    def task(*args: str) -> str:
        done = subprocess.run(
            ["task", "rc.confirmation=off", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert done.returncode == 0, f"task {args}: {done.returncode}\n{done.stderr}"
        return done.stdout

    imported = task("import", str(exported))
    uuids = [t["uuid"] for t in json.loads(exported.read_text(encoding="utf-8"))]
    assert all(uuid in imported for uuid in uuids)
    # what Taskwarrior now holds is what we exported, field for field
    held = {t["uuid"]: t for t in json.loads(task("export"))}
    assert set(held) == set(uuids)
    ids = {t["description"]: t["uuid"] for t in held.values()}
    assert held[ids["Started thing"]]["status"] == "pending"
    assert "start" in held[ids["Started thing"]]
    assert held[ids["Dropped"]]["status"] == "deleted"
    assert held[ids['Write "report", v2']]["project"] == "Work.Reports"

    # a user at work in Taskwarrior
    task(ids["Someday"], "done")
    task(ids['Write "report", v2'], "annotate", "Ask Bob too")
    task("add", "Native task", "project:Garden", "priority:L", "due:2031-01-02", "+outdoor")
    theirs = tmp_path / "theirs.json"
    theirs.write_text(task("export"), encoding="utf-8")

    target = empty_database(source, tmp_path)
    result = cli(target, "tasks", "import", theirs, "--format", "taskwarrior")
    assert "read 6, imported 6, rejected 0" in result.stderr
    back = {t["title"]: t for t in all_tasks(target)}
    assert set(back) == {t["title"] for t in ours} | {"Native task"}

    expected = {t["title"]: summary(t) for t in ours}
    expected["Someday"]["status"] = "done"
    report = expected['Write "report", v2']
    report["description"] = report["description"] + "\nAsk Bob too"
    for title, want in expected.items():
        assert summary(back[title]) == want, title
    assert summary(back["Native task"]) == {
        "title": "Native task",
        "description": None,
        "status": "todo",
        "priority": "low",
        "due_date": "2031-01-02",
        "project": "Garden",
        "tags": ["outdoor"],
    }
    # history kept to the second
    for task_ in ours:
        assert back[task_["title"]]["created_at"][:19] == task_["created_at"][:19]
    finished = back["Finished café ✓"]
    assert finished["completed_at"].startswith("2024-03-02T11:22:33")

    # The same tasks exported one object per line (rc.json.array=off) import alike.
    per_line = tmp_path / "theirs-per-line.json"
    per_line.write_text(task("rc.json.array=off", "export"), encoding="utf-8")
    assert per_line.read_text(encoding="utf-8").startswith("{")
    (tmp_path / "per-line").mkdir()
    again = empty_database(source, tmp_path / "per-line")
    result = cli(again, "tasks", "import", per_line, "--format", "taskwarrior")
    assert "read 6, imported 6, rejected 0" in result.stderr
    assert {t["title"]: summary(t) for t in all_tasks(again)} == {
        title: summary(task_) for title, task_ in back.items()
    }


# --- todo.txt ---------------------------------------------------------------------------------

TODO_TASKS = [
    {
        "title": 'Write "report", v2',
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "Work.Reports",
        "tags": ["writing", "q-3"],
    },
    {"title": "Started café ✓", "status": "in_progress", "priority": "high", "project": "Home"},
    {"title": "Finished", "status": "done", "priority": "high", "tags": ["x_y"]},
    {"title": "Dropped; semi", "status": "cancelled", "project": "Garden.Shed"},
    {"title": "Someday", "priority": "low"},
]


@pytest.mark.skipif(shutil.which("todo-txt") is None, reason="todo.txt-cli is not installed")
def test_todotxt_round_trip(committed_database_url: str, tmp_path: Path) -> None:
    source = committed_database_url
    ours = seed(source, tmp_path, TODO_TASKS)
    todo_dir = tmp_path / "todo"
    todo_dir.mkdir()
    todo_file = todo_dir / "todo.txt"
    cli(source, "tasks", "export", "--output", todo_file)  # format from the extension
    lines = todo_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(ours)

    config = tmp_path / "todo.cfg"
    config.write_text(
        f'export TODO_DIR="{todo_dir}"\n'
        'export TODO_FILE="$TODO_DIR/todo.txt"\n'
        'export DONE_FILE="$TODO_DIR/done.txt"\n'
        'export REPORT_FILE="$TODO_DIR/report.txt"\n'
    )
    env = {**os.environ, "HOME": str(tmp_path), "TODOTXT_PLAIN": "1", "TZ": "UTC"}

    def todo(*args: str) -> str:
        done = subprocess.run(
            ["todo-txt", "-d", str(config), "-p", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert done.returncode == 0, f"todo-txt {args}: {done.returncode}\n{done.stderr}"
        return done.stdout

    listed = todo("ls")
    for number, line in enumerate(lines, start=1):
        assert f"{number} {line}\n" in listed
    assert f"TODO: {len(lines)} of {len(lines)} tasks shown" in listed
    assert todo("listproj").split() == ["+Garden.Shed", "+Home", "+Work.Reports"]

    # a user at work in todo.sh: one new task, one finished (without archiving)
    todo("add", "(B) Added by todo.sh +Garden @outdoor due:2031-01-02")
    todo("-a", "do", "2")  # "Started café ✓"

    target = empty_database(source, tmp_path)
    result = cli(target, "tasks", "import", todo_file)
    assert "read 6, imported 6, rejected 0" in result.stderr
    back = all_tasks(target)
    assert [t["title"] for t in back] == [t["title"] for t in ours] + ["Added by todo.sh"]

    expected = [{**summary(t), "description": None} for t in ours]
    # `todo.sh do` marks it done and drops its priority, as todo.txt does
    expected[1].update(status="done", priority="medium")
    expected.append(
        {
            "title": "Added by todo.sh",
            "description": None,
            "status": "todo",
            "priority": "high",
            "due_date": "2031-01-02",
            "project": "Garden",
            "tags": ["outdoor"],
        }
    )
    assert [summary(t) for t in back] == expected
    assert back[1]["completed_at"] is not None
