"""The one place domain errors become HTTP: RFC 9457 problem details for every error."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.status import HTTP_422_UNPROCESSABLE_CONTENT

from app.core.database import translate_db_error
from app.core.errors import (
    AppError,
    BadRequestError,
    ConflictError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)
from app.core.logging import request_id_var
from app.schemas.problem import Problem

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS_BY_ERROR: dict[type[AppError], int] = {
    BadRequestError: 400,
    NotFoundError: 404,
    ConflictError: 409,
    PreconditionFailedError: 412,
    InvalidInputError: 422,
    DatabaseBusyError: 503,
    DatabaseUnavailableError: 503,
}
RETRY_AFTER_SECONDS: dict[type[AppError], int] = {DatabaseBusyError: 1, DatabaseUnavailableError: 5}

_HTTP_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    422: "Invalid input",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemResponse(JSONResponse):
    """A JSON response with the problem+json media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """Build a problem details response carrying the current request id."""
    body = Problem(
        type=type_,
        title=title or _HTTP_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        request_id=request_id_var.get(),
        errors=errors,
    )
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _status_for(error: AppError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def app_error_response(error: AppError) -> ProblemResponse:
    """The problem response for a domain error, per `STATUS_BY_ERROR`."""
    status = _status_for(error)
    retry = next((s for c, s in RETRY_AFTER_SECONDS.items() if isinstance(error, c)), None)
    errors = None
    if isinstance(error, InvalidInputError) and error.problems:
        errors = [{"loc": list(p.loc), "msg": p.msg} for p in error.problems]
    return problem(
        status,
        error.message,
        title=error.title,
        type_=f"/problems/{error.code}",
        errors=errors,
        headers={"Retry-After": str(retry)} if retry is not None else None,
    )


async def _handle_app_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return app_error_response(exc)


async def _handle_validation_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]], "msg": e["msg"]}
        for e in exc.errors()
    ]
    return problem(
        HTTP_422_UNPROCESSABLE_CONTENT,
        "The request is invalid; see `errors` for each field.",
        type_="/problems/validation",
        errors=errors,
    )


async def _handle_http_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _handle_db_error(request: Request, exc: Exception) -> ProblemResponse:
    translated = translate_db_error(exc)
    if translated is None:
        return internal_error_response(request, exc)
    return app_error_response(translated)


def internal_error_response(request: Request, exc: BaseException) -> ProblemResponse:
    """Log the traceback; tell the client nothing about the internals."""
    logger.error(
        "request.failed",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    return problem(500, "An unexpected error occurred; it has been logged with the request id.")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on the app."""
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.add_exception_handler(SQLAlchemyError, _handle_db_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem+json bodies for these statuses."""
    return {
        status: {
            "description": _HTTP_TITLES.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
