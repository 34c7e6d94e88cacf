"""The app factory's process-level option: freezing the startup heap out of the GC."""

import gc
from pathlib import Path

from app.core.config import Settings
from app.main import create_app


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'factory.db'}")


async def test_the_served_app_freezes_the_startup_heap_once_started(tmp_path: Path) -> None:
    gc.unfreeze()
    app = create_app(_settings(tmp_path), freeze_gc=True)
    try:
        assert gc.get_freeze_count() == 0  # building the app does not
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # hand this test process's objects back to the GC


async def test_an_app_in_a_shared_process_leaves_the_gc_alone(tmp_path: Path) -> None:
    gc.unfreeze()
    app = create_app(_settings(tmp_path))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
