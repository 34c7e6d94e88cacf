"""Project endpoints."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from app.api.deps import NO_QUERY_PARAMETERS, ProjectReader, ProjectWriter
from app.api.errors import problem_responses
from app.api.openapi import LOCATION_HEADER_SPEC, link
from app.core.ids import MAX_ID
from app.schemas.project import ProjectCreate, ProjectList, ProjectRead, ProjectUpdate

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

PROJECT_PATH = "/api/v1/projects/{project_id}"
ONE_PROJECT = "/{project_id}"
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="The project's id.")]


def _project_links(project_id: str) -> dict[str, Any]:
    """Links from a response that names one project (`project_id` is a runtime expression)."""
    return {
        "GetProject": link("get_project", "Read the project.", {"project_id": project_id}),
        "UpdateProject": link("update_project", "Rename the project.", {"project_id": project_id}),
        "DeleteProject": link("delete_project", "Delete the project.", {"project_id": project_id}),
    }


@router.post(
    "",
    dependencies=[NO_QUERY_PARAMETERS],
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    responses={
        201: {
            "description": "The project, created.",
            "headers": {"Location": LOCATION_HEADER_SPEC},
            "links": _project_links("$response.body#/id"),
        },
        **problem_responses(409, 413, 422, 503),
    },
)
async def create_project(
    body: ProjectCreate, projects: ProjectWriter, response: Response
) -> ProjectRead:
    """Create a project; names are unique ignoring case."""
    project = await projects.create(body)
    response.headers["Location"] = PROJECT_PATH.format(project_id=project.id)
    return project


@router.get(
    "",
    response_model=ProjectList,
    responses=problem_responses(422, 503),
    dependencies=[NO_QUERY_PARAMETERS],
)
async def list_projects(projects: ProjectReader) -> ProjectList:
    """List every project by name."""
    return await projects.list_all()


@router.get(
    ONE_PROJECT,
    response_model=ProjectRead,
    responses={
        200: {"description": "The project."},
        **problem_responses(404, 422, 503),
    },
)
async def get_project(project_id: ProjectId, projects: ProjectReader) -> ProjectRead:
    """Get one project."""
    return await projects.get(project_id)


@router.patch(
    ONE_PROJECT,
    dependencies=[NO_QUERY_PARAMETERS],
    response_model=ProjectRead,
    responses={
        200: {
            "description": "The project, changed.",
            "links": _project_links("$request.path.project_id"),
        },
        **problem_responses(404, 409, 413, 422, 503),
    },
)
async def update_project(
    project_id: ProjectId, body: ProjectUpdate, projects: ProjectWriter
) -> ProjectRead:
    """Rename a project or change its description."""
    return await projects.update(project_id, body)


@router.delete(
    ONE_PROJECT,
    dependencies=[NO_QUERY_PARAMETERS],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        204: {"description": "Deleted."},
        **problem_responses(404, 409, 422, 503),
    },
)
async def delete_project(project_id: ProjectId, projects: ProjectWriter) -> Response:
    """Delete a project that has no tasks (409 otherwise)."""
    await projects.delete(project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
