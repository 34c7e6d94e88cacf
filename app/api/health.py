"""Liveness and database check."""

from fastapi import APIRouter

from app.api.deps import DatabaseDep
from app.api.errors import problem_responses
from app.schemas.health import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=problem_responses(503))
async def get_health(database: DatabaseDep) -> Health:
    """200 when the API and its database answer; 503 problem when the database does not."""
    await database.ping()
    return Health(status="ok", database="ok")


@router.head("/health", response_model=Health, responses=problem_responses(503))
async def head_health(database: DatabaseDep) -> Health:
    """The same check for probes that send HEAD: GET's status and headers, no body.

    The body is built as for GET so that Content-Length matches it (RFC 9110 §9.3.2);
    the server leaves it out.
    """
    return await get_health(database)
