"""The task API contract: what callers send and what they get back."""

import re
from datetime import date
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.core.enums import ExportFormat, Priority, SortField, SortOrder, TaskStatus
from app.schemas.types import (
    NOT_BLANK_TEXT,
    TAG_INPUT,
    TAG_RULE,
    TEXT,
    IsoDate,
    UTCDateTime,
    UTCInputDateTime,
    sent_at_most,
)

MAX_TAGS = 20
_TAG_INPUT = re.compile(TAG_INPUT)
PAGE_LIMIT_MAX = 200
PAGE_LIMIT_DEFAULT = 50

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK_TEXT),
    sent_at_most(200),  # runs first: a BeforeValidator wraps what precedes it
]
Description = Annotated[str, StringConstraints(max_length=5000, pattern=TEXT)]
ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK_TEXT),
    sent_at_most(100),  # runs first: a BeforeValidator wraps what precedes it
]


def normalize_tags(tags: list[str]) -> list[str]:
    """Check, lowercase, de-duplicate and sort tags; at most `MAX_TAGS` sent.

    The check is the one the OpenAPI states (`TAG_INPUT`, `maxItems`), on what was
    sent, so a request the document calls valid is accepted and every other one refused.
    """
    if not all(map(_TAG_INPUT.fullmatch, tags)):  # C loops: this runs for every imported row
        bad = sorted({tag for tag in tags if not _TAG_INPUT.fullmatch(tag)})
        raise ValueError(f"invalid tag(s) {', '.join(map(repr, bad))}: {TAG_RULE}")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags, got {len(tags)}")
    return sorted(set(map(str.lower, map(str.strip, tags))))


Tags = Annotated[
    list[str],
    AfterValidator(normalize_tags),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "pattern": TAG_INPUT},
            "maxItems": MAX_TAGS,
        }
    ),
]
# A filter names tags as a task's tags are sent (a task has at most MAX_TAGS, so a longer
# list could match nothing); a comma or a space inside one would not name a tag at all.
TagFilter = Annotated[
    list[Annotated[str, StringConstraints(pattern=TAG_INPUT)]],
    Field(max_length=MAX_TAGS),
    AfterValidator(lambda tags: sorted({t.strip().lower() for t in tags})),
]


class TaskCreate(BaseModel):
    """A new task."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(description="What to do; trimmed, 1-200 characters.")
    description: Description | None = Field(default=None, description="Details, ≤ 5,000 chars.")
    status: TaskStatus = Field(default=TaskStatus.TODO, description="Initial status.")
    priority: Priority = Field(default=Priority.MEDIUM, description="low < medium < high < urgent.")
    due_date: IsoDate | None = Field(default=None, description="Due date, YYYY-MM-DD.")
    project: ProjectName | None = Field(
        default=None, description="Name of an existing project (case-insensitive)."
    )
    tags: Tags = Field(default_factory=list, description="Tags: lowercased, unique, ≤ 20.")


class TaskImport(TaskCreate):
    """A task read from an import file: a `TaskCreate` that may also carry its history."""

    created_at: UTCInputDateTime | None = Field(default=None, description="When it was created.")
    completed_at: UTCInputDateTime | None = Field(
        default=None, description="When it was completed (a done task only)."
    )

    @model_validator(mode="after")
    def _completed_only_when_done(self) -> Self:
        """A completion time on a task that is not done would be dropped: refuse it."""
        if self.completed_at is not None and self.status is not TaskStatus.DONE:
            raise PydanticCustomError(
                "completed_not_done",
                "completed_at is only for a done task; this one is {status}",
                {"status": str(self.status)},
            )
        return self


class TaskUpdate(BaseModel):
    """A partial update: only the fields sent are changed; null clears nullable fields."""

    model_config = ConfigDict(extra="forbid")

    # Fields that may be left out but never cleared are typed without None: an explicit
    # null is then a plain 422 on that field, and the OpenAPI says "not nullable". The
    # None default is never validated (it only means "unset"), hence the type ignores.
    title: Title = Field(default=None, description="New title.")  # type: ignore[assignment]
    description: Description | None = Field(default=None, description="New description.")
    status: TaskStatus = Field(  # type: ignore[assignment]
        default=None, description="New status (see transitions)."
    )
    priority: Priority = Field(default=None, description="New priority.")  # type: ignore[assignment]
    due_date: IsoDate | None = Field(default=None, description="New due date; null clears it.")
    project: ProjectName | None = Field(default=None, description="New project; null clears it.")
    tags: Tags = Field(default=None, description="Replacement tag list.")  # type: ignore[arg-type]

    def changes(self) -> dict[str, Any]:
        """The fields the caller set, with their new values."""
        return self.model_dump(exclude_unset=True)


class TaskRead(BaseModel):
    """A task as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Assigned by the database.")
    title: str = Field(description="What to do.")
    description: str | None = Field(description="Details.")
    status: TaskStatus = Field(description="Current status.")
    priority: Priority = Field(description="Priority.")
    due_date: date | None = Field(description="Due date.")
    project: str | None = Field(description="Project name.")
    tags: list[str] = Field(description="Sorted, lowercased tags.")
    created_at: UTCDateTime = Field(description="Creation time (UTC).")
    updated_at: UTCDateTime = Field(description="Last change (UTC).")
    completed_at: UTCDateTime | None = Field(description="When it entered `done` (UTC).")
    version: int = Field(description="1 on create, +1 on every change; the ETag.")


class TaskPage(BaseModel):
    """One page of a task list."""

    items: list[TaskRead] = Field(description="The tasks on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class TaskFilters(BaseModel):
    """Which tasks a list or an export covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: list[TaskStatus] = Field(default_factory=list, description="Any of these statuses.")
    priority: list[Priority] = Field(default_factory=list, description="Any of these priorities.")
    project: ProjectName | None = Field(default=None, description="Project name.")
    tag: TagFilter = Field(default_factory=list, description="Tasks having all these tags.")
    due_before: IsoDate | None = Field(default=None, description="Due strictly before this date.")
    due_after: IsoDate | None = Field(default=None, description="Due strictly after this date.")
    overdue: bool | None = Field(default=None, description="Only (or no) overdue tasks.")
    q: Annotated[str, StringConstraints(max_length=200, pattern=TEXT)] | None = Field(
        default=None, description="Case-insensitive text in title or description."
    )
    sort: SortField = Field(default=SortField.ID, description="Sort key.")
    order: SortOrder = Field(default=SortOrder.ASC, description="Sort direction.")


class TaskQuery(TaskFilters):
    """A list request: filters, sort and one page."""

    limit: int = Field(
        default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, description="Page size, 1-200."
    )
    # No length limit here: a cursor too long to be one is refused as invalid (400).
    cursor: str | None = Field(
        default=None, description="Opaque `next_cursor` of the previous page."
    )

    @property
    def filters(self) -> TaskFilters:
        """The filter part of the query (what a cursor is bound to)."""
        return TaskFilters.model_validate(self.model_dump(exclude={"limit", "cursor"}))


class TaskExportQuery(TaskFilters):
    """An export request: the list filters and a format."""

    format: ExportFormat = Field(default=ExportFormat.JSONL, description="jsonl or csv.")


class BulkCreate(BaseModel):
    """A batch of tasks created all or nothing."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskCreate] = Field(min_length=1, max_length=1000, description="1-1,000 tasks.")


class BulkCreated(BaseModel):
    """What a bulk create made."""

    created: int = Field(description="How many tasks were created.")
    ids: list[int] = Field(description="Their ids, in the order sent.")
