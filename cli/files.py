"""Files a command writes (`--output`, `--rejects`): refuse the ones it must not replace."""

import contextlib
import os
import stat
from pathlib import Path
from types import TracebackType
from typing import IO, Self

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


STDOUT = Path("-")
"""An --output or --rejects of `-`: standard output, as `-` is standard input for import."""


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
    from sqlalchemy.exc import ArgumentError

    from app.core.config import get_settings
    from app.core.database import sqlite_file

    try:
        return sqlite_file(state(ctx).database_url or get_settings().database_url)
    except (ArgumentError, ValidationError):
        return None  # the command itself reports the bad setting


def _new_file_mode() -> int:
    """The mode a plain `open(path, "w")` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the file at `path`, if there is one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


class AtomicFile:
    """A text file written under a temporary name and put in place only by `commit()`.

    Left without a commit (an error, Ctrl-C), the temporary file is removed and whatever
    was at `path` before is untouched. A device or pipe is written directly instead.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._target = path
        self._temp_name = ""  # none when writing straight to a device or pipe
        self._handle: IO[str] | None = None

    @property
    def handle(self) -> IO[str]:
        """The file being written (the temporary one, unless writing to a pipe)."""
        assert self._handle is not None, "use AtomicFile in a with block"
        return self._handle

    def __enter__(self) -> Self:
        import tempfile  # here, not at module level: --help does not need it

        # A symlink's target is what gets replaced; a device or pipe (`/dev/stderr`,
        # `>(gzip > f)`) cannot be replaced at all and is written as it goes.
        try:
            if self.path.exists() and not self.path.is_file():  # stat follows the links
                self._handle = self.path.open("w", encoding="utf-8", newline="")
                return self
            target = self.path.resolve()
            fd, self._temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            # mkstemp's 0600 would survive the rename; a file replaced keeps its own mode
            # (a private 0600 export stays private), a new one gets the umask's.
            mode = _existing_mode(target)
            os.fchmod(fd, _new_file_mode() if mode is None else mode)
        except OSError as exc:
            raise self._cannot_write(exc) from None
        self._target = target
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self

    def commit(self) -> None:
        """Put the file in place (once)."""
        if self._handle is None or self._handle.closed:
            return
        self._handle.close()
        if not self._temp_name:
            return
        try:
            os.replace(self._temp_name, self._target)
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._temp_name:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temp_name)

    def _cannot_write(self, exc: OSError) -> typer.Exit:
        return output.fail(
            f"Cannot write {self.path}: {exc.strerror}.", None, ExitCode.INVALID_INPUT
        )
