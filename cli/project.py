"""`app-cli projects …`."""

from typing import TYPE_CHECKING, Annotated

import typer

from cli import output
from cli.runtime import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.schemas.project import ProjectList, ProjectRead
    from app.services.project import ProjectService

app = typer.Typer(no_args_is_help=True, help="Create, list, rename and delete projects.")

ProjectRef = Annotated[str, typer.Argument(help="The project's name (or id).", metavar="PROJECT")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]


def _service(session: "AsyncSession") -> "ProjectService":
    from app.services.project import ProjectService

    return ProjectService.from_session(session)


def _show(project: "ProjectRead", as_json: bool) -> None:
    if as_json:
        output.print_json(project)
        return
    rows = [
        ("Id", str(project.id)),
        ("Description", output.escape(project.description or "-")),
        ("Created", project.created_at.isoformat()),
        ("Updated", project.updated_at.isoformat()),
    ]
    output.stdout().print(output.panel(project.name, rows))


@app.command("add")
def add_project(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Unique name (ignoring case), 1-100 chars.", metavar="NAME")
    ],
    description: Annotated[
        str | None, typer.Option(help="What the project is about.", metavar="TEXT")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a project."""
    from app.schemas.project import ProjectCreate

    async def work(session: "AsyncSession") -> "ProjectRead":
        return await _service(session).create(ProjectCreate(name=name, description=description))

    project = run(ctx, work)
    if as_json:
        output.print_json(project)
    else:
        output.message(f"Created project [bold]{output.escape(project.name)}[/] (id {project.id}).")


@app.command("list")
def list_projects(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List every project."""

    async def work(session: "AsyncSession") -> "ProjectList":
        return await _service(session).list_all()

    projects = run(ctx, work, write=False)
    if as_json:
        output.print_json(projects)
        return
    if not projects.items:
        output.message("No projects yet; create one with: app-cli projects add NAME")
        return
    table = output.new_table()
    table.add_column("ID", justify="right")
    table.add_column("Name")
    table.add_column("Description")
    for project in projects.items:
        table.add_row(
            str(project.id), output.escape(project.name), output.escape(project.description or "")
        )
    output.stdout().print(table)


@app.command("show")
def show_project(ctx: typer.Context, ref: ProjectRef, as_json: JsonFlag = False) -> None:
    """Show one project."""

    async def work(session: "AsyncSession") -> "ProjectRead":
        return await _service(session).resolve(ref)

    _show(run(ctx, work, write=False), as_json)


@app.command("rename")
def rename_project(
    ctx: typer.Context,
    ref: ProjectRef,
    new_name: Annotated[str, typer.Argument(help="The new name.", metavar="NEW_NAME")],
    as_json: JsonFlag = False,
) -> None:
    """Rename a project (its tasks follow)."""
    from app.schemas.project import ProjectUpdate

    async def work(session: "AsyncSession") -> "ProjectRead":
        service = _service(session)
        project = await service.resolve(ref)
        return await service.update(project.id, ProjectUpdate(name=new_name))

    project = run(ctx, work)
    if as_json:
        output.print_json(project)
    else:
        output.message(f"Renamed to [bold]{output.escape(project.name)}[/].")


@app.command("delete")
def delete_project(
    ctx: typer.Context,
    ref: ProjectRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a project that has no tasks."""
    from cli.prompt import confirm_or_exit

    def describe() -> str:
        async def read(session: "AsyncSession") -> "ProjectRead":
            return await _service(session).resolve(ref)

        project = run(ctx, read, write=False)
        return f"project '{output.visible(project.name)}' (id {project.id})"

    confirm_or_exit(describe, yes)

    async def work(session: "AsyncSession") -> str:
        service = _service(session)
        project = await service.resolve(ref)
        await service.delete(project.id)
        return project.name

    name = run(ctx, work)
    output.message(f"Deleted project {output.escape(name)}.")
