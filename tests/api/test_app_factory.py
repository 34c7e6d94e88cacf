"""The app factory's process-level options: the served app's GC, and no telemetry."""

import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import opentelemetry.trace
import pytest

from app.core.config import Settings
from app.main import SERVER_GC_THRESHOLD, create_app


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'factory.db'}")


@pytest.fixture
def clean_gc() -> Iterator[None]:
    """Nothing frozen before the test; this process's own GC settings back after it."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("clean_gc")
async def test_the_served_app_tunes_the_gc_once_started(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path), server_gc=True)
    assert gc.get_freeze_count() == 0  # building the app does not
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == SERVER_GC_THRESHOLD


@pytest.mark.usefixtures("clean_gc")
async def test_an_app_in_a_shared_process_leaves_the_gc_alone(tmp_path: Path) -> None:
    thresholds = gc.get_threshold()
    app = create_app(_settings(tmp_path))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == thresholds


async def test_requests_do_not_look_up_opentelemetry_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    real = opentelemetry.trace.get_tracer_provider

    def counted() -> opentelemetry.trace.TracerProvider:
        lookups.append("tracer")
        return real()

    monkeypatch.setattr(opentelemetry.trace, "get_tracer_provider", counted)
    app = create_app(_settings(tmp_path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            lookups.clear()
            assert (await http.get("/health")).status_code == 200
    assert lookups == []
