"""`app-cli serve`: run the HTTP API with uvicorn."""

import os
import signal
from types import FrameType
from typing import Annotated

import typer

from cli.errors import ExitCode, exit_code_for, hint_for
from cli.output import fail
from cli.runtime import state

_UVICORN_STARTUP_FAILURE = 3  # uvicorn.main.STARTUP_FAILURE, which it does not export


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Bind address [env HOST, default 127.0.0.1].", metavar="HOST")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port [env PORT, default 8000].", min=1, max=65535, metavar="PORT"),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, metavar="N")] = 1,
) -> None:
    """Serve the HTTP API (docs at /docs)."""
    import uvicorn

    from app.core.config import get_settings
    from app.core.database import Database
    from app.core.errors import AppError
    from app.core.logging import configure_logging

    database_url = state(ctx).database_url
    if database_url:
        # Workers are new processes: they read the URL from the environment.
        os.environ["DATABASE_URL"] = database_url
        get_settings.cache_clear()
    settings = get_settings()
    try:  # refuse an unusable URL here, with a message, not in every worker with a traceback
        Database(settings.database_url)
    except AppError as error:
        raise fail(error.message, hint_for(error), exit_code_for(error)) from None
    configure_logging()
    # uvicorn finishes in-flight requests on SIGTERM, then re-raises the signal; exit 0 instead.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # Each worker sets its own GC up once started (`create_served_app`).
    host, port = host or settings.host, port or settings.port
    problem = _listen_problem(host, port)
    if problem is not None:
        raise fail(
            f"Cannot serve on {host}:{port}: {problem[0]}.", problem[1], ExitCode.DOMAIN_ERROR
        )
    try:
        uvicorn.run(
            "app.main:create_served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            server_header=False,
        )
    except SystemExit as stopped:
        # uvicorn exits 3 when it cannot start; in this CLI, 3 means a partial import.
        if stopped.code != _UVICORN_STARTUP_FAILURE:
            raise
        raise fail(
            f"The server could not start on {host}:{port}; the log lines above say why.",
            "A port in use, an address not of this machine, or the database, say.",
            ExitCode.DOMAIN_ERROR,
        ) from None


def _listen_problem(host: str, port: int) -> tuple[str, str] | None:
    """Why the server could not listen on `host:port`, and what to do; None if it can.

    Found by binding the address once, as uvicorn will: its own failure is a log line
    among others, and a port in use is the usual case.
    """
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        return (
            f"{host} is not a known host name",
            "Pass --host 127.0.0.1 or this machine's address.",
        )
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} is already in use",
                    "Pass another --port (e.g. --port 9000), or stop what is using it.",
                )
            if exc.errno == errno.EADDRNOTAVAIL:
                return (
                    f"{host} is not an address of this machine",
                    "Pass --host 127.0.0.1, 0.0.0.0 or one of this machine's addresses.",
                )
            return exc.strerror or str(exc), "Pass another --host or --port."
    return None
