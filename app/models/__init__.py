"""ORM models; importing this package registers every table on `Base.metadata`."""

from app.models.base import Base
from app.models.project import Project
from app.models.task import Task

__all__ = ["Base", "Project", "Task"]
