"""Project business rules: unique names ignoring case, no deleting projects in use."""

from collections.abc import Callable
from datetime import datetime
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.errors import ConflictError, NotFoundError
from app.core.ids import MAX_ID
from app.dal.project import ProjectRepository, name_key
from app.dal.task import TaskRepository
from app.models import Project
from app.schemas.project import ProjectCreate, ProjectList, ProjectRead, ProjectUpdate


class ProjectNotFoundError(NotFoundError):
    """No project has this id or name."""

    def __init__(self, ref: int | str) -> None:
        what = f"id {ref}" if isinstance(ref, int) else f"name '{ref}'"
        super().__init__(f"No project has {what}.")


class DuplicateProjectError(ConflictError):
    """Another project already has this name (ignoring case)."""

    code = "duplicate-project"

    def __init__(self, name: str) -> None:
        super().__init__(f"A project named '{name}' already exists (names ignore case).")


class ProjectInUseError(ConflictError):
    """The project still has tasks, so deleting it is refused."""

    code = "project-in-use"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Project '{name}' still has tasks; move or delete them before deleting the project."
        )


class ProjectService:
    """Every project use case."""

    def __init__(
        self,
        projects: ProjectRepository,
        tasks: TaskRepository,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.projects = projects
        self.tasks = tasks
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        """The service wired to the real repositories on `session`."""
        return cls(ProjectRepository(session), TaskRepository(session))

    async def create(self, data: ProjectCreate) -> ProjectRead:
        """Create a project with a name no other project has (ignoring case)."""
        if await self.projects.get_by_name(data.name) is not None:
            raise DuplicateProjectError(data.name)
        project = await self.projects.add(data.name, data.description, self.clock())
        return ProjectRead.model_validate(project)

    async def get(self, project_id: int) -> ProjectRead:
        """The project with this id."""
        return ProjectRead.model_validate(await self._load(project_id))

    async def resolve(self, ref: str) -> ProjectRead:
        """The project named `ref` (ignoring case), else the one whose id is `ref`."""
        project = await self.projects.get_by_name(ref)
        if project is None and ref.strip().isdigit() and 0 < int(ref) <= MAX_ID:
            project = await self.projects.get(int(ref))
        if project is None:
            raise ProjectNotFoundError(ref)
        return ProjectRead.model_validate(project)

    async def list_all(self) -> ProjectList:
        """Every project, by name."""
        return ProjectList(
            items=[ProjectRead.model_validate(p) for p in await self.projects.list_all()]
        )

    async def update(self, project_id: int, data: ProjectUpdate) -> ProjectRead:
        """Rename a project and/or change its description.

        A task shows its project's name, so a rename changes every task of the project as
        a reader sees it: each gets a new `version` (its ETag) and `updated_at`, and a
        client holding the old name cannot pass an `If-Match` as though it were current.
        """
        project = await self._load(project_id)
        changes = data.model_dump(exclude_unset=True)
        new_name = changes.get("name")
        now = self.clock()
        changed = False
        if new_name is not None and new_name != project.name:
            renamed_to_other = name_key(new_name) != project.name_key
            if renamed_to_other and await self.projects.get_by_name(new_name) is not None:
                raise DuplicateProjectError(new_name)
            await self.projects.rename(project, new_name)
            await self.tasks.touch_project_tasks(project.id, now)
            changed = True
        if "description" in changes and changes["description"] != project.description:
            project.description = changes["description"]
            changed = True
        if changed:
            project.updated_at = now
        return ProjectRead.model_validate(project)

    async def delete(self, project_id: int) -> None:
        """Delete a project that has no tasks."""
        project = await self._load(project_id)
        if await self.projects.has_tasks(project.id):
            raise ProjectInUseError(project.name)
        await self.projects.delete(project)

    async def _load(self, project_id: int) -> Project:
        project = await self.projects.get(project_id) if 0 < project_id <= MAX_ID else None
        if project is None:
            raise ProjectNotFoundError(project_id)
        return project
