"""The list filters shared by `tasks list` and `tasks export`: one set of options, one builder."""

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer

from app.core.enums import Priority, SortField, SortOrder, TaskStatus

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def choices(values: type[StrEnum]) -> str:
    """An option's metavar that lists its values: `low|medium|high|urgent`."""
    return "|".join(values)


StatusOption = Annotated[
    list[TaskStatus] | None,
    typer.Option(help="Status; repeat for any of several.", metavar=choices(TaskStatus)),
]
PriorityOption = Annotated[
    list[Priority] | None,
    typer.Option(help="Priority; repeat for any of several.", metavar=choices(Priority)),
]
ProjectOption = Annotated[str | None, typer.Option(help="Project name.", metavar="NAME")]
TagOption = Annotated[
    list[str] | None, typer.Option(help="Tag; repeat to require all.", metavar="TAG")
]
DueBeforeOption = Annotated[
    str | None, typer.Option(help="Due before this date.", metavar="YYYY-MM-DD")
]
DueAfterOption = Annotated[
    str | None, typer.Option(help="Due after this date.", metavar="YYYY-MM-DD")
]
OverdueOption = Annotated[
    bool | None,
    typer.Option("--overdue/--not-overdue", help="Only overdue (or not overdue) tasks."),
]
SearchOption = Annotated[
    str | None,
    typer.Option("--q", "--search", "-q", help="Text in title or description.", metavar="TEXT"),
]
SortOption = Annotated[SortField, typer.Option(help="Sort key.", metavar=choices(SortField))]
DescOption = Annotated[bool, typer.Option("--desc", help="Sort descending.")]


def parse_date(value: str | None, option: str) -> date | None:
    """Parse a YYYY-MM-DD option value (None passes through), exactly as the API does."""
    if value is None:
        return None
    try:
        if not ISO_DATE.fullmatch(value):  # fromisoformat also takes 20261201, 2026W481
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date; use YYYY-MM-DD.", param_hint=option
        ) from None


def filter_values(
    *,
    status: list[TaskStatus] | None,
    priority: list[Priority] | None,
    project: str | None,
    tag: list[str] | None,
    due_before: str | None,
    due_after: str | None,
    overdue: bool | None,
    q: str | None,
    sort: SortField,
    desc: bool,
) -> dict[str, Any]:
    """The options as `TaskFilters` fields, for the schema to validate."""
    return {
        "status": status or [],
        "priority": priority or [],
        "project": project,
        "tag": tag or [],
        "due_before": parse_date(due_before, "--due-before"),
        "due_after": parse_date(due_after, "--due-after"),
        "overdue": overdue,
        "q": q,
        "sort": sort,
        "order": SortOrder.DESC if desc else SortOrder.ASC,
    }
