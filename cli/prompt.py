"""Confirmation prompts that never hang a script."""

import sys
from collections.abc import Callable

import typer

from cli import output
from cli.errors import ExitCode


def confirm_or_exit(describe: Callable[[], str], assume_yes: bool) -> None:
    """Ask on a terminal whether to delete what `describe()` names; exit 1 unless confirmed.

    Without a terminal, require --yes (exit 2) instead of waiting. `describe` runs only
    when the question is asked, after that check: it may read the database, so a missing
    task or project fails before anything is asked.
    """
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise output.fail(
            "Refusing to delete without confirmation.",
            "Pass --yes to confirm when not running in a terminal.",
            ExitCode.INVALID_INPUT,
        )
    question = f"Delete {describe()}?"
    try:
        confirmed = typer.confirm(question, default=False, err=True)
    except typer.Abort:  # Ctrl-D or Ctrl-C at the prompt: end its line, then say what happened
        output.message("")
        confirmed = False
    if not confirmed:
        output.message("Cancelled; nothing was deleted.")
        raise typer.Exit(ExitCode.DOMAIN_ERROR)
