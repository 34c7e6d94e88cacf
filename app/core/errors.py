"""Domain errors: what went wrong, in words, with no HTTP status or exit code.

Each front door maps these classes once: `app/api/errors.py` to HTTP statuses and
`cli/errors.py` to exit codes.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid input field: where it is and what is wrong with it."""

    loc: tuple[str | int, ...]
    msg: str


class AppError(Exception):
    """Base of every expected error; `code` is stable, `message` is for humans."""

    code = "error"
    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(AppError):
    """The thing asked for does not exist."""

    code = "not-found"
    title = "Not found"


class ConflictError(AppError):
    """The request contradicts the current state (bad transition, duplicate, in use)."""

    code = "conflict"
    title = "Conflict"


class PreconditionFailedError(AppError):
    """The caller's idea of the resource's version is stale."""

    code = "precondition-failed"
    title = "Precondition failed"


class InvalidInputError(AppError):
    """Input that passed the schema but breaks a rule that needs the database."""

    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class DatabaseUrlError(InvalidInputError):
    """The configured database URL cannot be used at all (malformed, unknown driver)."""

    code = "invalid-database-url"
    title = "Invalid database URL"


class BadRequestError(AppError):
    """A malformed request parameter, such as a forged or stale cursor."""

    code = "bad-request"
    title = "Bad request"


class DatabaseBusyError(AppError):
    """The database could not take the write lock in time; retrying later will work."""

    code = "database-busy"
    title = "Database busy"


class DatabaseUnavailableError(AppError):
    """The database cannot be reached at all."""

    code = "database-unavailable"
    title = "Database unavailable"
