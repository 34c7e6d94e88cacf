"""Task endpoints: HTTP in, one service call, HTTP out."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from starlette.convertors import Convertor, register_url_convertor

from app.api.deps import (
    NO_QUERY_PARAMETERS,
    IfMatch,
    TaskReader,
    TaskStreamer,
    TaskWriter,
    etag,
)
from app.api.errors import problem_responses
from app.api.openapi import ETAG_HEADER_SPEC, LOCATION_HEADER_SPEC, link
from app.core.enums import ExportFormat
from app.core.ids import MAX_ID
from app.schemas.task import (
    BulkCreate,
    BulkCreated,
    TaskCreate,
    TaskExportQuery,
    TaskFilters,
    TaskPage,
    TaskQuery,
    TaskRead,
    TaskUpdate,
)
from app.services.formats import FileFormat

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TASK_PATH = "/api/v1/tasks/{task_id}"


class _TaskIdSegment(Convertor[str]):
    """A path segment that names no route of the collection itself (`bulk`, `export`).

    FastAPI then validates it as the task's id, so `/tasks/abc` is a 422 as any invalid
    input is, while a wrong method on `/tasks/bulk` or `/tasks/export` stays a 405.
    """

    regex = r"(?!(?:bulk|export)\Z)[^/]+"

    def convert(self, value: str) -> str:
        """The segment as it is; the endpoint's `TaskId` annotation validates it."""
        return value

    def to_string(self, value: str) -> str:
        """The segment for a URL."""
        return value


register_url_convertor("task_id", _TaskIdSegment())
ONE_TASK = "/{task_id:task_id}"
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="The task's id.")]


def _task_links(task_id: str) -> dict[str, Any]:
    """Links from a response that names one task (`task_id` is a runtime expression)."""
    etag_expr = "$response.header.ETag"
    return {
        "GetTask": link("get_task", "Read the task.", {"task_id": task_id}),
        "UpdateTask": link(
            "update_task",
            "Change the task, guarded by its ETag.",
            {"task_id": task_id, "header.If-Match": etag_expr},
        ),
        "DeleteTask": link(
            "delete_task",
            "Delete the task, guarded by its ETag.",
            {"task_id": task_id, "header.If-Match": etag_expr},
        ),
    }


@router.post(
    "",
    dependencies=[NO_QUERY_PARAMETERS],
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    responses={
        201: {
            "description": "The task, created.",
            "headers": {"Location": LOCATION_HEADER_SPEC, "ETag": ETAG_HEADER_SPEC},
            "links": _task_links("$response.body#/id"),
        },
        **problem_responses(413, 422, 503),
    },
)
async def create_task(body: TaskCreate, tasks: TaskWriter, response: Response) -> TaskRead:
    """Create a task."""
    task = await tasks.create(body)
    response.headers["Location"] = TASK_PATH.format(task_id=task.id)
    response.headers["ETag"] = etag(task.version)
    return task


@router.get("", response_model=TaskPage, responses=problem_responses(400, 422, 503))
async def list_tasks(query: Annotated[TaskQuery, Query()], tasks: TaskReader) -> TaskPage:
    """List tasks: filter, sort and page with `next_cursor`."""
    return await tasks.list_page(query)


@router.post(
    "/bulk",
    dependencies=[NO_QUERY_PARAMETERS],
    status_code=status.HTTP_201_CREATED,
    response_model=BulkCreated,
    responses={
        201: {
            "description": "How many tasks were created, and their ids.",
            "links": {
                "GetFirstTask": link(
                    "get_task", "Read the first task created.", {"task_id": "$response.body#/ids/0"}
                )
            },
        },
        **problem_responses(413, 422, 503),
    },
)
async def create_tasks_bulk(body: BulkCreate, tasks: TaskWriter) -> BulkCreated:
    """Create up to 1,000 tasks, all or nothing."""
    ids = await tasks.create_many(body.tasks)
    return BulkCreated(created=len(ids), ids=ids)


EXPORT_MEDIA_TYPES = {ExportFormat.JSONL: "application/x-ndjson", ExportFormat.CSV: "text/csv"}


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every matching task, streamed.",
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with the file name `tasks.jsonl` or `tasks.csv`.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "content": {
                media: {"schema": {"type": "string"}} for media in EXPORT_MEDIA_TYPES.values()
            },
        },
        **problem_responses(422, 503),
    },
)
async def export_tasks(
    query: Annotated[TaskExportQuery, Query()], exporter: TaskStreamer
) -> StreamingResponse:
    """Stream every task matching the list filters as JSON lines or CSV."""
    filters = TaskFilters.model_validate(query.model_dump(exclude={"format"}))
    fmt = FileFormat(query.format)  # ExportFormat: the subset the API offers
    chunks = exporter.chunks(filters, fmt)
    # The first chunk is read before the response starts: a database that is busy or
    # unreachable is then a 503 problem with Retry-After, not a 200 cut off mid-body.
    first = await anext(chunks, "")
    return StreamingResponse(
        _after(first, chunks),
        media_type=EXPORT_MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="tasks.{query.format}"'},
    )


async def _after(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    """`first`, then the rest of the stream."""
    if first:
        yield first
    async for chunk in rest:
        yield chunk


@router.get(
    ONE_TASK,
    response_model=TaskRead,
    responses={
        200: {
            "description": "The task.",
            "headers": {"ETag": ETAG_HEADER_SPEC},
            "links": {
                name: spec
                for name, spec in _task_links("$request.path.task_id").items()
                if name != "GetTask"
            },
        },
        **problem_responses(404, 422, 503),
    },
)
async def get_task(task_id: TaskId, tasks: TaskReader, response: Response) -> TaskRead:
    """Get one task; its `ETag` is its version."""
    task = await tasks.get(task_id)
    response.headers["ETag"] = etag(task.version)
    return task


@router.patch(
    ONE_TASK,
    dependencies=[NO_QUERY_PARAMETERS],
    response_model=TaskRead,
    responses={
        200: {
            "description": "The task, changed.",
            "headers": {"ETag": ETAG_HEADER_SPEC},
            "links": _task_links("$request.path.task_id"),
        },
        **problem_responses(404, 409, 412, 413, 422, 503),
    },
)
async def update_task(
    task_id: TaskId, body: TaskUpdate, tasks: TaskWriter, if_match: IfMatch, response: Response
) -> TaskRead:
    """Change some fields of a task, status included; `If-Match` guards against stale writes."""
    task = await tasks.update(task_id, body, if_match)
    response.headers["ETag"] = etag(task.version)
    return task


@router.delete(
    ONE_TASK,
    dependencies=[NO_QUERY_PARAMETERS],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        204: {"description": "Deleted."},
        **problem_responses(404, 412, 422, 503),
    },
)
async def delete_task(task_id: TaskId, tasks: TaskWriter, if_match: IfMatch) -> Response:
    """Delete a task; `If-Match` guards against deleting a version you have not seen."""
    await tasks.delete(task_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
