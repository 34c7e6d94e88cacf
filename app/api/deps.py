"""FastAPI dependencies as `Annotated` aliases: database sessions and services.

Every dependency is `async def`, even when it awaits nothing: FastAPI runs plain `def`
dependencies in a thread pool, a thread hand-off per dependency per request.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.services.project import ProjectService
from app.services.stats import StatsService
from app.services.task import TaskService
from app.services.task_export import TaskExporter


async def get_database(request: Request) -> Database:
    """The database the app was started with."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def write_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits before the response is sent."""
    async with database.session(write=True) as session:
        yield session


async def read_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """A read-only session (no transaction round trips on SQLite)."""
    async with database.session(write=False) as session:
        yield session


# scope="function": the commit finishes before the response goes out, so a failed
# commit is reported to the client instead of after a 200.
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
# scope="request": the session lives until the response has been sent, a streamed body
# included, so a stream can keep reading from it after the endpoint has returned.
StreamSession = Annotated[AsyncSession, Depends(read_session, scope="request")]


async def _task_writer(session: WriteSession) -> TaskService:
    return TaskService.from_session(session)


async def _task_reader(session: ReadSession) -> TaskService:
    return TaskService.from_session(session)


async def _project_writer(session: WriteSession) -> ProjectService:
    return ProjectService.from_session(session)


async def _project_reader(session: ReadSession) -> ProjectService:
    return ProjectService.from_session(session)


async def _stats_reader(session: ReadSession) -> StatsService:
    return StatsService.from_session(session)


async def _task_exporter(session: StreamSession) -> TaskExporter:
    return TaskExporter(TaskService.from_session(session))


TaskWriter = Annotated[TaskService, Depends(_task_writer)]
TaskReader = Annotated[TaskService, Depends(_task_reader)]
ProjectWriter = Annotated[ProjectService, Depends(_project_writer)]
ProjectReader = Annotated[ProjectService, Depends(_project_reader)]
StatsReader = Annotated[StatsService, Depends(_stats_reader)]
TaskStreamer = Annotated[TaskExporter, Depends(_task_exporter)]


def etag(version: int) -> str:
    """The ETag of a resource version."""
    return f'"{version}"'


# RFC 9110 §13.1.1: `If-Match = "*" / #entity-tag`; optional whitespace is spaces and tabs.
_ENTITY_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN = rf"^[ \t]*(\*|{_ENTITY_TAG}([ \t]*,[ \t]*{_ENTITY_TAG})*)[ \t]*$"
# Versions start at 1: a tag this API never issued stands for a version no resource has, so
# the service answers 404 or 412 in the usual order (existence first).
UNMATCHABLE_VERSION = 0


async def parse_if_match(
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
) -> int | None:
    """The version the caller expects, from `If-Match` (None when absent or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    for tag in if_match.split(","):
        value = tag.strip().removeprefix("W/").strip('"')
        if value.isdigit():
            return int(value)
    return UNMATCHABLE_VERSION


IfMatch = Annotated[int | None, Depends(parse_if_match)]
