"""The API benchmark's baseline: a bare FastAPI app with the product's routes and schemas.

Same paths, same request models (`TaskQuery`, `TaskCreate`) and the same response
models (`TaskRead`, `TaskPage`), each task built from a row-like dict the way the
product's `to_read` does it; but no database, no middleware, no logging. Whatever the
product costs beyond this is the price of its own layers.

Run: `uvicorn bench.bare_app:app --port 8001 [--workers 2]`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query, Response, status

from app.core.enums import Priority, TaskStatus
from app.schemas.task import TaskCreate, TaskPage, TaskQuery, TaskRead

app = FastAPI(title="Bare baseline")

_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_STATUSES = tuple(TaskStatus)
_PRIORITIES = tuple(Priority)
_next_id = 1_000_000


def task_row(task_id: int) -> dict[str, Any]:
    """A row shaped like the product's read select, for any id."""
    created = _EPOCH + timedelta(seconds=task_id * 30)
    done = task_id % 4 == 2
    return {
        "id": task_id,
        "title": f"Review billing job {task_id:05d}",
        "description": f"Task {task_id}: generated for the benchmarks; see ticket 4242",
        "status": _STATUSES[task_id % 4],
        "priority": _PRIORITIES[task_id % 4],
        "due_date": date(2024, 1, 1) + timedelta(days=task_id % 1000) if task_id % 3 else None,
        "project": "api-core" if task_id % 10 else None,
        "tags": ["backend", "bug"] if task_id % 2 else [],
        "created_at": created,
        "updated_at": created + timedelta(hours=5),
        "completed_at": created + timedelta(hours=5) if done else None,
        "version": 1,
    }


@app.get("/api/v1/tasks/{task_id}", response_model=TaskRead)
async def get_task(task_id: int, response: Response) -> TaskRead:
    """One task, with its ETag."""
    task = TaskRead.model_validate(task_row(task_id))
    response.headers["ETag"] = f'"{task.version}"'
    return task


@app.get("/api/v1/tasks", response_model=TaskPage)
async def list_tasks(query: Annotated[TaskQuery, Query()]) -> TaskPage:
    """A page of `limit` tasks and a next cursor."""
    items = [TaskRead.model_validate(task_row(i)) for i in range(1, query.limit + 1)]
    return TaskPage(
        items=items, next_cursor="eyJmIjoiMDEyMzQ1Njc4OWFiY2RlZiIsInYiOm51bGwsImkiOjUwfQ"
    )


@app.post("/api/v1/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskRead)
async def create_task(body: TaskCreate, response: Response) -> TaskRead:
    """Echo the new task with an id, Location and ETag."""
    global _next_id
    _next_id += 1
    now = datetime.now(UTC)
    task = TaskRead.model_validate(
        {
            **body.model_dump(),
            "id": _next_id,
            "created_at": now,
            "updated_at": now,
            "completed_at": now if body.status is TaskStatus.DONE else None,
            "version": 1,
        }
    )
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    response.headers["ETag"] = '"1"'
    return task
