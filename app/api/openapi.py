"""The OpenAPI document: what every operation can answer, declared where the app says it.

Routers declare their own successes, headers, links and domain errors. What holds for
*every* operation is added here once, so the document cannot forget it: the
`X-Request-ID` header on every response, the 500 problem any request can meet, and the
`Problem` schema the error responses refer to.
"""

from typing import Any

from fastapi import FastAPI

from app.api.errors import problem_response_spec
from app.schemas.problem import Problem

REQUEST_ID_HEADER_SPEC = {
    "description": "The caller's X-Request-ID if it sent a sane one, else a new id; "
    "every log line of the request carries it.",
    "required": True,
    "schema": {"type": "string"},
}
LOCATION_HEADER_SPEC = {
    "description": "Path of the created resource.",
    "required": True,
    "schema": {"type": "string"},
}
ETAG_HEADER_SPEC = {
    "description": 'The task\'s version as an entity tag (e.g. `"3"`); send it as `If-Match`.',
    "required": True,
    "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
}


def install_openapi(app: FastAPI) -> None:
    """Build the document once, from the routes plus the app-wide responses."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            _add_problem_schema(schema)
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    _complete_operation(operation)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problem_schema(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem


def _complete_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.setdefault("500", problem_response_spec(500))
    for response in responses.values():
        response.setdefault("headers", {}).setdefault("X-Request-ID", REQUEST_ID_HEADER_SPEC)


def link(operation_id: str, description: str, parameters: dict[str, str]) -> dict[str, Any]:
    """An OpenAPI link to `operation_id`, its parameters filled from this response."""
    return {"operationId": operation_id, "description": description, "parameters": parameters}
