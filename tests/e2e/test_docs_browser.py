"""The docs page in a real browser, against a real server, with no network beyond localhost.

`app-cli serve` runs on a free port with a temporary SQLite database; headless Chromium
(Debian's `/usr/bin/chromium`, driven by Playwright without a browser download) opens
/docs, sees every operation, and runs "Try it out" → "Execute" on GET /health. Every
request the page makes is recorded: none may leave for another host, which is what an
air-gapped deployment needs.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not become healthy in 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`app-cli serve` on a free port, on a SQLite file of its own; stopped afterwards."""
    workdir = tmp_path_factory.mktemp("docs-server")
    port = _free_port()
    log = workdir / "server.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'docs.db'}"}
    app_cli = Path(sys.executable).with_name("app-cli")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(app_cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; missing Chromium fails the run (CI installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with: {INSTALL}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def docs(browser: Browser, server_url: str) -> Iterator[tuple[Page, list[str]]]:
    """The /docs page, loaded, and every URL the page asked for (others are blocked)."""
    context = browser.new_context()
    requested: list[str] = []

    def record(route: Route) -> None:
        url = route.request.url
        requested.append(url)
        if _is_remote(url):
            route.abort()  # never wait on a host an air-gapped site cannot reach
        else:
            route.continue_()

    context.route("**/*", record)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server_url}/docs")
    page.wait_for_selector(".opblock")
    try:
        yield page, requested
    finally:
        context.close()


def _is_remote(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in NETWORK_SCHEMES and parts.hostname not in LOCAL_HOSTS


def test_docs_render_every_operation_from_local_assets(
    docs: tuple[Page, list[str]], server_url: str
) -> None:
    page, requested = docs
    spec = httpx.get(f"{server_url}/openapi.json").json()
    expected = sorted(
        (method.upper(), path) for path, item in spec["paths"].items() for method in item
    )

    blocks = page.locator(".opblock")
    rendered = sorted(
        (
            blocks.nth(i).locator(".opblock-summary-method").inner_text().strip(),
            blocks.nth(i).locator(".opblock-summary-path").inner_text().strip(),
        )
        for i in range(blocks.count())
    )

    assert rendered == expected
    assert page.locator(".info .title").inner_text().startswith("Task Tracker")
    assert f"{server_url}/docs/assets/swagger-ui-bundle.js" in requested
    assert f"{server_url}/docs/assets/swagger-ui.css" in requested
    assert [url for url in requested if _is_remote(url)] == []


def test_try_it_out_on_health_shows_200(docs: tuple[Page, list[str]]) -> None:
    page, requested = docs
    operation = page.locator("#operations-health-get_health")

    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert '"database": "ok"' in operation.locator(".live-responses-table").inner_text()
    assert any(urlsplit(url).path == "/health" for url in requested)
    assert [url for url in requested if _is_remote(url)] == []
