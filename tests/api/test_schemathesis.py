"""Schemathesis fuzzes the API against its own OpenAPI: every operation, then linked flows.

Every built-in check runs, on positive and negative data: no server errors, documented
status codes, content types, headers and bodies, schema-valid requests accepted and
schema-invalid ones refused. The runs are bounded and seeded, so CI is repeatable.
"""

import asyncio
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.main import create_app
from app.models import Base
from tests.conftest import ON_POSTGRES

MAX_EXAMPLES = 30
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 10
# Statuses a schema-valid request may get (schemathesis' defaults) ...
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = {
    "seed": 20240601,
    # No example database: a run replays nothing from an earlier one, locally or in CI.
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "checks": {
        "enabled": True,
        # ... plus 412: a well-formed If-Match can still be stale, the documented 412.
        "positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "412"]},
    },
    "operations": [
        {
            # `cursor` is opaque: any string fits the schema, but only one this query issued
            # is accepted; the others get the documented 400.
            "include-operation-id": "list_tasks",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "400"]}
            },
        }
    ],
}
TASK_BODIES = {"create_task", "update_task"}


def _delete_all_rows(url: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="module")
def fuzz_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database whose rows really commit: a new SQLite file, or the run's PostgreSQL."""
    if not ON_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        return
    try:
        yield database_url
    finally:
        _delete_all_rows(database_url)


# The document does not depend on the database, so it is read at import from an app that is
# never started; requests go to `fuzz_app`, which runs its lifespan on the test's database.
# (`schemathesis.pytest.from_fixture` would do this lazily, but fails on pytest 9.2.)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite+aiosqlite://")).openapi(),
    config=schemathesis.Config.from_dict(CONFIG),
)
create_project = schema["/api/v1/projects"]["POST"]


@pytest.fixture(scope="module")
def fuzz_app(fuzz_database_url: str) -> FastAPI:
    return create_app(Settings(database_url=fuzz_database_url))


def _create_named_projects(case: schemathesis.Case, app: FastAPI) -> None:
    """Create the projects a task body names: the schema cannot say a project must exist.

    Without this, every schema-valid task naming a project would get the documented 422
    (unknown project) and the successful paths would go untested.
    """
    body = case.body
    if case.operation.definition.raw.get("operationId") == "create_tasks_bulk":
        tasks = body.get("tasks") if isinstance(body, dict) else None
    elif case.operation.definition.raw.get("operationId") in TASK_BODIES:
        tasks = [body]
    else:
        return
    for task in tasks if isinstance(tasks, list) else []:
        name = task.get("project") if isinstance(task, dict) else None
        if isinstance(name, str):
            create_project.Case(body={"name": name}).call(app=app)


def _is_mislabelled_positive(case: schemathesis.Case) -> bool:
    """A coverage-phase case called positive although one of its parts is not.

    Schemathesis' coverage phase cannot draw a value for the If-Match pattern (it holds `"`),
    puts a schema-invalid `0` in the optional header and still labels the case positive.
    Such a request is rightly refused (422), so "valid data accepted" does not apply to it.
    """
    meta = case.meta
    if meta is None or meta.phase.name is not TestPhase.COVERAGE:
        return False
    negative = [info for info in meta.components.values() if not info.mode.is_positive]
    return meta.generation.mode.is_positive and bool(negative)


@schema.parametrize()
def test_operation_conforms_to_the_openapi(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    _create_named_projects(case, fuzz_app)
    excluded = [positive_data_acceptance] if _is_mislabelled_positive(case) else []
    case.call_and_validate(app=fuzz_app, excluded_checks=excluded)


def test_linked_operations_conform_to_the_openapi(
    fuzz_app: FastAPI, fuzz_database_url: str
) -> None:
    """Follow the declared links: create → get / patch (with its ETag) / delete, and on."""
    followed: set[str] = set()

    class LinkedFlows(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from an empty database, so a scenario's draws never depend
            # on what an earlier one left (Hypothesis calls that flaky data generation).
            _delete_all_rows(fuzz_database_url)

        def before_call(self, case: schemathesis.Case) -> None:
            _create_named_projects(case, fuzz_app)

        def step(self, input: StepInput) -> StepOutput:
            if input.transition is not None and not input.transition.is_inferred:
                followed.add(input.transition.id)
            return super().step(input)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"app": fuzz_app}

    LinkedFlows.run(
        # No shrinking: scenarios share the database, so a replay is not the same run.
        settings=hypothesis.settings(
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            derandomize=True,
        )
    )
    # The declared links were followed, not only ones Schemathesis inferred.
    declared = {"GetTask", "UpdateTask", "DeleteTask", "GetProject", "UpdateProject"}
    # A transition id reads "POST /api/v1/tasks -> [201] GetTask -> GET /api/v1/tasks/{task_id}".
    names = {transition.split(" -> ")[1].split("] ")[-1] for transition in followed}
    assert declared <= names, sorted(followed)
