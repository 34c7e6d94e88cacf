"""Fixtures of the concurrency tests: process manager, TCP proxy, SQLite file path."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.concurrency.support import LOCALHOST, ON_POSTGRES, Processes, TcpProxy


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    """Start servers and CLI commands; all of them are stopped when the test ends."""
    log_dir = tmp_path / "processes"
    log_dir.mkdir()
    manager = Processes(log_dir)
    try:
        yield manager
    finally:
        await manager.close()


@pytest.fixture
async def tcp_proxy() -> AsyncIterator[TcpProxy]:
    """A proxy to the local PostgreSQL, listening; stopped at teardown."""
    proxy = TcpProxy(LOCALHOST, 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
def sqlite_path(committed_database_url: str) -> Path:
    """The file behind the test's SQLite database (SQLite runs only)."""
    if ON_POSTGRES:
        pytest.skip("SQLite only")
    prefix = "sqlite+aiosqlite:///"
    assert committed_database_url.startswith(prefix)
    return Path(committed_database_url.removeprefix(prefix))
