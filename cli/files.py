"""Files a command writes (`--output`, `--rejects`): refuse the ones it must not replace."""

import os
from pathlib import Path

import typer

from cli import output
from cli.errors import ExitCode
from cli.runtime import state

# A SQLite database is its file and, while in use, these companions.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name the same file (the second need not exist)."""
    try:
        return first.resolve() == second.resolve() or (
            second.exists() and os.path.samefile(first, second)
        )
    except OSError:
        return False


def check_target(ctx: typer.Context, path: Path, option: str, source: str | None = None) -> None:
    """Exit 2 unless `path` may be (over)written: not a directory, the database or `source`."""
    if path.is_dir():
        raise output.fail(
            f"{option} {path} is a directory.", "Give a file name.", ExitCode.INVALID_INPUT
        )
    if source is not None and source != "-" and same_file(Path(source), path):
        raise output.fail(
            f"{option} {path} is the file being imported; it would be overwritten.",
            "Choose another file.",
            ExitCode.INVALID_INPUT,
        )
    database = _database_file(ctx)
    if database is not None and any(
        same_file(Path(f"{database}{suffix}"), path) for suffix in _SQLITE_COMPANIONS
    ):
        raise output.fail(
            f"{option} {path} is the database; writing there would destroy every task.",
            "Choose another file.",
            ExitCode.INVALID_INPUT,
        )


def _database_file(ctx: typer.Context) -> Path | None:
    """The SQLite file the command uses, if it uses one."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from app.core.config import get_settings

    try:
        url = make_url(state(ctx).database_url or get_settings().database_url)
    except (ArgumentError, ValidationError):
        return None  # the command itself reports the bad setting
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database).expanduser()


def new_file_mode() -> int:
    """The mode a plain `open(path, "w")` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
