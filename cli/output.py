"""Terminal output: data to stdout, messages to stderr, colour only on a terminal.

Rich already honours `NO_COLOR` and leaves colour out when the stream is not a terminal.
Rich's modules are imported when something is first printed: `--help` needs none of them.
"""

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING

import typer

from app.core.enums import CLOSED_STATUSES, Priority, TaskStatus

if TYPE_CHECKING:  # Pydantic and Rich load where they are used, keeping --help fast
    from pydantic import BaseModel
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from app.schemas.task import TaskRead

# C0 controls but tab and newline, DEL, and C1 controls: stored text may hold any of them
# (an imported file, say), and printed raw they would move the cursor, recolour or clear
# the terminal. They are shown as `\xNN` instead.
_SHOWN_AS_ESCAPES = {
    code: f"\\x{code:02x}"
    for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
    if code not in (0x09, 0x0A)
}


def visible(text: str) -> str:
    r"""`text` safe for a terminal: control characters shown as `\xNN` escapes."""
    return text.translate(_SHOWN_AS_ESCAPES)


def escape(text: str) -> str:
    """User text for a Rich markup string: control characters shown, brackets escaped."""
    from rich.markup import escape as escape_markup

    return escape_markup(visible(text))


STATUS_STYLES = {
    TaskStatus.TODO: "cyan",
    TaskStatus.IN_PROGRESS: "yellow",
    TaskStatus.DONE: "green",
    TaskStatus.CANCELLED: "dim",
}
PRIORITY_STYLES = {
    Priority.LOW: "dim",
    Priority.MEDIUM: "",
    Priority.HIGH: "yellow",
    Priority.URGENT: "bold red",
}


# Piped or redirected, where Rich would cut tables at 80 columns, a table is as wide as
# its content, so `| grep` and `| cut` see every character; COLUMNS, when set, decides.
_UNBOUNDED_WIDTH = 100_000


def stdout() -> "Console":
    """The console for results (user text is shown as typed: no `:emoji:` codes)."""
    from rich.console import Console

    bounded = sys.stdout.isatty() or bool(os.environ.get("COLUMNS"))
    return Console(soft_wrap=False, emoji=False, width=None if bounded else _UNBOUNDED_WIDTH)


# The console of the live progress display on screen, if any (see `live_stderr`).
_LIVE_STDERR: ContextVar["Console | None"] = ContextVar("live_stderr", default=None)


def stderr() -> "Console":
    """The console for messages and progress.

    While a progress display is live, its own console: Rich then prints a message (an
    error, "Interrupted") on a line above the display instead of at the end of its line.
    """
    return _LIVE_STDERR.get() or _new_stderr()


def _new_stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, emoji=False)


@contextmanager
def live_stderr() -> "Iterator[Console]":
    """A stderr console for a live display; `stderr()` returns it until the block ends."""
    console = _new_stderr()
    token = _LIVE_STDERR.set(console)
    try:
        yield console
    finally:
        _LIVE_STDERR.reset(token)


def print_json(model: "BaseModel") -> None:
    """Print one JSON document (the API's shape) and nothing else on stdout."""
    sys.stdout.write(model.model_dump_json())
    sys.stdout.write("\n")


def counted(count: int, noun: str) -> str:
    """`1 task`, `3 tasks`: a count with its noun, plural but for one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def message(text: str) -> None:
    """A message for the person at the terminal (stderr)."""
    stderr().print(text, highlight=False)


def fail(text: str, hint: str | None, code: int) -> typer.Exit:
    """Print an error and its hint on stderr; return the Exit to raise."""
    console = stderr()
    console.print(f"[bold red]Error:[/] {escape(text)}", highlight=False)
    if hint:
        console.print(escape(hint), style="dim", highlight=False)
    return typer.Exit(code)


def styled_status(status: TaskStatus) -> str:
    """Status with its colour."""
    return f"[{STATUS_STYLES[status]}]{status}[/]"


def styled_priority(priority: Priority) -> str:
    """Priority with its colour."""
    style = PRIORITY_STYLES[priority]
    return f"[{style}]{priority}[/]" if style else str(priority)


def styled_due(due: date | None, status: TaskStatus, today: date) -> str:
    """Due date, highlighted when overdue."""
    if due is None:
        return ""
    if due < today and status not in CLOSED_STATUSES:
        return f"[bold red]{due.isoformat()} (overdue)[/]"
    return due.isoformat()


def new_table() -> "Table":
    """An empty table with bold column headings."""
    from rich.table import Table

    return Table(header_style="bold")


def task_table(tasks: Iterable["TaskRead"], today: date) -> "Table":
    """A table of tasks (objects shaped like `TaskRead`)."""
    table = new_table()
    table.add_column("ID", justify="right", no_wrap=True)
    # A narrow terminal wraps the free text, and a word longer than its column (a URL,
    # a tag, CJK without spaces) is folded onto the next line, never cut off with "…".
    table.add_column("Title", overflow="fold")
    for column in ("Status", "Priority", "Due"):
        table.add_column(column)
    for column in ("Project", "Tags"):
        table.add_column(column, overflow="fold")
    for task in tasks:
        table.add_row(
            str(task.id),
            escape(task.title),
            styled_status(task.status),
            styled_priority(task.priority),
            styled_due(task.due_date, task.status, today),
            escape(task.project or ""),
            escape(", ".join(task.tags)),
        )
    return table


def panel(title: str, rows: Iterable[tuple[str, str]]) -> "Panel":
    """A two-column panel of labelled values; `title` is shown as is."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    # Text: no markup, no :emoji:
    return Panel(grid, title=Text(visible(title)), expand=False)
