"""The one place domain errors become HTTP: RFC 9457 problem details for every error."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.status import HTTP_422_UNPROCESSABLE_CONTENT

from app.core.db_errors import translate_db_error
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
from app.schemas.types import error_message

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
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Invalid input",
    500: "Internal server error",
    503: "Service unavailable",
}
# What each status means in this API, for the OpenAPI document.
_RESPONSE_DESCRIPTIONS = {
    400: "Bad request: a `cursor` this query did not issue.",
    404: "Not found: no resource has this id.",
    409: "Conflict with the current state (transition, duplicate name, project in use).",
    412: "Precondition failed: `If-Match` is not the current version.",
    413: "Content too large: the body is over the size limit.",
    422: "Invalid input; `errors` lists each field.",
    500: "Unexpected error; the body says nothing about internals, the log has the details.",
    503: "The database is busy or unreachable; retry after `Retry-After` seconds.",
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


# A hostile body can hold a hundred thousand bad fields; listing them all would answer a 4 MB
# request with a 20 MB problem. The first ones are enough to fix the request.
MAX_LISTED_ERRORS = 100


def app_error_response(error: AppError) -> ProblemResponse:
    """The problem response for a domain error, per `STATUS_BY_ERROR`."""
    status = _status_for(error)
    retry = next((s for c, s in RETRY_AFTER_SECONDS.items() if isinstance(error, c)), None)
    errors = None
    detail = error.message
    if isinstance(error, InvalidInputError) and error.problems:
        errors = [{"loc": list(p.loc), "msg": p.msg} for p in error.problems[:MAX_LISTED_ERRORS]]
        if len(error.problems) > MAX_LISTED_ERRORS:
            detail += f" `errors` lists the first {MAX_LISTED_ERRORS}."
    return problem(
        status,
        detail,
        title=error.title,
        type_=f"/problems/{error.code}",
        errors=errors,
        headers={"Retry-After": str(retry)} if retry is not None else None,
    )


async def _handle_app_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return app_error_response(exc)


_NOT_JSON = "send the body as JSON, with the header Content-Type: application/json"


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _handle_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    found = exc.errors()
    # FastAPI reads a body as JSON only when its Content-Type says so; otherwise the
    # whole body fails as "not a dictionary", which does not tell the caller why.
    not_json = not _is_json(request.headers.get("content-type"))
    errors = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]],
            "msg": _NOT_JSON if not_json and tuple(e["loc"]) == ("body",) else error_message(e),
        }
        for e in found[:MAX_LISTED_ERRORS]
    ]
    detail = "The request is invalid; see `errors` for each field."
    if len(found) > MAX_LISTED_ERRORS:
        detail = (
            f"The request is invalid in {len(found)} places; `errors` lists the first "
            f"{MAX_LISTED_ERRORS}."
        )
    return problem(
        HTTP_422_UNPROCESSABLE_CONTENT, detail, type_="/problems/validation", errors=errors
    )


async def _handle_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI could not read the JSON body at all (not UTF-8, nested too deep, ...):
        # invalid input like any other malformed JSON, which FastAPI reports as 422.
        return problem(
            HTTP_422_UNPROCESSABLE_CONTENT,
            "The request body is not valid JSON; send UTF-8 encoded JSON.",
            type_="/problems/validation",
            errors=[{"loc": ["body"], "msg": _unreadable_body_reason(exc.__cause__)}],
        )
    headers = exc.headers
    allowed = _allowed_methods(request) if exc.status_code == 405 else None
    if allowed is not None:
        headers = {**(headers or {}), "Allow": allowed}
    return problem(exc.status_code, str(exc.detail), headers=headers)


def _unreadable_body_reason(cause: BaseException) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "The body is not valid UTF-8."
    if isinstance(cause, RecursionError):
        return "The JSON is nested too deeply."
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "A number in the JSON has too many digits (Python reads at most 4,300)."
    return "The body could not be parsed as JSON."


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str | None:
    """Every method some route serves at this path (Starlette names only the first route's).

    Each method is tried against the routes as the router would (`matches`), so routes
    included from sub-routers count too. Mounts are left out: they accept any method here.
    """
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed) or None


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


def problem_response_spec(status: int) -> dict[str, Any]:
    """The OpenAPI response object of a problem+json error with this status."""
    spec: dict[str, Any] = {
        "description": _RESPONSE_DESCRIPTIONS.get(status, _HTTP_TITLES.get(status, "Error")),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 503:
        spec["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return spec


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem+json bodies for these statuses."""
    return {status: problem_response_spec(status) for status in statuses}
