"""RFC 9457 problem details, the body of every error response."""

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid field."""

    loc: list[str | int] = Field(description='Where the field is, e.g. ["body", "title"].')
    msg: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An error response (`application/problem+json`)."""

    type: str = Field(description="URI reference identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong this time, and what to do.")
    request_id: str | None = Field(default=None, description="The request's X-Request-ID.")
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields (422 only).")
