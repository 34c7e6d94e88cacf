"""`app-cli tasks import` and `app-cli tasks export`: batch transfer in five formats."""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, BinaryIO

import typer

from app.core.enums import SortField
from cli import output
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
    filter_values,
)
from cli.runtime import invalid_input, run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.errors import AppError
    from app.services.formats import FileFormat
    from app.services.task_import import ImportReport, Rejection

FORMAT_NAMES = ("csv", "jsonl", "json", "taskwarrior", "todotxt")
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="csv, jsonl, json, taskwarrior or todotxt [default: from the extension].",
    ),
]


def _resolve_format(name: str | None, path: str | None, default: str | None) -> "FileFormat":
    from app.services.formats import FileFormat, detect_format

    if name is not None:
        if name not in FORMAT_NAMES:
            raise typer.BadParameter(
                f"unknown format '{name}'; use one of {', '.join(FORMAT_NAMES)}"
            )
        return FileFormat(name)
    detected = detect_format(path) if path and path != "-" else None
    if detected is not None:
        return detected
    if default is not None:
        return FileFormat(default)
    raise output.fail(
        "Cannot tell the file's format.",
        f"Pass --format ({', '.join(FORMAT_NAMES)}).",
        ExitCode.INVALID_INPUT,
    )


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve() or (
            second.exists() and os.path.samefile(first, second)
        )
    except OSError:
        return False


@contextlib.contextmanager
def _open_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise output.fail(
            f"Cannot read {path}: {exc.strerror}.", None, ExitCode.INVALID_INPUT
        ) from None
    with stream:
        yield stream


class _RejectsFile:
    """Writes each rejected record, as read, with its reason: one JSON object per line."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> "_RejectsFile":
        if self.path is not None:
            try:
                self.handle = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise output.fail(
                    f"Cannot write {self.path}: {exc.strerror}.", None, ExitCode.INVALID_INPUT
                ) from None
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.handle is not None:
            self.handle.close()

    def write(self, rejection: "Rejection") -> None:
        """Append one rejected record."""
        if self.handle is not None:
            import json  # here, not at module level: --help does not need it

            record = {"record": rejection.number, "reason": rejection.reason, "raw": rejection.raw}
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")


LINE_NUMBERED = frozenset({"csv", "jsonl", "todotxt"})


def _print_problems(report: "ImportReport", file_format: "FileFormat") -> None:
    console = output.stderr()
    unit = "line" if file_format in LINE_NUMBERED else "record"
    for problem in report.problems:
        console.print(
            f"  {unit} {problem.number}: {output.escape(problem.reason)}", highlight=False
        )
    if report.unlisted_problems:
        console.print(f"  … and {report.unlisted_problems} more", highlight=False)
    for note in report.notes:
        console.print(f"  note: {output.escape(note)}", highlight=False, style="dim")


def _summary(report: "ImportReport") -> str:
    rate = report.read / report.seconds if report.seconds > 0 else 0.0
    verb = "would import" if report.dry_run else "imported"
    parts = [f"read {report.read}", f"{verb} {report.imported}", f"rejected {report.rejected}"]
    if report.skipped:
        parts.append(f"skipped {report.skipped}")
    if report.projects_created:
        parts.append(f"new projects {report.projects_created}")
    return ", ".join(parts) + f" in {report.seconds:.2f} s ({rate:,.0f} records/s)"


def import_tasks(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="File to import, or - for standard input.")],
    fmt: FormatOption = None,
    on_error: Annotated[
        str,
        typer.Option("--on-error", help="abort: all or nothing; skip: import the valid records."),
    ] = "abort",
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write rejected records (JSON lines: record, reason, raw) here."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate everything, write nothing.")
    ] = False,
) -> None:
    """Import tasks from a file: all or nothing unless --on-error skip."""
    from app.services.formats import READERS
    from app.services.task_import import ImportRejectedError, OnError, TaskImporter

    if on_error not in ("abort", "skip"):
        raise typer.BadParameter("use abort or skip", param_hint="--on-error")
    mode = OnError(on_error)
    import_format = _resolve_format(fmt, file, None)
    if rejects is not None and file != "-" and _same_file(Path(file), rejects):
        raise output.fail(
            f"--rejects {rejects} is the file being imported; it would be overwritten.",
            "Choose another file for the rejects.",
            ExitCode.INVALID_INPUT,
        )

    def explain(error: "AppError") -> None:
        if isinstance(error, ImportRejectedError):
            _print_problems(error.report, import_format)
            output.message(_summary(error.report))

    with (
        _open_input(file) as stream,
        _RejectsFile(rejects) as rejects_file,
        _progress(stream) as progress,
    ):

        async def work(session: "AsyncSession") -> "ImportReport":
            importer = TaskImporter.from_session(session)
            return await importer.run(
                READERS[import_format](stream),
                on_error=mode,
                dry_run=dry_run,
                on_reject=rejects_file.write,
                on_progress=progress,
            )

        report = run(ctx, work, write=not dry_run, explain=explain)
    if (report.rejected and rejects is None) or report.notes:
        _print_problems(report, import_format)
    output.message(_summary(report))
    if report.rejected:
        if rejects is not None:
            output.message(f"Rejected records written to {output.escape(str(rejects))}.")
        raise typer.Exit(ExitCode.PARTIAL_IMPORT)


@contextlib.contextmanager
def _progress(stream: BinaryIO) -> Iterator[Callable[[int], None] | None]:
    """A progress callback: a Rich bar (records, records/s, bytes of total) on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    try:
        total = os.fstat(stream.fileno()).st_size or None
    except (OSError, ValueError):
        total = None
    columns = (
        TextColumn("{task.fields[records]:,} records"),
        TextColumn("{task.fields[rate]:,.0f}/s"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=output.stderr(), transient=True) as bar:
        task_id = bar.add_task("import", total=total, records=0, rate=0.0)

        def update(records: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            position = stream.tell() if stream.seekable() else None
            bar.update(
                task_id,
                completed=position,
                records=records,
                rate=records / elapsed if elapsed else 0.0,
            )

        yield update


def export_tasks(
    ctx: typer.Context,
    fmt: FormatOption = None,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
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
    """Export matching tasks (stdout, or --output FILE written atomically)."""
    from pydantic import ValidationError

    from app.schemas.task import TaskFilters
    from app.services.task import TaskService
    from app.services.task_export import TaskExporter

    export_format = _resolve_format(fmt, str(output_file) if output_file else None, "jsonl")
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

    with _output(output_file) as sink:

        async def work(session: "AsyncSession") -> int:
            exporter = TaskExporter(TaskService.from_session(session))
            async for chunk in exporter.chunks(filters, export_format):
                sink.write(chunk)
            return exporter.exported

        count = run(ctx, work, write=False)
    where = f" to {output.escape(str(output_file))}" if output_file else ""
    output.message(f"Exported {count} tasks{where} ({export_format}).")


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file renamed onto `path` only when the export succeeds."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    import tempfile  # here, not at module level: --help does not need it

    directory = path.resolve().parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise output.fail(
            f"Cannot write {path}: {exc.strerror}.", None, ExitCode.INVALID_INPUT
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp_name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
