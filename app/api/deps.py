"""FastAPI dependencies as `Annotated` aliases: database sessions and services.

Every dependency is `async def`, even when it awaits nothing: FastAPI runs plain `def`
dependencies in a thread pool, a thread hand-off per dependency per request.
"""

import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.schemas.types import IF_MATCH_PATTERN
from app.services.project import ProjectService
from app.services.stats import StatsService
from app.services.task import TaskService
from app.services.task_export import TaskExporter

S = TypeVar("S")


async def get_database(request: Request) -> Database:
    """The database the app was started with."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def _service(
    make: Callable[[AsyncSession], S],
    *,
    write: bool,
    until: Literal["function", "request"],
    snapshot: bool = False,
) -> Any:
    """A dependency that gives `make(session)` over a session of its own.

    One dependency level per request, not three (database, session, service): FastAPI's
    resolution is a measurable part of a GET's CPU. Each endpoint takes one service, so
    one session per service is one session per request.

    `until="function"`: the session ends, and a write commits, before the response goes
    out, so a failed commit is reported to the client instead of after a 200.
    `until="request"`: the session lives until the response has been sent, a streamed
    body included, so a stream can keep reading after the endpoint has returned.
    `snapshot`: every read of the session sees one moment (`Database.session`).
    """

    async def dependency(request: Request) -> AsyncIterator[S]:
        database = await get_database(request)
        async with database.session(write=write, snapshot=snapshot) as session:
            yield make(session)

    return Depends(dependency, scope=until)


def _exporter(session: AsyncSession) -> TaskExporter:
    return TaskExporter(TaskService.from_session(session))


TaskWriter = Annotated[
    TaskService, _service(TaskService.from_session, write=True, until="function")
]
TaskReader = Annotated[
    TaskService, _service(TaskService.from_session, write=False, until="function")
]
ProjectWriter = Annotated[
    ProjectService, _service(ProjectService.from_session, write=True, until="function")
]
ProjectReader = Annotated[
    ProjectService, _service(ProjectService.from_session, write=False, until="function")
]
StatsReader = Annotated[
    StatsService, _service(StatsService.from_session, write=False, until="function")
]
TaskStreamer = Annotated[
    TaskExporter, _service(_exporter, write=False, until="request", snapshot=True)
]


def etag(version: int) -> str:
    """The ETag of a resource version."""
    return f'"{version}"'


_LISTED_TAG = re.compile(r'(W/)?"([^"]*)"')  # each tag of a header that matched the pattern
# What this API's tags hold: a version, from 1 (a longer number can match none of them).
_ISSUED_VERSION = re.compile(r"[1-9][0-9]{0,18}")


async def parse_if_match(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            pattern=IF_MATCH_PATTERN,
            description='ETag from a GET (e.g. `"3"`) or `*`; the change fails with 412 if stale.',
        ),
        # Optional, but never null: the header is absent or holds a string.
        WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN, "examples": ['"1"']}),
    ] = None,
) -> frozenset[int] | None:
    """The versions the caller accepts, from `If-Match` (None when absent or `*`).

    RFC 9110 §13.1.1: the condition holds if the current ETag matches any listed tag by
    strong comparison, so a weak tag (`W/"3"`) or one this API never issued matches
    nothing; when none is left the set is empty and the change fails (412, or 404 first).
    """
    if if_match is None:
        return None
    # Several If-Match lines are one list (RFC 9110 §5.3); the parameter holds the first.
    lines = request.headers.getlist("if-match")
    if any(line.strip() == "*" for line in lines):
        return None
    listed = ", ".join(lines)
    return frozenset(
        int(tag[2])
        for tag in _LISTED_TAG.finditer(listed)
        if not tag[1] and _ISSUED_VERSION.fullmatch(tag[2])
    )


IfMatch = Annotated[frozenset[int] | None, Depends(parse_if_match)]


async def _no_query_parameters(request: Request) -> None:
    """422 for any query parameter: this endpoint has none, so a filter would be ignored."""
    if request.query_params:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "Extra inputs are not permitted",
                    "input": value,
                }
                for name, value in request.query_params.multi_items()
            ]
        )


NO_QUERY_PARAMETERS = Depends(_no_query_parameters)
"""For an endpoint that takes no query parameters (`dependencies=[NO_QUERY_PARAMETERS]`):
a listing without filters, where `?project=x` must not quietly answer for everything, and
every write, where `POST /tasks?project=x` must not quietly create a task without one.
Reads of one resource by id stay lenient (a cache-busting `?_=…` is harmless there)."""
