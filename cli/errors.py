"""The one place domain errors become exit codes."""

from enum import IntEnum

from app.core.errors import (
    AppError,
    BadRequestError,
    ConflictError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    DatabaseUrlError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)


class ExitCode(IntEnum):
    """How `app-cli` ends (PRODUCT.md): scripts branch on these."""

    OK = 0
    DOMAIN_ERROR = 1
    INVALID_INPUT = 2
    PARTIAL_IMPORT = 3
    INTERRUPTED = 130  # Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it


EXIT_BY_ERROR: dict[type[AppError], ExitCode] = {
    NotFoundError: ExitCode.DOMAIN_ERROR,
    ConflictError: ExitCode.DOMAIN_ERROR,
    PreconditionFailedError: ExitCode.DOMAIN_ERROR,
    DatabaseBusyError: ExitCode.DOMAIN_ERROR,
    DatabaseUnavailableError: ExitCode.DOMAIN_ERROR,
    InvalidInputError: ExitCode.INVALID_INPUT,
    BadRequestError: ExitCode.INVALID_INPUT,
}

HINTS: dict[type[AppError], str] = {
    DatabaseBusyError: "Another process holds the write lock; run the command again shortly.",
    DatabaseUnavailableError: "Check --database-url / DATABASE_URL and that the database is up.",
    DatabaseUrlError: "Check --database-url / DATABASE_URL.",
}


def exit_code_for(error: AppError) -> ExitCode:
    """The exit code of a domain error, by the nearest class in `EXIT_BY_ERROR`."""
    for cls in type(error).__mro__:
        if cls in EXIT_BY_ERROR:
            return EXIT_BY_ERROR[cls]
    return ExitCode.DOMAIN_ERROR


HINTS_BY_CODE: dict[str, str] = {
    # By code, so `--help` need not import the importer's module.
    "import-rejected": "Fix them, or pass --on-error skip to import the valid ones.",
}


def hint_for(error: AppError) -> str | None:
    """What the user can do about the error, when the message alone does not say."""
    if error.code in HINTS_BY_CODE:
        return HINTS_BY_CODE[error.code]
    return next((hint for cls, hint in HINTS.items() if isinstance(error, cls)), None)
