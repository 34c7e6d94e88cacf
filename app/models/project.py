"""The Project table."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Id, UTCDateTime


class Project(Base):
    """A named group of tasks; `name_key` (the casefolded name) makes names unique ignoring case."""

    __tablename__ = "projects"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse a deleted project's id

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # casefold() can lengthen a name (ß → ss): room for 100 characters folded.
    name_key: Mapped[str] = mapped_column(String(400), unique=True)
    description: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
