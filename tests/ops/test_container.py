"""Run the Dockerfile's own CMD and HEALTHCHECK on the host, as the container would.

No Docker engine is needed: the final stage's ``ENV``, ``CMD`` and
``HEALTHCHECK ... CMD [...]`` are parsed from the Dockerfile and executed as
subprocesses, with ``PATH`` starting at this interpreter's directory so that
``app-cli`` and ``python`` resolve to the project's virtualenv (as
``/opt/venv/bin`` does in the image). Only ``DATABASE_URL`` (a SQLite file in
``tmp_path``), ``HOST`` and ``PORT`` are overridden.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile"
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 20.0
HEALTHCHECK_TIMEOUT_S = 30.0
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class FinalStage:
    """What the container runs, taken from the last stage of the Dockerfile."""

    env: list[tuple[str, str]]
    cmd: list[str]
    healthcheck: list[str]


def _instructions(text: str) -> list[tuple[str, str]]:
    """Split a Dockerfile into ``(INSTRUCTION, arguments)`` pairs.

    Joins ``\\`` line continuations and drops comment lines (also those inside
    a continued instruction, as Docker does) and blank lines.
    """
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    return result


def _command(args: str) -> list[str]:
    """Turn a CMD's arguments into argv: exec form (JSON) or shell form."""
    if args.startswith("["):
        argv = json.loads(args)
        assert isinstance(argv, list), args
        assert all(isinstance(item, str) for item in argv), args
        return argv
    return ["/bin/sh", "-c", args]


def _env_pairs(args: str) -> list[tuple[str, str]]:
    """Parse ``ENV k=v k2="v 2"`` (or the legacy ``ENV k v``) into pairs."""
    tokens = shlex.split(args)
    if "=" not in tokens[0]:
        key, _, value = args.partition(" ")
        return [(key, value.strip())]
    return [(key, value) for key, _, value in (token.partition("=") for token in tokens)]


def parse_final_stage(text: str) -> FinalStage:
    """Return the ENV, CMD and HEALTHCHECK command of the Dockerfile's final stage."""
    env: list[tuple[str, str]] = []
    cmd: list[str] | None = None
    healthcheck: list[str] | None = None
    for keyword, args in _instructions(text):
        if keyword == "FROM":  # a new stage inherits nothing from the previous one
            env, cmd, healthcheck = [], None, None
        elif keyword == "ENV":
            env.extend(_env_pairs(args))
        elif keyword == "CMD":
            cmd = _command(args)
        elif keyword == "HEALTHCHECK":
            match = re.fullmatch(r"(?:--\S+\s+)*CMD\s+(.*)", args, flags=re.DOTALL)
            assert match, f"HEALTHCHECK without CMD: {args}"
            healthcheck = _command(match.group(1).strip())
    assert cmd, "the final stage has no CMD"
    assert healthcheck, "the final stage has no HEALTHCHECK CMD"
    return FinalStage(env=env, cmd=cmd, healthcheck=healthcheck)


def _expand(value: str, env: dict[str, str]) -> str:
    """Substitute ``$VAR`` and ``${VAR}`` the way ``ENV`` does at build time."""
    return re.sub(
        r"\$(?:\{(\w+)\}|(\w+))",
        lambda m: env.get(m.group(1) or m.group(2), ""),
        value,
    )


def container_env(stage: FinalStage, database_url: str, port: int) -> dict[str, str]:
    """Build the environment the container would have, adapted to this host."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
    for key, value in stage.env:
        env[key] = _expand(value, env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port))
    return env


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    """Tell whether an HTTP server answers ``GET /health`` (with any status)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/health", timeout=2):
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


def _run_healthcheck(stage: FinalStage, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the HEALTHCHECK command once, as Docker would."""
    return subprocess.run(
        stage.healthcheck,
        env=env,
        capture_output=True,
        text=True,
        timeout=HEALTHCHECK_TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="module")
def stage() -> FinalStage:
    """The parsed final stage of the repository's Dockerfile."""
    return parse_final_stage(DOCKERFILE.read_text(encoding="utf-8"))


def test_parser_handles_continuations_comments_and_stages() -> None:
    """The small Dockerfile parser keeps only the last stage and joins lines."""
    text = (
        'FROM a AS build\nENV X=1\nCMD ["no"]\n'
        'FROM b\n# comment\nENV A=1 \\\n    # inner comment\n    B="two words"\n'
        "ENV LEGACY some value\n"
        'HEALTHCHECK --interval=5s \\\n  --retries=3 \\\n  CMD ["python", "-c", "x"]\n'
        'CMD ["app-cli", \\\n     "serve"]\n'
    )
    parsed = parse_final_stage(text)
    assert parsed.env == [("A", "1"), ("B", "two words"), ("LEGACY", "some value")]
    assert parsed.healthcheck == ["python", "-c", "x"]
    assert parsed.cmd == ["app-cli", "serve"]


def test_dockerfile_final_stage_matches_contract(stage: FinalStage) -> None:
    """The image serves on 0.0.0.0:8000 with its SQLite file on the /data volume."""
    env = dict(stage.env)
    assert env["DATABASE_URL"] == "sqlite+aiosqlite:////data/tasks.db"
    assert env["HOST"] == "0.0.0.0"  # the container listens on all interfaces
    assert env["PORT"] == "8000"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["PYTHONUNBUFFERED"] == "1"
    assert stage.cmd == ["app-cli", "serve"]
    assert stage.healthcheck[:2] == ["python", "-c"]


def test_healthcheck_fails_when_nothing_listens(stage: FinalStage, tmp_path: Path) -> None:
    """The HEALTHCHECK command exits non-zero when no server is on $PORT."""
    env = container_env(stage, f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}", free_port())
    result = _run_healthcheck(stage, env)
    assert result.returncode != 0, result.stdout + result.stderr


@pytest.mark.slow
def test_cmd_serves_passes_healthcheck_and_stops_on_sigterm(
    stage: FinalStage, tmp_path: Path
) -> None:
    """The image's CMD starts the API, its HEALTHCHECK passes, SIGTERM stops it with 0."""
    port = free_port()
    env = container_env(stage, f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}", port)
    log_path = tmp_path / "server.log"

    def log_tail() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    with log_path.open("wb") as log:
        try:
            server = subprocess.Popen(
                stage.cmd, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
            )
        except FileNotFoundError as exc:
            pytest.fail(f"{exc.filename} is not installed in this venv: run `pip install -e .`")
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _answers(port):
                code = server.poll()
                assert code is None, f"server exited with {code}:\n{log_tail()}"
                assert time.monotonic() < deadline, f"no answer on :{port}:\n{log_tail()}"
                time.sleep(0.2)

            result = _run_healthcheck(stage, env)
            assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{log_tail()}"

            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"server ignored SIGTERM for {SHUTDOWN_TIMEOUT_S}s:\n{log_tail()}")
            # uvicorn >= 0.29 re-raises the captured SIGTERM after its graceful
            # shutdown, which ends the process with -15 (Docker: 143) unless
            # `app-cli serve` installs its own SIGTERM handler first.
            assert code == 0, f"server exited with {code} on SIGTERM:\n{log_tail()}"
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
