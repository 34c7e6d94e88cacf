"""Run one use case per command: its own event loop, database and transaction.

Typer has no native async, so each command is a plain function that calls `run()`
with a coroutine factory; errors come back as messages on stderr and exit codes.
"""

import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from cli.errors import ExitCode, exit_code_for, hint_for
from cli.output import fail

if TYPE_CHECKING:
    from pydantic import ValidationError
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.errors import AppError

T = TypeVar("T")

ONE_SHOT_GC_THRESHOLD = (50_000, 20, 20)
"""Thresholds for a one-command process (see `cli.main.run`)."""


@dataclass(slots=True)
class _Saved:
    """Whether the command's transaction has committed (so an interruption lost nothing)."""

    committed: bool = False


@dataclass(frozen=True, slots=True)
class CliState:
    """Options of the root command that every sub-command needs."""

    database_url: str | None


def state(ctx: typer.Context) -> CliState:
    """The root command's options."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState(database_url=None)


def run(
    ctx: typer.Context,
    work: "Callable[[AsyncSession], Awaitable[T]]",
    *,
    write: bool = True,
    snapshot: bool = False,
    explain: "Callable[[AppError], None] | None" = None,
) -> T:
    """Run `work` in one transaction; map domain and validation errors to exit codes.

    `snapshot`: a read whose queries all see one moment (`Database.session`).
    `explain` may print details of a domain error (e.g. every rejected record) first.
    """
    import asyncio  # here, not at module level: --help stays light

    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.db_errors import describe_failure
    from app.core.errors import AppError

    saved = _Saved()
    try:
        return asyncio.run(_in_session(ctx, work, write=write, snapshot=snapshot, saved=saved))
    except AppError as error:
        if explain is not None:
            explain(error)
        raise fail(error.message, hint_for(error), exit_code_for(error)) from None
    except ValidationError as error:
        raise invalid_input(error) from None
    except KeyboardInterrupt:
        _silence_orphaned_driver_threads()
        if saved.committed:  # Ctrl-C while closing the database, after the commit
            raise fail(
                "Interrupted, but the changes were already saved.", None, ExitCode.INTERRUPTED
            ) from None
        raise fail("Interrupted; nothing was changed.", None, ExitCode.INTERRUPTED) from None
    except BrokenPipeError:
        # The reader went away (`… | head`): stop without a traceback; quietly for a read,
        # but a write (`import --rejects - | head`) was rolled back and must say so.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if write and not saved.committed:
            raise fail(
                "The output was closed before the end; nothing was changed.",
                None,
                ExitCode.DOMAIN_ERROR,
            ) from None
        raise typer.Exit(ExitCode.DOMAIN_ERROR) from None
    except SQLAlchemyError as error:  # what no domain error covers: say it in one line
        raise fail(describe_failure(error), None, ExitCode.DOMAIN_ERROR) from None
    except OSError as error:  # e.g. a full disk under --output or --rejects
        raise fail(
            f"Cannot write: {error.strerror or error}.", None, ExitCode.DOMAIN_ERROR
        ) from None


def _silence_orphaned_driver_threads() -> None:
    """After Ctrl-C, let a database driver thread end without a traceback on screen.

    Ctrl-C cancels the command while aiosqlite's thread may be mid-statement; its
    connection is told to stop without being waited for, and the event loop closes. When
    the statement ends, the thread has no loop to hand the result to, and would print
    "RuntimeError: Event loop is closed" with a traceback. Nothing is lost: the
    transaction was never committed. Any other thread error is still reported.
    """
    import threading

    report = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not (args.exc_type is RuntimeError and str(args.exc_value) == "Event loop is closed"):
            report(args)

    threading.excepthook = hook


async def _in_session(
    ctx: typer.Context,
    work: "Callable[[AsyncSession], Awaitable[T]]",
    *,
    write: bool,
    snapshot: bool,
    saved: "_Saved",
) -> T:
    from app.core.config import get_settings
    from app.core.database import Database
    from app.core.logging import configure_logging

    configure_logging(logging.WARNING, stream=sys.stderr)
    settings = get_settings()
    with _database_url(state(ctx).database_url or settings.database_url, write=write) as url:
        # No reads on the event loop's thread: one command has no loop to keep free, and
        # its SIGTERM handler raises KeyboardInterrupt, which sqlite3 discards when it is
        # raised in SQLite's callbacks into Python (the query would fail as a database error).
        database = Database(
            url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=2,
            inline_reads=False,
        )
        try:
            await database.create_all()
            async with database.session(write=write, snapshot=snapshot) as session:
                result = await work(session)
            saved.committed = write  # leaving the block without an error committed
            return result
        finally:
            await database.dispose()


@contextmanager
def _database_url(url: str, *, write: bool) -> Iterator[str]:
    """`url`, except for a command that writes nothing to a SQLite file not created yet.

    Such a command (a read, an import's `--dry-run`) gets a scratch empty database
    instead, removed when it ends: it answers as the new file would, and leaves no
    `tasks.db` behind in a directory it was run from by mistake.
    """
    missing = None if write else _sqlite_file_not_created_yet(url)
    if missing is None:
        yield url
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="app-cli-") as scratch:
        yield missing.set(database=str(Path(scratch, "empty.db"))).render_as_string(False)


def _sqlite_file_not_created_yet(url: str) -> "URL | None":
    """The URL, parsed, if it names by path a SQLite file that does not exist yet.

    Only in a directory that exists: a bad URL, a missing directory or a `file:` URI is
    left to `Database` to report.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from app.core.database import plain_sqlite_path

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    path = plain_sqlite_path(parsed)
    if path is None:
        return None
    return parsed if path.parent.is_dir() and not path.exists() else None


def invalid_input(error: "ValidationError") -> typer.Exit:
    """Report every invalid field of a schema validation, exit 2."""
    from app.schemas.types import error_message

    lines = [
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {error_message(e)}"
        for e in error.errors()
    ]
    return fail("Invalid input:\n  " + "\n  ".join(lines), None, ExitCode.INVALID_INPUT)
