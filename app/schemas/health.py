"""The health check contract."""

from pydantic import BaseModel, Field


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str = Field(description="`ok` or `unavailable`.")
    database: str = Field(description="`ok` or `unavailable`.")
    engine: str = Field(description="Database engine in use: `sqlite` or `postgresql`.")
