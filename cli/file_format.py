"""The --format option of `tasks import` and `tasks export`, and how a format is chosen."""

from typing import TYPE_CHECKING, Annotated

import typer

from cli import output
from cli.errors import ExitCode

if TYPE_CHECKING:
    from app.services.formats import FileFormat

FORMAT_NAMES = ("csv", "jsonl", "json", "taskwarrior", "todotxt")
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="csv, jsonl, json, taskwarrior or todotxt [default: from the extension].",
    ),
]


def resolve_format(name: str | None, path: str | None, default: str | None) -> "FileFormat":
    """The format named by --format, else the one the file's extension implies, else `default`."""
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
