"""Small typed factories for test data."""

from datetime import UTC, date, datetime
from typing import Any

from app.core.enums import Priority, TaskStatus
from app.schemas.task import TaskCreate

FIXED_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def task_create(**overrides: Any) -> TaskCreate:
    """A valid `TaskCreate`, with any field overridden."""
    values: dict[str, Any] = {"title": "Write the report"}
    values.update(overrides)
    return TaskCreate.model_validate(values)


def task_payload(**overrides: Any) -> dict[str, Any]:
    """A JSON body for POST /api/v1/tasks."""
    values: dict[str, Any] = {"title": "Write the report"}
    values.update(overrides)
    return values


__all__ = ["FIXED_NOW", "Priority", "TaskStatus", "date", "task_create", "task_payload"]
