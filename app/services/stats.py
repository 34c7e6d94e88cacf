"""Task statistics, aggregated from one grouped query."""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.enums import Priority, TaskStatus
from app.dal.task import TaskRepository
from app.schemas.stats import ProjectStats, Stats


class StatsService:
    """Counts by status, priority, overdue and project."""

    def __init__(self, tasks: TaskRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.tasks = tasks
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        """The service wired to the real repositories on `session`."""
        return cls(TaskRepository(session))

    async def compute(self) -> Stats:
        """Count every task once per dimension."""
        by_status = dict.fromkeys(map(str, TaskStatus), 0)
        by_priority = dict.fromkeys(map(str, Priority), 0)
        projects: defaultdict[str | None, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(map(str, TaskStatus), 0)
        )
        overdue_by_project: defaultdict[str | None, int] = defaultdict(int)
        for row in await self.tasks.stats(self.clock().date()):
            project_counts = projects[row.project]  # starts at zero: empty projects are listed
            if row.status is None:  # the row of a project without tasks
                continue
            by_status[row.status] += row.total
            by_priority[row.priority] += row.total
            project_counts[row.status] += row.total
            overdue_by_project[row.project] += int(row.overdue or 0)
        per_project = [
            ProjectStats(
                project=name,
                total=sum(counts.values()),
                overdue=overdue_by_project[name],
                by_status=counts,
            )
            for name, counts in sorted(
                projects.items(), key=lambda kv: (kv[0] is None, (kv[0] or "").casefold())
            )
        ]
        return Stats(
            total=sum(by_status.values()),
            by_status=by_status,
            by_priority=by_priority,
            overdue=sum(overdue_by_project.values()),
            by_project=per_project,
        )
