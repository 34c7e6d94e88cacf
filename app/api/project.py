"""Project endpoints."""

from fastapi import APIRouter, Response, status

from app.api.deps import ProjectReader, ProjectWriter
from app.api.errors import problem_responses
from app.schemas.project import ProjectCreate, ProjectList, ProjectRead, ProjectUpdate

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    responses=problem_responses(409, 413, 422, 503),
)
async def create_project(
    body: ProjectCreate, projects: ProjectWriter, response: Response
) -> ProjectRead:
    """Create a project; names are unique ignoring case."""
    project = await projects.create(body)
    response.headers["Location"] = f"/api/v1/projects/{project.id}"
    return project


@router.get("", response_model=ProjectList, responses=problem_responses(503))
async def list_projects(projects: ProjectReader) -> ProjectList:
    """List every project by name."""
    return await projects.list_all()


@router.get("/{project_id}", response_model=ProjectRead, responses=problem_responses(404, 422, 503))
async def get_project(project_id: int, projects: ProjectReader) -> ProjectRead:
    """Get one project."""
    return await projects.get(project_id)


@router.patch(
    "/{project_id}",
    response_model=ProjectRead,
    responses=problem_responses(404, 409, 413, 422, 503),
)
async def update_project(
    project_id: int, body: ProjectUpdate, projects: ProjectWriter
) -> ProjectRead:
    """Rename a project or change its description."""
    return await projects.update(project_id, body)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 422, 503),
)
async def delete_project(project_id: int, projects: ProjectWriter) -> Response:
    """Delete a project that has no tasks (409 otherwise)."""
    await projects.delete(project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
