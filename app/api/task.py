"""Task endpoints: HTTP in, one service call, HTTP out."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from app.api.deps import DatabaseDep, IfMatch, TaskReader, TaskWriter, etag
from app.api.errors import problem_responses
from app.core.enums import ExportFormat
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
from app.services.formats import ImportFormat
from app.services.task_export import stream_export

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TASK_PATH = "/api/v1/tasks/{task_id}"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    responses=problem_responses(413, 422, 503),
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
    status_code=status.HTTP_201_CREATED,
    response_model=BulkCreated,
    responses=problem_responses(413, 422, 503),
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
            "content": {
                media: {"schema": {"type": "string"}} for media in EXPORT_MEDIA_TYPES.values()
            },
        },
        **problem_responses(422, 503),
    },
)
async def export_tasks(
    query: Annotated[TaskExportQuery, Query()], database: DatabaseDep
) -> StreamingResponse:
    """Stream every task matching the list filters as JSON lines or CSV."""
    filters = TaskFilters.model_validate(query.model_dump(exclude={"format"}))
    fmt = ImportFormat(query.format.value)
    return StreamingResponse(
        stream_export(database, filters, fmt),
        media_type=EXPORT_MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="tasks.{query.format}"'},
    )


@router.get("/{task_id}", response_model=TaskRead, responses=problem_responses(404, 422, 503))
async def get_task(task_id: int, tasks: TaskReader, response: Response) -> TaskRead:
    """Get one task; its `ETag` is its version."""
    task = await tasks.get(task_id)
    response.headers["ETag"] = etag(task.version)
    return task


@router.patch(
    "/{task_id}",
    response_model=TaskRead,
    responses=problem_responses(404, 409, 412, 413, 422, 503),
)
async def update_task(
    task_id: int, body: TaskUpdate, tasks: TaskWriter, if_match: IfMatch, response: Response
) -> TaskRead:
    """Change some fields of a task, status included; `If-Match` guards against stale writes."""
    task = await tasks.update(task_id, body, if_match)
    response.headers["ETag"] = etag(task.version)
    return task


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 412, 422, 503),
)
async def delete_task(task_id: int, tasks: TaskWriter, if_match: IfMatch) -> Response:
    """Delete a task; `If-Match` guards against deleting a version you have not seen."""
    await tasks.delete(task_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
