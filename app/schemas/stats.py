"""The statistics contract."""

from pydantic import BaseModel, Field


class ProjectStats(BaseModel):
    """Task counts of one project (`project` null: tasks without a project)."""

    project: str | None = Field(description="Project name, or null for tasks without one.")
    total: int = Field(description="Tasks in the project.")
    overdue: int = Field(description="Overdue tasks in the project.")
    by_status: dict[str, int] = Field(description="Counts per status.")


class Stats(BaseModel):
    """Task counts across the whole tracker."""

    total: int = Field(description="All tasks.")
    by_status: dict[str, int] = Field(description="Counts per status (every status listed).")
    by_priority: dict[str, int] = Field(description="Counts per priority (every one listed).")
    overdue: int = Field(description="Due before today (UTC) and not done or cancelled.")
    by_project: list[ProjectStats] = Field(description="Counts per project, by name.")
