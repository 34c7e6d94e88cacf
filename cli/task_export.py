"""`app-cli tasks export`: matching tasks in one of five formats, to stdout or a file."""

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from app.core.enums import SortField
from cli import output
from cli.file_format import FormatOption, resolve_format
from cli.files import STDOUT, AtomicFile, check_target
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
    filter_values,
)
from cli.runtime import invalid_input, run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def export_tasks(
    ctx: typer.Context,
    fmt: FormatOption = None,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (- or none: stdout).", metavar="FILE"),
    ] = None,
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
) -> None:
    """Export matching tasks to stdout or to --output FILE."""
    from pydantic import ValidationError

    from app.schemas.task import TaskFilters
    from app.services.task import TaskService
    from app.services.task_export import TaskExporter

    if output_file == STDOUT:  # `-o -`, as for the input's `-`
        output_file = None
    if output_file is not None:
        check_target(ctx, output_file, "--output")
    export_format = resolve_format(fmt, str(output_file) if output_file else None, "jsonl")
    try:
        filters = TaskFilters.model_validate(
            filter_values(
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
            )
        )
    except ValidationError as error:
        raise invalid_input(error) from None

    # Progress on stderr when it is a terminal that the data is not going to as well.
    show_progress = sys.stderr.isatty() and (output_file is not None or not sys.stdout.isatty())
    with _output(output_file) as sink, _progress(show_progress) as progress:

        async def work(session: "AsyncSession") -> TaskExporter:
            exporter = TaskExporter(TaskService.from_session(session))
            async for chunk in exporter.chunks(filters, export_format):
                sink.write(chunk)
                progress(exporter.exported)
            return exporter

        exporter = run(ctx, work, write=False, snapshot=True)
    where = f" to {output.escape(str(output_file))}" if output_file else ""
    output.message(
        f"Exported {output.counted(exporter.exported, 'task')}{where} ({export_format})."
    )
    for name, count in sorted(exporter.left_out.items()):
        output.message(
            f"  note: {export_format} has no place for a task's {name}: "
            f"left out of {output.counted(count, 'task')}."
        )


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file renamed onto `path` only when the export succeeds."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with AtomicFile(path) as target:
        yield target.handle
        target.commit()


@contextlib.contextmanager
def _progress(show: bool) -> Iterator[Callable[[int], None]]:
    """A progress callback: tasks written and tasks/s, live on stderr when `show`."""
    if not show:
        yield lambda _tasks: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.fields[tasks]:,} tasks"),
        TextColumn("{task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
    )
    with (
        output.live_stderr() as console,
        Progress(*columns, console=console, transient=True) as bar,
    ):
        task_id = bar.add_task("export", total=None, tasks=0, rate=0.0)

        def update(tasks: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            bar.update(task_id, tasks=tasks, rate=tasks / elapsed if elapsed else 0.0)

        yield update
