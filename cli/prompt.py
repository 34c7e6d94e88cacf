"""Confirmation prompts that never hang a script."""

import sys

import typer

from cli import output
from cli.errors import ExitCode


def confirm_or_exit(question: str, assume_yes: bool) -> None:
    """Ask `question` on a terminal; without one, require --yes (exit 2) instead of waiting."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise output.fail(
            "Refusing to delete without confirmation.",
            "Pass --yes to confirm when not running in a terminal.",
            ExitCode.INVALID_INPUT,
        )
    if not typer.confirm(question, default=False, err=True):
        raise output.fail("Cancelled; nothing was deleted.", None, ExitCode.DOMAIN_ERROR)
