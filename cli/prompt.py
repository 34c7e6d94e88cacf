"""Confirmation prompts that never hang a script."""

import sys
from collections.abc import Callable

import typer

from cli import output
from cli.errors import ExitCode


def confirm_or_exit(describe: Callable[[], str], assume_yes: bool) -> None:
    """Ask on a terminal whether to delete what `describe()` names; exit 1 unless confirmed.

    A "no" or the end of input is exit 1; Ctrl-C or a kill at the prompt is 130, as
    anywhere else.

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
    except typer.Abort as abort:  # Ctrl-D, Ctrl-C or kill at the prompt
        output.message("")  # end the prompt's line, then say what happened
        if isinstance(abort.__context__, KeyboardInterrupt):  # Click re-raised it as Abort
            raise output.fail(
                "Interrupted; nothing was deleted.", None, ExitCode.INTERRUPTED
            ) from None
        confirmed = False
    if not confirmed:
        output.message("Cancelled; nothing was deleted.")
        raise typer.Exit(ExitCode.DOMAIN_ERROR)
