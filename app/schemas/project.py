"""The project API contract."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.types import NOT_BLANK_TEXT, TEXT, UTCDateTime, sent_at_most

ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK_TEXT),
    sent_at_most(100),  # runs first: a BeforeValidator wraps what precedes it
]
ProjectDescription = Annotated[str, StringConstraints(max_length=2000, pattern=TEXT)]


class ProjectCreate(BaseModel):
    """A new project."""

    model_config = ConfigDict(extra="forbid")

    name: ProjectName = Field(description="Unique name ignoring case; trimmed, 1-100 chars.")
    description: ProjectDescription | None = Field(default=None, description="≤ 2,000 chars.")


class ProjectUpdate(BaseModel):
    """A partial project update (rename and/or new description)."""

    model_config = ConfigDict(extra="forbid")

    # Not nullable: leave it out to keep the name (see TaskUpdate for the type ignore).
    name: ProjectName = Field(default=None, description="New name.")  # type: ignore[assignment]
    description: ProjectDescription | None = Field(default=None, description="New description.")


class ProjectRead(BaseModel):
    """A project as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Assigned by the database.")
    name: str = Field(description="Name.")
    description: str | None = Field(description="Description.")
    created_at: UTCDateTime = Field(description="Creation time (UTC).")
    updated_at: UTCDateTime = Field(description="Last change (UTC).")


class ProjectList(BaseModel):
    """Every project, by name."""

    items: list[ProjectRead] = Field(description="Projects sorted by name.")
