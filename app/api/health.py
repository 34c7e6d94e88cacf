"""Liveness and database check."""

from fastapi import APIRouter, Response

from app.api.deps import DatabaseDep
from app.api.errors import problem_responses
from app.schemas.health import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=problem_responses(503))
async def get_health(database: DatabaseDep) -> Health:
    """200 when the API and its database answer; 503 problem when the database does not."""
    await database.ping()
    return Health(status="ok", database="ok", engine=database.backend)


@router.head("/health", responses={200: {"description": "The API and its database answer."}})
async def head_health(database: DatabaseDep) -> Response:
    """The same check, answered with headers only (for probes that send HEAD)."""
    await database.ping()
    return Response(media_type="application/json")  # what GET sends, body left out
