"""Statistics endpoint."""

from fastapi import APIRouter

from app.api.deps import NO_QUERY_PARAMETERS, StatsReader
from app.api.errors import problem_responses
from app.schemas.stats import Stats

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


@router.get(
    "",
    response_model=Stats,
    responses=problem_responses(422, 503),
    dependencies=[NO_QUERY_PARAMETERS],
)
async def get_stats(stats: StatsReader) -> Stats:
    """Counts by status, by priority, overdue and per project."""
    return await stats.compute()
