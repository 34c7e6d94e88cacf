"""Task endpoints: HTTP in, one service call, HTTP out."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import IfMatch, TaskReader, TaskWriter, etag
from app.api.errors import problem_responses
from app.schemas.task import (
    BulkCreate,
    BulkCreated,
    TaskCreate,
    TaskPage,
    TaskQuery,
    TaskRead,
    TaskUpdate,
)

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
