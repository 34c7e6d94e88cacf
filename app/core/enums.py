"""Domain enumerations shared by every layer."""

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where a task is in its life; allowed changes live in `app.services.task`."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    """How urgent a task is; ordered low < medium < high < urgent (see `rank`)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """The priority's position in the order, stored in the database so it sorts right."""
        return PRIORITY_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> "Priority":
        """Return the priority stored as `rank`."""
        return PRIORITY_BY_RANK[rank]


PRIORITY_RANK: dict[Priority, int] = {p: i for i, p in enumerate(Priority, start=1)}
PRIORITY_BY_RANK: dict[int, Priority] = {i: p for p, i in PRIORITY_RANK.items()}

CLOSED_STATUSES: frozenset[TaskStatus] = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})


class SortField(StrEnum):
    """Columns a task list can be sorted by."""

    ID = "id"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    TITLE = "title"


class SortOrder(StrEnum):
    """Sort direction."""

    ASC = "asc"
    DESC = "desc"


class ExportFormat(StrEnum):
    """Formats the HTTP export endpoint streams."""

    JSONL = "jsonl"
    CSV = "csv"
