"""Helpers for the concurrency tests: real servers, CLI processes and a TCP proxy.

Everything talks to 127.0.0.1 only. Every subprocess is started through `Processes`,
which the `processes` fixture closes at teardown (SIGTERM, then SIGKILL), whatever the
test's outcome; every wait is bounded in time.
"""

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.core.database import Database

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")
BIN_DIR = Path(sys.executable).parent
APP_CLI = str(BIN_DIR / "app-cli")
LOCALHOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0
# Lower-cased names: no proxies, and no inherited setting that would change the test.
_DROPPED_ENV = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "test_database_url",
    "sqlite_busy_timeout_ms",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def child_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an `app-cli` child: this venv first, no proxies, plain output."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _DROPPED_ENV}
    env.update(
        DATABASE_URL=database_url,
        PATH=f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
    )
    env.update(extra or {})
    return env


def http_client(base_url: str, timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client for one real server (no proxies from the environment)."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False)


async def create_tables(database_url: str) -> None:
    """Create the tables once, before several processes start on the database."""
    database = Database(database_url)
    try:
        await database.create_all()
    finally:
        await database.dispose()


async def seed_tasks(database_url: str, *titles: str) -> list[int]:
    """Create tables and tasks in-process (cheaper than a CLI process); return their ids."""
    from app.schemas.task import TaskCreate
    from app.services.task import TaskService

    database = Database(database_url)
    try:
        await database.create_all()
        async with database.session() as session:
            service = TaskService.from_session(session)
            return [(await service.create(TaskCreate(title=title))).id for title in titles]
    finally:
        await database.dispose()


@dataclass
class ApiServer:
    """One `app-cli serve` process and where its log goes."""

    base_url: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path

    def logs(self) -> str:
        """Everything the server wrote so far (JSON lines)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def error_lines(self) -> list[str]:
        """Log lines at ERROR level or above, and anything that looks like a traceback."""
        return [
            line
            for line in self.logs().splitlines()
            if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line or "Traceback" in line
        ]


@dataclass
class CliResult:
    """What one `app-cli` process did."""

    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Processes:
    """Starts `app-cli` processes and guarantees they are gone at teardown."""

    log_dir: Path
    servers: list[ApiServer] = field(default_factory=list)
    async_children: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def serve(
        self, database_url: str, extra_env: Mapping[str, str] | None = None
    ) -> ApiServer:
        """Start `app-cli serve` on a free port; wait until /health answers 200."""
        port = free_port()
        log_path = self.log_dir / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                APP_CLI,
                "serve",
                "--host",
                LOCALHOST,
                "--port",
                str(port),
                env=child_env(database_url, extra_env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.log_dir,
            )
        server = ApiServer(f"http://{LOCALHOST}:{port}", port, process, log_path)
        self.servers.append(server)
        await self.wait_ready(server)
        return server

    async def wait_ready(self, server: ApiServer, within_s: float = STARTUP_TIMEOUT_S) -> None:
        """Poll /health until 200; fail with the server's log if it dies or never answers."""
        deadline = time.monotonic() + within_s
        async with http_client(server.base_url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if server.process.returncode is not None:
                    pytest.fail(f"server exited with {server.process.returncode}:\n{server.logs()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/health")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        pytest.fail(f"server not healthy within {within_s} s:\n{server.logs()}")

    async def cli(
        self,
        database_url: str,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        within_s: float = CLI_TIMEOUT_S,
    ) -> CliResult:
        """Run one `app-cli` command to completion (bounded) and collect its output."""
        process = await self.spawn_cli(database_url, *args, extra_env=extra_env, stdin=True)
        started = time.monotonic()
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin or b""), within_s)
        except TimeoutError:
            pytest.fail(f"app-cli {' '.join(args)} did not finish within {within_s} s")
        assert process.returncode is not None
        return CliResult(
            args,
            process.returncode,
            out.decode(errors="replace"),
            err.decode(errors="replace"),
            time.monotonic() - started,
        )

    async def spawn_cli(
        self,
        database_url: str,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        stdin: bool = False,
    ) -> asyncio.subprocess.Process:
        """Start an `app-cli` command whose pipes the caller drives."""
        process = await asyncio.create_subprocess_exec(
            APP_CLI,
            *args,
            env=child_env(database_url, extra_env),
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.log_dir,
        )
        self.async_children.append(process)
        return process

    async def close(self) -> None:
        """Terminate every process still running, then wait for each (bounded)."""
        for process in [s.process for s in self.servers] + self.async_children:
            await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, wait (bounded, without blocking the event loop), then SIGKILL."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 that the test can cut and restore (a database 'outage')."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (again) on the same port."""
        self._server = await asyncio.start_server(
            self._accept, LOCALHOST, self.port, reuse_address=True
        )

    async def stop(self) -> None:
        """Stop listening and cut every forwarded connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=STOP_TIMEOUT_S)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        pipes = [
            asyncio.ensure_future(self._pipe(reader, up_writer)),
            asyncio.ensure_future(self._pipe(up_reader, writer)),
        ]
        self._tasks.update(pipes)
        for pipe in pipes:
            pipe.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
