"""`app-cli tasks import`: a file in one of five formats, all or nothing by default."""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from cli import output
from cli.errors import ExitCode
from cli.file_format import FormatOption, resolve_format
from cli.files import STDOUT, AtomicFile, check_target
from cli.runtime import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.errors import AppError
    from app.services.formats import FileFormat
    from app.services.task_import import ImportReport, Rejection


@contextlib.contextmanager
def _open_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        if sys.stdin.isatty():  # else it would seem to hang behind an empty progress bar
            output.message("Reading records from the terminal; end with Ctrl-D.")
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


_SNIFF_BYTES = 4096


def _sniff_stdin() -> "FileFormat | None":
    """The format piped input starts like (JSON lines, a JSON array), left unread.

    Not at a terminal: the person typing the records says what they are.
    """
    from app.services.formats import sniff_format

    if sys.stdin is None:  # started with standard input closed
        return None
    stream = sys.stdin.buffer
    if stream.isatty():
        return None
    peek = getattr(stream, "peek", None)
    if peek is not None:  # a pipe or a file: the bytes stay in the buffer
        return sniff_format(peek(_SNIFF_BYTES)[:_SNIFF_BYTES])
    if stream.seekable():
        head = stream.read(_SNIFF_BYTES)
        stream.seek(-len(head), os.SEEK_CUR)
        return sniff_format(head)
    return None


class _RejectsFile:
    """Writes each rejected record, as read, with its reason: one JSON object per line.

    The file is put in place by `keep()` once the whole input was read; an import that
    stops early (an unusable file, Ctrl-C) leaves no partial list and any old file as it was.
    With `--rejects -` the records go to stdout as they are found.
    """

    def __init__(self, path: Path | None) -> None:
        self.to_stdout = path == STDOUT
        self.file = AtomicFile(path) if path is not None and not self.to_stdout else None

    def __enter__(self) -> "_RejectsFile":
        if self.file is not None:
            self.file.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.file is not None:
            self.file.__exit__(*exc)

    def write(self, rejection: "Rejection") -> None:
        """Append one rejected record."""
        sink = self.file.handle if self.file is not None else sys.stdout if self.to_stdout else None
        if sink is not None:
            import json  # here, not at module level: --help does not need it

            record = {"record": rejection.number, "reason": rejection.reason, "raw": rejection.raw}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")

    def keep(self) -> None:
        """The input was read to its end: put the list in place."""
        if self.file is not None:
            self.file.commit()


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
    if report.unmapped:
        left_out = ", ".join(
            f"{name} ({output.counted(count, 'record')})"
            for name, count in sorted(report.unmapped.items())
        )
        console.print(
            f"  note: no task field holds these, so they are left out: {output.escape(left_out)}",
            highlight=False,
            style="dim",
        )


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
    file: Annotated[
        str,
        typer.Argument(
            help="File to import, or - for standard input (read as JSON if it starts with"
            " { or [; else give --format).",
            metavar="FILE",
        ),
    ],
    fmt: FormatOption = None,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="abort: all or nothing; skip: import the valid records.",
            metavar="abort|skip",
        ),
    ] = "abort",
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Write rejected records (JSON lines: record, reason, raw) here; - for stdout.",
            metavar="FILE",
        ),
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
    import_format = resolve_format(fmt, file, _sniff_stdin() if file == "-" and not fmt else None)
    if rejects is not None and rejects != STDOUT:
        check_target(ctx, rejects, "--rejects", source=file)

    def explain(error: "AppError") -> None:
        if isinstance(error, ImportRejectedError):
            rejects_file.keep()  # every record was read: the list is complete
            _print_problems(error.report, import_format)
            output.message(_summary(error.report))

    with (
        _open_input(file) as stream,
        _RejectsFile(rejects) as rejects_file,
        _progress(stream) as progress,
    ):

        async def work(session: "AsyncSession") -> "ImportReport":
            importer = TaskImporter.from_session(session)
            report = await importer.run(
                READERS[import_format](stream),
                on_error=mode,
                dry_run=dry_run,
                on_reject=rejects_file.write,
                on_progress=progress,
            )
            rejects_file.keep()  # before the commit: if this fails, nothing is imported
            return report

        report = run(ctx, work, write=not dry_run, explain=explain)
    if (report.rejected and rejects is None) or report.notes or report.unmapped:
        _print_problems(report, import_format)
    output.message(_summary(report))
    if report.rejected:
        if rejects is not None and rejects != STDOUT:
            output.message(f"Rejected records written to {output.escape(str(rejects))}.")
        raise typer.Exit(ExitCode.PARTIAL_IMPORT)


@contextlib.contextmanager
def _progress(stream: BinaryIO) -> Iterator[Callable[[int], None] | None]:
    """A progress callback: a Rich bar (records, records/s, bytes of total) on a terminal.

    None when stderr is not a terminal, or when the records are typed at that terminal
    (the bar would be drawn over what the person types).
    """
    if not sys.stderr.isatty() or stream.isatty():
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
    with (
        output.live_stderr() as console,
        Progress(*columns, console=console, transient=True) as bar,
    ):
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
