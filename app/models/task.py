"""The Task table and its indexes."""

from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import Priority, TaskStatus
from app.models.base import Base, Id, PriorityType, TagList, UTCDateTime


class Task(Base):
    """One task. `version` is SQLAlchemy's version counter: every UPDATE checks and bumps it."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql")
    )
    description: Mapped[str | None] = mapped_column(String(5000))
    status: Mapped[TaskStatus] = mapped_column(
        Enum(
            TaskStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    priority: Mapped[Priority] = mapped_column(PriorityType())
    due_date: Mapped[date | None] = mapped_column(Date)
    project_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("projects.id", ondelete="RESTRICT")
    )
    tags: Mapped[list[str]] = mapped_column(TagList())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    # One index per sort, ending in id, so keyset pages are index range scans.
    __table_args__ = (
        Index("ix_tasks_created_at_id", "created_at", "id"),
        Index("ix_tasks_updated_at_id", "updated_at", "id"),
        Index("ix_tasks_due_date_id", "due_date", "id"),
        Index("ix_tasks_priority_id", "priority", "id"),
        Index("ix_tasks_title_id", "title", "id"),
        Index("ix_tasks_project_id_id", "project_id", "id"),
        # Never reuse a deleted task's id: an old link or If-Match must not reach a new task.
        {"sqlite_autoincrement": True},
    )
