"""The --format option of `tasks import` and `tasks export`, and how a format is chosen."""

from pathlib import PurePath
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
        help="[default: from the file's extension]",
        metavar="|".join(FORMAT_NAMES),
    ),
]


def resolve_format(name: str | None, path: str | None, default: str | None) -> "FileFormat":
    """The format named by --format, else the file's extension's, else `default`.

    `default` serves stdin, stdout and names without an extension; an extension no format
    has is an error, not the default (`-o tasks.tsv` must not quietly write JSON lines).
    """
    from app.services.formats import FileFormat, detect_format

    if name is not None:
        if name not in FORMAT_NAMES:
            raise typer.BadParameter(
                f"unknown format '{name}'; use one of {', '.join(FORMAT_NAMES)}"
            )
        return FileFormat(name)
    named = path if path and path != "-" else None
    detected = detect_format(named) if named else None
    if detected is not None:
        return detected
    suffix = PurePath(named).suffix if named else ""
    if default is not None and not suffix:  # an extension we do not know is not a default
        return FileFormat(default)
    reason = f" from its extension '{suffix}'" if suffix else ""
    raise output.fail(
        f"Cannot tell the file's format{reason}.",
        f"Pass --format ({', '.join(FORMAT_NAMES)}).",
        ExitCode.INVALID_INPUT,
    )
