"""CLI test helpers: run `app-cli` in-process against a committed database.

Every invocation checks the one rule that holds for all commands: whatever happens,
the user never sees a traceback and the command ends through `SystemExit`.
"""

import asyncio
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cli.main import app

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")

# A plain, non-terminal environment: no colour forced in or out, a fixed width for tables.
CLEAN_ENV: dict[str, str | None] = {
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "DATABASE_URL": None,
    "COLUMNS": "160",
}


def assert_clean_exit(result: Result) -> None:
    """The command ended on purpose: no traceback, no escaped exception."""
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not unexpected, f"unhandled {result.exception!r}\nstderr: {result.stderr}"


class Cli:
    """`app-cli --database-url URL …`, run in-process with stdout and stderr apart."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner(env=CLEAN_ENV)

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        """Run a command; assert it ended cleanly whatever its exit code."""
        result = self.runner.invoke(app, ["--database-url", self.url, *args], input=input, env=env)
        assert_clean_exit(result)
        return result

    def ok(self, *args: str) -> Result:
        """Run a command that must succeed."""
        result = self(*args)
        assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        """Run a command with `--json` and parse its stdout as exactly one JSON document."""
        return json.loads(self.ok(*args, "--json").stdout)

    def fails(self, code: int, *args: str) -> Result:
        """Run a command that must fail with `code`, writing nothing on stdout."""
        result = self(*args)
        assert result.exit_code == code, (
            f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        )
        assert result.stdout == ""
        assert result.stderr.strip(), "an error needs a message on stderr"
        return result

    def add(self, title: str, *options: str) -> int:
        """Create a task with `tasks add`; return its id."""
        return int(self.ok("tasks", "add", title, *options).stdout)

    def task(self, task_id: int) -> dict[str, Any]:
        """The task as `tasks show --json` prints it."""
        task: dict[str, Any] = self.json("tasks", "show", str(task_id))
        return task

    def tasks(self, *filters: str) -> list[dict[str, Any]]:
        """The first page of `tasks list --json` with these filters."""
        items: list[dict[str, Any]] = self.json("tasks", "list", *filters)["items"]
        return items


@pytest.fixture
def runner() -> CliRunner:
    """A runner with a plain, non-terminal environment (stdout and stderr kept apart)."""
    return CliRunner(env=CLEAN_ENV)


@pytest.fixture
def cli(committed_database_url: str) -> Cli:
    """The CLI bound to a fresh database whose changes really commit."""
    return Cli(committed_database_url)


async def _seed(url: str, projects: Sequence[str], tasks: Sequence[dict[str, Any]]) -> list[int]:
    from app.core.database import Database
    from app.schemas.project import ProjectCreate
    from app.schemas.task import TaskCreate
    from app.services.project import ProjectService
    from app.services.task import TaskService

    database = Database(url)
    try:
        await database.create_all()
        async with database.session() as session:
            for name in projects:
                await ProjectService.from_session(session).create(ProjectCreate(name=name))
            service = TaskService.from_session(session)
            return [(await service.create(TaskCreate.model_validate(t))).id for t in tasks]
    finally:
        await database.dispose()


@pytest.fixture
def seed(
    committed_database_url: str,
) -> Callable[[Sequence[str], Sequence[dict[str, Any]]], list[int]]:
    """Arrange data through the service layer in one transaction (much faster than argv)."""

    def run(projects: Sequence[str], tasks: Sequence[dict[str, Any]]) -> list[int]:
        return asyncio.run(_seed(committed_database_url, projects, tasks))

    return run


@pytest.fixture
def sqlite_only() -> None:
    """Skip on the PostgreSQL run: the test is about SQLite files, not the engine under test."""
    if ON_POSTGRES:
        pytest.skip("SQLite-file behaviour; the SQLite run covers it")
