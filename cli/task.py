"""`app-cli tasks …`: translate argv to service calls and results to the terminal."""

from typing import TYPE_CHECKING, Annotated

import typer

from app.core.clock import utctoday
from app.core.enums import Priority, SortField, TaskStatus
from app.core.ids import MAX_ID
from cli import output, task_export, task_import
from cli.errors import ExitCode
from cli.filters import (
    DescOption,
    DueAfterOption,
    DueBeforeOption,
    OverdueOption,
    PriorityOption,
    ProjectOption,
    SearchOption,
    SortOption,
    StatusOption,
    TagOption,
    choices,
    filter_values,
    parse_date,
)
from cli.runtime import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.schemas.task import TaskRead
    from app.services.task import TaskService

app = typer.Typer(no_args_is_help=True, help="Create, list, change and delete tasks.")

TaskId = Annotated[int, typer.Argument(help="The task's id.", min=1, max=MAX_ID, metavar="ID")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]


def _service(session: "AsyncSession") -> "TaskService":
    from app.services.task import TaskService

    return TaskService.from_session(session)


def _show(task: "TaskRead", as_json: bool) -> None:
    if as_json:
        output.print_json(task)
        return
    today = utctoday()
    rows = [
        ("Status", output.styled_status(task.status)),
        ("Priority", output.styled_priority(task.priority)),
        ("Due", output.styled_due(task.due_date, task.status, today) or "-"),
        ("Project", output.escape(task.project or "-")),
        ("Tags", output.escape(", ".join(task.tags) or "-")),
        ("Description", output.escape(task.description or "-")),
        ("Created", task.created_at.isoformat()),
        ("Updated", task.updated_at.isoformat()),
        ("Completed", task.completed_at.isoformat() if task.completed_at else "-"),
        ("Version", str(task.version)),
    ]
    output.stdout().print(output.panel(f"#{task.id} {task.title}", rows))


@app.command("add")
def add_task(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What to do (1-200 characters).", metavar="TITLE")],
    description: Annotated[str | None, typer.Option(help="Details.", metavar="TEXT")] = None,
    priority: Annotated[
        Priority, typer.Option(help="Priority.", metavar=choices(Priority))
    ] = Priority.MEDIUM,
    due: Annotated[str | None, typer.Option(help="Due date.", metavar="YYYY-MM-DD")] = None,
    project: Annotated[
        str | None, typer.Option(help="An existing project's name.", metavar="NAME")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="A tag; repeat for more.", metavar="TAG")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a task."""
    from app.schemas.task import TaskCreate

    due_date = parse_date(due, "--due")

    async def work(session: "AsyncSession") -> "TaskRead":
        data = TaskCreate(
            title=title,
            description=description,
            priority=priority,
            due_date=due_date,
            project=project,
            tags=tag or [],
        )
        return await _service(session).create(data)

    task = run(ctx, work)
    if as_json:
        output.print_json(task)
    else:
        output.message(f"Created task [bold]#{task.id}[/]: {output.escape(task.title)}")
        typer.echo(task.id)


@app.command("list")
def list_tasks(
    ctx: typer.Context,
    status: StatusOption = None,
    priority: PriorityOption = None,
    project: ProjectOption = None,
    tag: TagOption = None,
    due_before: DueBeforeOption = None,
    due_after: DueAfterOption = None,
    overdue: OverdueOption = None,
    q: SearchOption = None,
    sort: SortOption = SortField.ID,
    desc: DescOption = False,
    limit: Annotated[int, typer.Option(help="Page size, 1-200.", metavar="N")] = 50,
    cursor: Annotated[
        str | None, typer.Option(help="`next_cursor` of the previous page.", metavar="CURSOR")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List tasks with the API's filters, sorts and pages."""
    from app.schemas.task import TaskPage, TaskQuery

    query_values = filter_values(
        status=status,
        priority=priority,
        project=project,
        tag=tag,
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
        q=q,
        sort=sort,
        desc=desc,
    ) | {"limit": limit, "cursor": cursor}

    async def work(session: "AsyncSession") -> TaskPage:
        return await _service(session).list_page(TaskQuery.model_validate(query_values))

    page = run(ctx, work, write=False)
    if as_json:
        output.print_json(page)
        return
    if not page.items:
        output.message("No tasks match.")
        return
    output.stdout().print(output.task_table(page.items, utctoday()))
    if page.next_cursor:
        output.message(f"More tasks: add --cursor {page.next_cursor}")


@app.command("show")
def show_task(ctx: typer.Context, task_id: TaskId, as_json: JsonFlag = False) -> None:
    """Show one task."""

    async def work(session: "AsyncSession") -> "TaskRead":
        return await _service(session).get(task_id)

    _show(run(ctx, work, write=False), as_json)


@app.command("update")
def update_task(
    ctx: typer.Context,
    task_id: TaskId,
    title: Annotated[str | None, typer.Option(help="New title.", metavar="TITLE")] = None,
    description: Annotated[
        str | None, typer.Option(help="New description.", metavar="TEXT")
    ] = None,
    priority: Annotated[
        Priority | None, typer.Option(help="New priority.", metavar=choices(Priority))
    ] = None,
    due: Annotated[str | None, typer.Option(help="New due date.", metavar="YYYY-MM-DD")] = None,
    no_due: Annotated[bool, typer.Option("--no-due", help="Remove the due date.")] = False,
    project: Annotated[
        str | None, typer.Option(help="Move to this project.", metavar="NAME")
    ] = None,
    no_project: Annotated[
        bool, typer.Option("--no-project", help="Remove from its project.")
    ] = False,
    tag: Annotated[
        list[str] | None, typer.Option(help="Replace the tags; repeat for more.", metavar="TAG")
    ] = None,
    no_tags: Annotated[bool, typer.Option("--no-tags", help="Remove every tag.")] = False,
    as_json: JsonFlag = False,
    status: Annotated[str | None, typer.Option(hidden=True)] = None,  # a common slip
) -> None:
    """Change some fields of a task.

    Its status has commands of its own: start, done, cancel and reopen.
    """
    from app.schemas.task import TaskUpdate

    if status is not None:
        raise typer.BadParameter(
            f"a status has its own commands: app-cli tasks start|done|cancel|reopen {task_id}",
            param_hint="--status",
        )
    if due is not None and no_due:
        raise typer.BadParameter("use either --due or --no-due, not both")
    if project is not None and no_project:
        raise typer.BadParameter("use either --project or --no-project, not both")
    if tag and no_tags:
        raise typer.BadParameter("use either --tag or --no-tags, not both")
    values: dict[str, object] = {
        name: value
        for name, value in {
            "title": title,
            "description": description,
            "priority": priority,
            "due_date": parse_date(due, "--due"),
            "project": project,
            "tags": tag,
        }.items()
        if value is not None
    }
    if no_due:
        values["due_date"] = None
    if no_project:
        values["project"] = None
    if no_tags:
        values["tags"] = []
    if not values:
        raise output.fail(
            "Nothing to change; pass at least one option.", "See --help.", ExitCode.INVALID_INPUT
        )

    async def work(session: "AsyncSession") -> "TaskRead":
        return await _service(session).update(task_id, TaskUpdate.model_validate(values))

    _show(run(ctx, work), as_json)


def _status_command(name: str, status: TaskStatus, summary: str) -> None:
    def command(ctx: typer.Context, task_id: TaskId, as_json: JsonFlag = False) -> None:
        async def work(session: "AsyncSession") -> "TaskRead":
            return await _service(session).change_status(task_id, status)

        task = run(ctx, work)
        if as_json:
            output.print_json(task)
        else:
            output.message(f"Task #{task.id} is now {output.styled_status(task.status)}.")

    command.__doc__ = summary
    app.command(name)(command)


_status_command("start", TaskStatus.IN_PROGRESS, "Start a task (in_progress).")
_status_command("done", TaskStatus.DONE, "Complete a task (done).")
_status_command("cancel", TaskStatus.CANCELLED, "Cancel a task (cancelled).")
_status_command("reopen", TaskStatus.TODO, "Reopen a task (todo).")


@app.command("delete")
def delete_task(
    ctx: typer.Context,
    task_id: TaskId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a task (asks first unless --yes)."""
    from cli.prompt import confirm_or_exit

    def describe() -> str:
        async def read(session: "AsyncSession") -> "TaskRead":
            return await _service(session).get(task_id)

        task = run(ctx, read, write=False)
        return f"task #{task.id} '{output.visible(task.title)}'"

    confirm_or_exit(describe, yes)

    async def work(session: "AsyncSession") -> None:
        await _service(session).delete(task_id)

    run(ctx, work)
    output.message(f"Deleted task #{task_id}.")


app.command("import")(task_import.import_tasks)
app.command("export")(task_export.export_tasks)
