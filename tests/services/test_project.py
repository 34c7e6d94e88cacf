"""ProjectService rules, with a mocked repository and a fixed clock."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from unittest.mock import AsyncMock

import pytest

from app.core.errors import ConflictError, NotFoundError
from app.dal.project import ProjectRepository
from app.dal.task import TaskRepository
from app.models import Project
from app.schemas.project import ProjectCreate, ProjectUpdate
from app.services.project import (
    DuplicateProjectError,
    ProjectInUseError,
    ProjectNotFoundError,
    ProjectService,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)


def project(project_id: int = 7, name: str = "Work", description: str | None = None) -> Project:
    return Project(
        id=project_id,
        name=name,
        name_key=name.casefold(),
        description=description,
        created_at=EARLIER,
        updated_at=EARLIER,
    )


def make_service(*stored: Project) -> tuple[ProjectService, AsyncMock]:
    """A service whose mocked repository holds `stored` (looked up by id or name key)."""
    repo = AsyncMock(spec=ProjectRepository)
    by_id = {p.id: p for p in stored}
    by_key = {p.name_key: p for p in stored}
    repo.get.side_effect = lambda project_id: by_id.get(project_id)
    repo.get_by_name.side_effect = lambda name: by_key.get(name.casefold())

    def rename(target: Project, name: str) -> None:
        target.name = name
        target.name_key = name.casefold()

    repo.rename.side_effect = rename
    return ProjectService(repo, AsyncMock(spec=TaskRepository), clock=lambda: NOW), repo


def task_repo(service: ProjectService) -> AsyncMock:
    """The service's mocked task repository."""
    return cast(AsyncMock, service.tasks)


async def test_create_adds_project_with_clock_time() -> None:
    service, repo = make_service()
    repo.add.return_value = Project(
        id=1, name="Work", name_key="work", description="d", created_at=NOW, updated_at=NOW
    )

    result = await service.create(ProjectCreate(name=" Work ", description="d"))

    repo.add.assert_awaited_once_with("Work", "d", NOW)
    assert (result.id, result.name, result.created_at) == (1, "Work", NOW)


@pytest.mark.parametrize("name", ["Work", "work", "WORK", " wOrK "])
async def test_create_duplicate_name_ignoring_case_is_refused(name: str) -> None:
    service, repo = make_service(project(7, "Work"))

    with pytest.raises(DuplicateProjectError) as caught:
        await service.create(ProjectCreate(name=name))

    assert isinstance(caught.value, ConflictError)
    assert caught.value.code == "duplicate-project"
    repo.add.assert_not_awaited()


async def test_get_returns_project() -> None:
    service, _ = make_service(project(7, "Work", "desc"))

    result = await service.get(7)

    assert (result.id, result.name, result.description) == (7, "Work", "desc")


async def test_get_unknown_project_is_not_found() -> None:
    service, _ = make_service()

    with pytest.raises(ProjectNotFoundError) as caught:
        await service.get(7)
    assert isinstance(caught.value, NotFoundError)
    assert "id 7" in caught.value.message


@pytest.mark.parametrize(("ref", "expected_id"), [("Work", 7), ("HOME", 8), ("8", 8), (" 7 ", 7)])
async def test_resolve_by_name_then_id(ref: str, expected_id: int) -> None:
    service, _ = make_service(project(7, "Work"), project(8, "Home"))

    assert (await service.resolve(ref)).id == expected_id


async def test_resolve_prefers_a_project_named_like_an_id() -> None:
    service, _ = make_service(project(7, "Work"), project(8, "7"))

    assert (await service.resolve("7")).id == 8


@pytest.mark.parametrize("ref", ["Nope", "99"])
async def test_resolve_unknown_is_not_found(ref: str) -> None:
    service, _ = make_service(project(7, "Work"))

    with pytest.raises(ProjectNotFoundError):
        await service.resolve(ref)


async def test_list_all_keeps_repository_order() -> None:
    service, repo = make_service()
    repo.list_all.return_value = [project(2, "alpha"), project(1, "Beta")]

    result = await service.list_all()

    assert [p.name for p in result.items] == ["alpha", "Beta"]


@pytest.mark.parametrize("new_name", ["WORK", "work", "wORk"])
async def test_rename_to_same_name_in_other_case_is_allowed(new_name: str) -> None:
    stored = project(7, "Work")
    service, repo = make_service(stored)

    result = await service.update(7, ProjectUpdate(name=new_name))

    repo.rename.assert_awaited_once_with(stored, new_name)
    assert result.name == new_name
    assert stored.updated_at == NOW
    task_repo(service).touch_project_tasks.assert_awaited_once_with(7, NOW)  # they show it


async def test_rename_to_free_name() -> None:
    stored = project(7, "Work")
    service, repo = make_service(stored, project(8, "Home"))

    result = await service.update(7, ProjectUpdate(name="Office"))

    repo.rename.assert_awaited_once_with(stored, "Office")
    assert (result.name, result.updated_at) == ("Office", NOW)
    task_repo(service).touch_project_tasks.assert_awaited_once_with(7, NOW)


@pytest.mark.parametrize("new_name", ["Home", "home", "HOME"])
async def test_rename_to_other_projects_name_is_refused(new_name: str) -> None:
    stored = project(7, "Work")
    service, repo = make_service(stored, project(8, "Home"))

    with pytest.raises(DuplicateProjectError):
        await service.update(7, ProjectUpdate(name=new_name))

    repo.rename.assert_not_awaited()
    assert (stored.name, stored.updated_at) == ("Work", EARLIER)
    task_repo(service).touch_project_tasks.assert_not_awaited()


@pytest.mark.parametrize(
    "update", [{}, {"name": "Work"}, {"name": " Work "}, {"description": "desc"}]
)
async def test_update_without_a_change_leaves_updated_at(update: dict[str, Any]) -> None:
    stored = project(7, "Work", "desc")
    service, repo = make_service(stored)

    result = await service.update(7, ProjectUpdate.model_validate(update))

    repo.rename.assert_not_awaited()
    assert result.updated_at == EARLIER
    assert stored.updated_at == EARLIER
    task_repo(service).touch_project_tasks.assert_not_awaited()


@pytest.mark.parametrize("description", ["new", None])
async def test_update_description(description: str | None) -> None:
    stored = project(7, "Work", "desc")
    service, repo = make_service(stored)

    result = await service.update(7, ProjectUpdate(description=description))

    assert (result.description, result.updated_at) == (description, NOW)
    repo.rename.assert_not_awaited()
    task_repo(service).touch_project_tasks.assert_not_awaited()  # tasks do not show it


async def test_update_unknown_project_is_not_found() -> None:
    service, _ = make_service()

    with pytest.raises(ProjectNotFoundError):
        await service.update(7, ProjectUpdate(name="x"))


async def test_delete_unused_project() -> None:
    stored = project(7, "Work")
    service, repo = make_service(stored)
    repo.has_tasks.return_value = False

    await service.delete(7)

    repo.has_tasks.assert_awaited_once_with(7)
    repo.delete.assert_awaited_once_with(stored)


async def test_delete_project_in_use_is_refused() -> None:
    service, repo = make_service(project(7, "Work"))
    repo.has_tasks.return_value = True

    with pytest.raises(ProjectInUseError) as caught:
        await service.delete(7)

    assert isinstance(caught.value, ConflictError)
    assert caught.value.code == "project-in-use"
    assert "Work" in caught.value.message
    repo.delete.assert_not_awaited()


async def test_delete_unknown_project_is_not_found() -> None:
    service, repo = make_service()

    with pytest.raises(ProjectNotFoundError):
        await service.delete(7)
    repo.delete.assert_not_awaited()
