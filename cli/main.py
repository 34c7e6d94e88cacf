"""The root `app-cli` command: global options and one sub-app per feature."""

import gc
import os
import signal
import sys
from collections.abc import Sequence
from itertools import islice
from types import FrameType
from typing import Annotated, Any, Protocol

import typer
import typer.main

from cli import output, project, serve, stats, task
from cli.errors import ExitCode
from cli.runtime import ONE_SHOT_GC_THRESHOLD, CliState

DATABASE_URL_OPTION = "--database-url"

app = typer.Typer(
    name="app-cli",
    no_args_is_help=True,
    help="Task Tracker: manage tasks and projects, import/export, or serve the HTTP API.",
    pretty_exceptions_enable=False,
    # Plain click help: Rich's boxed help imports Markdown and Pygments support, which
    # made `app-cli --help` take 2.5x a bare `import typer, rich` (now about 1.7x).
    rich_markup_mode=None,
)
app.add_typer(task.app, name="tasks")
app.add_typer(project.app, name="projects")
app.command("stats")(stats.show_stats)
app.command("serve")(serve.serve)


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            DATABASE_URL_OPTION,
            envvar="DATABASE_URL",
            help="Database URL [default: sqlite+aiosqlite:///./tasks.db].",
            metavar="URL",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    """Task Tracker's command line."""
    ctx.obj = CliState(database_url=database_url)


def run() -> None:
    """Run the command in `sys.argv` (`cli.entry.main`, the console script, calls this)."""
    # One command per process: start-up allocates long-lived objects (modules, classes)
    # and an import millions of short-lived acyclic ones, so the default cyclic-GC pass
    # every 700 allocations is mostly wasted work (about 15% of a 200k-row import).
    # Cycles are still collected, every 50,000 allocations. `serve` restores the default.
    gc.set_threshold(*ONE_SHOT_GC_THRESHOLD)
    # `kill` (SIGTERM) ends a command as Ctrl-C does: the transaction rolls back and a
    # half-written --output or --rejects file is removed. `serve` sets its own handler.
    signal.signal(signal.SIGTERM, _interrupt)
    _check_standard_streams()
    try:
        root = typer.main.get_command(app)
        args = global_options_first(sys.argv[1:], root)
    except ValueError as error:
        sys.exit(output.fail(str(error), "See app-cli --help.", ExitCode.INVALID_INPUT).exit_code)
    try:
        try:
            root(args=args, prog_name=app.info.name)
        finally:
            sys.stdout.flush()  # a full disk under `> file` shows here, not at interpreter exit
            _ignore_interrupts()
    except OSError as error:  # the result could not be written: say so, without a traceback
        _discard_stdout()
        if not isinstance(error, BrokenPipeError):  # `| head` stopped reading: stay quiet
            sys.stderr.write(
                f"Error: Cannot write the output: {error.strerror or error}. "
                "The command itself completed.\n"
            )
        sys.exit(ExitCode.DOMAIN_ERROR)
    except UnicodeEncodeError as error:  # e.g. PYTHONIOENCODING=ascii and a title "Café"
        _discard_stdout()
        unwritable = ascii(error.object[error.start : error.end])
        sys.stderr.write(
            f"Error: Cannot write the output in {error.encoding}: it has no {unwritable}. "
            "Set PYTHONIOENCODING=utf-8, or write to a file with --output where there is one.\n"
        )
        sys.exit(ExitCode.DOMAIN_ERROR)


class Command(Protocol):
    """What is read here of a Click command (Typer 0.29 and later ship their own Click)."""

    @property
    def params(self) -> Sequence[Any]:
        """The command's options and arguments."""


def global_options_first(args: list[str], root: Command) -> list[str]:
    """`args` with `--database-url URL` moved before the command, wherever it was given.

    `app-cli tasks list --database-url URL` is as natural to type as the documented
    `app-cli --database-url URL tasks list`, and Click only knows the latter. The words
    are read as Click will read them: the value of an option is never moved, even when
    it looks like the global option (`--description --database-url`), and nothing after
    a `--` is. ValueError if the option has no value.
    """
    moved: list[str] = []
    kept: list[str] = []
    command = root
    takes_value = _options_with_a_value(command)
    words = iter(args)
    for word in words:
        if word == "--":
            kept += [word, *words]
        elif word == DATABASE_URL_OPTION and command is not root:
            value = next(words, None)
            if value is None:
                raise ValueError(f"Option {DATABASE_URL_OPTION} requires a database URL.")
            moved += [word, value]
        elif word.startswith(f"{DATABASE_URL_OPTION}=") and command is not root:
            moved.append(word)
        elif word in takes_value:
            kept += [word, *islice(words, 1)]
        else:
            kept.append(word)
            subcommand = getattr(command, "commands", {}).get(word)
            if subcommand is not None:
                command, takes_value = subcommand, _options_with_a_value(subcommand)
    return moved + kept


def _options_with_a_value(command: Command) -> set[str]:
    """The option names of `command` that take the next word as their value."""
    return {
        name
        for param in command.params
        if param.param_type_name == "option"
        and not getattr(param, "is_flag", False)
        and not getattr(param, "count", False)
        for name in param.opts
    }


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered cannot be written anyway."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _ignore_interrupts() -> None:
    """The command has ended: a Ctrl-C or kill now must not turn its exit into a traceback.

    The interpreter still takes a tenth of a second to shut down; a KeyboardInterrupt
    raised in that time escapes as "Exception ignored in atexit callback" or ends the
    process by the signal, hiding a result that was already saved.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _check_standard_streams() -> None:
    """Run with a closed stdin as with an empty one; refuse to run with a closed stdout.

    Python sets a closed standard stream to None (`app-cli tasks list >&-`), where the
    first read or write would be an AttributeError traceback.
    """
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the process's stdin, for its lifetime
    if sys.stdout is None:
        if sys.stderr is not None:
            sys.stderr.write("Error: Standard output is closed; redirect it to a file instead.\n")
        sys.exit(ExitCode.INVALID_INPUT)
