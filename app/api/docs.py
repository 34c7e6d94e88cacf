"""Swagger UI at `/docs` from files shipped in a Python package, so docs work air-gapped.

FastAPI's own `/docs` page loads Swagger UI (and a favicon) from public CDNs. Here the
page is FastAPI's `get_swagger_ui_html`, pointed at the dist files of the
`swagger-ui-bundle-v2` package (Swagger UI 5, which renders OpenAPI 3.1; the original
`swagger-ui-bundle` ships 4.x, which does not), served by a `StaticFiles` mount.
See https://fastapi.tiangolo.com/how-to/custom-docs-ui-assets/.
"""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` and its assets under `/docs/assets`, all from this host."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
