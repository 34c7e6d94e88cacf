"""Thread hops per API request: how often a request leaves the event loop thread.

Each hop (a call shipped to aiosqlite's connection thread, or to the anyio thread pool
that FastAPI uses for sync dependencies) costs two thread switches, and on a busy
machine those dominate a cheap request. This counts them by wrapping
`aiosqlite.core.Connection._execute` and `anyio.to_thread.run_sync` in this process
only (the product is not changed), while the product's app serves requests in-process
through httpx's ASGI transport on a copy of a seeded SQLite file.

No baseline and no target: the figure to watch is hops per request, and what they are.

Run: `python -m bench.hops [--requests 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DATA_DIR,
    Report,
    Table,
    app_cli,
    ensure_csv,
    finish,
    quiet_env,
    remove_db,
    run_measured,
    sqlite_url,
)

SEED_TASKS = 2_000
REQUESTS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("GET", "/api/v1/tasks/123", None),
    ("GET", "/api/v1/tasks?limit=50", None),
    ("POST", "/api/v1/tasks", {"title": "Hop counting", "tags": ["bench"]}),
    ("PATCH", "/api/v1/tasks/124", {"priority": "high"}),
)


class HopCounter:
    """Wraps the two ways a request leaves the event loop and counts each by callee."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.enabled = False

    def _name(self, prefix: str, func: Any) -> str:
        target = getattr(func, "func", func)  # functools.partial → the function
        return f"{prefix}{getattr(target, '__qualname__', repr(target))}"

    def install(self) -> None:
        """Patch aiosqlite and anyio in this process."""
        import aiosqlite.core
        import anyio.to_thread

        counter = self
        execute: Callable[..., Awaitable[Any]] = aiosqlite.core.Connection._execute
        run_sync: Callable[..., Awaitable[Any]] = anyio.to_thread.run_sync

        async def counted_execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            if counter.enabled:
                counter.counts[counter._name("aiosqlite thread: ", fn)] += 1
            return await execute(self, fn, *args, **kwargs)

        async def counted_run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
            if counter.enabled:
                counter.counts[counter._name("anyio thread pool: ", func)] += 1
            return await run_sync(func, *args, **kwargs)

        aiosqlite.core.Connection._execute = counted_execute  # type: ignore[method-assign]
        anyio.to_thread.run_sync = counted_run_sync  # type: ignore[assignment]


def seed(workdir: Path) -> Path:
    """A small SQLite file of tasks made by `app-cli tasks import`."""
    path = workdir / f"hops-{SEED_TASKS}.db"
    remove_db(path)
    cmd = [app_cli(), "--database-url", sqlite_url(path), "tasks", "import"]
    run_measured([*cmd, str(ensure_csv(SEED_TASKS))], env=quiet_env())
    return path


async def count(db_path: Path, requests: int) -> dict[str, tuple[float, collections.Counter[str]]]:
    """Hops per request, by request, after a warm-up."""
    import httpx

    from app.core.config import Settings
    from app.main import create_app

    counter = HopCounter()
    counter.install()
    app = create_app(Settings(database_url=sqlite_url(db_path)))
    logging.getLogger("app.access").disabled = True
    logging.getLogger("httpx").disabled = True
    found: dict[str, tuple[float, collections.Counter[str]]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for method, path, body in REQUESTS:
                for _ in range(3):
                    await client.request(method, path, json=body)
                counter.counts.clear()
                counter.enabled = True
                for _ in range(requests):
                    response = await client.request(method, path, json=body)
                    response.raise_for_status()
                counter.enabled = False
                per_request = sum(counter.counts.values()) / requests
                found[f"{method} {path}"] = (per_request, collections.Counter(counter.counts))
    return found


def run(requests: int = 20) -> Report:
    """Count the hops and return the report."""
    started = time.perf_counter()
    workdir = DATA_DIR / "hops"
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "hops.db"
    remove_db(db_path)
    shutil.copyfile(seed(workdir), db_path)
    found = asyncio.run(count(db_path, requests))
    report = Report(
        name="hops",
        title="Thread hops per API request",
        baseline="none (a count: fewer is better; each hop is two thread switches)",
        settings={"requests": requests},
    )
    summary = Table("Hops per request", ["request", "hops", "of which aiosqlite", "thread pool"])
    detail = Table("What each hop runs", ["request", "callee", "per request"])
    for label, (per_request, counts) in found.items():
        aio = sum(v for k, v in counts.items() if k.startswith("aiosqlite")) / requests
        pool = sum(v for k, v in counts.items() if k.startswith("anyio")) / requests
        summary.rows.append([label, f"{per_request:g}", f"{aio:g}", f"{pool:g}"])
        for callee, n in counts.most_common():
            detail.rows.append([label, callee, f"{n / requests:g}"])
    report.tables += [summary, detail]
    report.notes.append(
        "aiosqlite runs every call on its connection's thread; the product's adapter "
        "(app/core/sqlite_driver.py) ships one `_run_statement` per statement, and "
        "commit/rollback only when a transaction is open; FastAPI runs sync (`def`) "
        "dependencies in the anyio thread pool"
    )
    report.seconds = time.perf_counter() - started
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.hops",
        description="Count thread hops (aiosqlite calls, thread-pool calls) per API request.",
    )
    parser.add_argument("--requests", type=int, default=20, help="requests per kind [20]")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    finish(run(parse_args(argv).requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
