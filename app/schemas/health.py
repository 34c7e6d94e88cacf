"""The health check contract."""

from pydantic import BaseModel, Field


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str = Field(description="Always `ok` (failures are a 503 problem document).")
    database: str = Field(description="Always `ok`: the database answered a query.")
