"""The FastAPI application factory: wiring only, no rules."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import health, project, stats, task
from app.api.errors import install_error_handlers
from app.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.logging import configure_logging
from app.schemas.problem import Problem

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app; the database engine is created on startup, not at import."""
    settings = settings or get_settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
        )
        app.state.database = db
        if owned:  # an injected database is set up and disposed of by its owner
            await db.create_all()
        logger.info("app.started", extra={"database": db.safe_url, "engine": db.backend})
        try:
            yield
        finally:
            if owned:
                await db.dispose()
            logger.info("app.stopped")

    app = FastAPI(
        title="Task Tracker",
        version=API_VERSION,
        description="Tasks and projects over HTTP. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    for router in (health.router, task.router, project.router, stats.router):
        app.include_router(router)
    _register_problem_schema(app)
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Put `Problem` in the OpenAPI components the error responses refer to."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            defs = components["Problem"].pop("$defs", {})
            components.update(defs)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
