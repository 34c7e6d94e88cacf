"""The root command: help, lazy imports, database selection, colour, and the shared database."""

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import typer.main
from typer.testing import CliRunner

from cli.main import app

UNSET_IN_SUBPROCESS = (
    "NO_COLOR",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "DATABASE_URL",
)
HEAVY_MODULES = {"fastapi", "starlette", "uvicorn"}
# Help is printed by Typer alone: these load when a command runs (bench/cli.py times it).
# (Pydantic is not listed: Typer 0.29 imports it to read a sub-command's options.)
NOT_FOR_HELP = {"rich", "sqlalchemy"}
ANSI = "\x1b["
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(text: str) -> set[int]:
    """SGR parameters that set a foreground or background colour."""
    params = {int(p) for match in SGR.findall(text) for p in match.split(";") if p}
    return {p for p in params if 30 <= p <= 49 or 90 <= p <= 107}


# --- help and lazy imports -------------------------------------------------------------------


def test_help_lists_every_command(runner):
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0
    for command in ("tasks", "projects", "stats", "serve", "--database-url"):
        assert command in result.stdout


def test_tasks_help_lists_every_subcommand(runner):
    result = runner.invoke(app, ["tasks", "--help"])

    assert result.exit_code == 0
    for command in ("add", "list", "show", "update", "start", "done", "cancel", "reopen", "delete"):
        assert re.search(rf"\b{command}\b", result.stdout), command


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["tasks", "add"], ["--priority low|medium|high|urgent", "--due YYYY-MM-DD", "--tag TAG"]),
        (
            ["tasks", "list"],
            ["--status todo|in_progress|done|cancelled", "--sort id|created_at|", "--limit N"],
        ),
        (
            ["tasks", "import"],
            ["--format csv|jsonl|json|taskwarrior|todotxt", "--on-error abort|skip"],
        ),
        (["tasks", "export"], ["--output FILE", "--project NAME", "--due-before YYYY-MM-DD"]),
        (["projects", "add"], ["--description TEXT"]),
    ],
)
def test_option_help_says_what_to_type_not_a_python_type(runner, command, shown):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})

    assert result.exit_code == 0
    for text in shown:
        assert text in result.stdout
    options = result.stdout.split("Options:")[1]
    assert "<str>" not in options
    assert "list[" not in options


def test_no_arguments_shows_help_without_a_traceback(runner):
    result = runner.invoke(app, [])

    assert result.exit_code in (0, 2)
    assert "Usage" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def run_entry_point(
    args: list[str], cwd: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the console-script entry (`cli.main:run`) in a fresh interpreter.

    `-X importtime` lists every module the process imported on stderr, so the check
    does not depend on how the command exits.
    """
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}
    environ.update(env)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from cli.main import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=60,
        check=False,
    )
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"cli", "typer"} <= imported, proc.stderr[-2000:]
    return proc, imported


@pytest.mark.parametrize("args", [["--help"], ["tasks", "--help"], ["serve", "--help"]])
def test_help_imports_neither_the_web_stack_nor_the_data_stack(args, tmp_path):
    proc, imported = run_entry_point(args, tmp_path)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage" in proc.stdout
    assert not imported & HEAVY_MODULES
    assert not imported & NOT_FOR_HELP


def test_a_data_command_does_not_import_the_web_stack_nor_colour_a_pipe(
    runner, committed_database_url, tmp_path
):
    added = runner.invoke(
        app,
        ["--database-url", committed_database_url, "tasks", "add", "Late", "--due", "2000-01-01"],
    )
    assert added.exit_code == 0, added.stderr

    proc, imported = run_entry_point(
        ["--database-url", committed_database_url, "tasks", "list"], tmp_path
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Late" in proc.stdout
    assert "(overdue)" in proc.stdout
    assert not imported & HEAVY_MODULES
    assert ANSI not in proc.stdout  # a pipe is not a terminal
    assert "Traceback" not in proc.stderr


# --- database selection ----------------------------------------------------------------------


def test_database_url_environment_variable_picks_the_database(runner, committed_database_url):
    added = runner.invoke(
        app, ["tasks", "add", "Via the environment"], env={"DATABASE_URL": committed_database_url}
    )

    assert added.exit_code == 0, added.stderr
    shown = runner.invoke(
        app, ["--database-url", committed_database_url, "tasks", "show", added.stdout.strip()]
    )
    assert shown.exit_code == 0, shown.stderr
    assert "Via the environment" in shown.stdout


def test_default_database_is_tasks_db_in_the_working_directory(
    sqlite_only, runner, tmp_path, monkeypatch
):
    from app.core.config import get_settings

    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["tasks", "add", "Local"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "tasks.db").is_file()


@pytest.mark.parametrize(
    ("command", "expected_stdout"),
    [
        pytest.param(["tasks", "list", "--json"], '{"items":[],"next_cursor":null}', id="list"),
        pytest.param(["stats", "--json"], '"total":0', id="stats"),
        pytest.param(["projects", "list", "--json"], '{"items":[]}', id="projects"),
        pytest.param(["tasks", "export", "--format", "csv"], "title,description", id="export"),
    ],
)
def test_a_read_of_a_database_not_created_yet_answers_empty_and_creates_no_file(
    sqlite_only, runner, tmp_path, command, expected_stdout
):
    path = tmp_path / "not-yet.db"

    result = runner.invoke(app, ["--database-url", _sqlite_url(path), *command])

    assert result.exit_code == 0, result.stderr
    assert expected_stdout in result.stdout
    assert sorted(tmp_path.iterdir()) == []


def test_a_dry_run_into_a_database_not_created_yet_creates_no_file(sqlite_only, runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("title,project\nPlan,Home\n", encoding="utf-8")
    url = _sqlite_url(tmp_path / "not-yet.db")
    dry_run = ["tasks", "import", str(source), "--dry-run"]

    result = runner.invoke(app, ["--database-url", url, *dry_run])

    assert result.exit_code == 0, result.stderr
    assert "would import 1" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    imported = runner.invoke(app, ["--database-url", url, "tasks", "import", str(source)])
    assert imported.exit_code == 0, imported.stderr
    assert (tmp_path / "not-yet.db").is_file()  # a real import does create it


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite+aiosqlite:////nonexistent-dir/x.db", id="sqlite-missing-directory"),
        pytest.param("postgresql+asyncpg://postgres@127.0.0.1:1/none", id="postgresql-refused"),
    ],
)
@pytest.mark.parametrize("command", [["tasks", "list"], ["tasks", "add", "x"], ["stats"]])
def test_unreachable_database_exits_1_with_a_clear_message(runner, url, command):
    result = runner.invoke(app, ["--database-url", url, *command])

    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "database" in result.stderr.lower()
    assert "--database-url" in result.stderr  # says what to do
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", [["tasks", "list"], ["tasks", "add", "x"]])
def test_a_directory_as_the_database_is_exit_2_and_says_so(sqlite_only, runner, tmp_path, command):
    result = runner.invoke(app, ["--database-url", _sqlite_url(tmp_path), *command])

    assert result.exit_code == 2, result.stderr
    assert f"{tmp_path} is a directory" in result.stderr
    assert "--database-url" in result.stderr
    assert sorted(tmp_path.iterdir()) == []


def _sqlite_url(path: Path, query: str = "") -> str:
    return f"sqlite+aiosqlite:///{path}{query}"


def _foreign_schema(tmp_path: Path) -> str:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:  # another program's tables, under our names
        conn.execute("CREATE TABLE projects (id INTEGER PRIMARY KEY, other TEXT)")
        conn.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, other TEXT)")
    conn.close()
    return _sqlite_url(path)


def _read_only(tmp_path: Path) -> str:
    path = tmp_path / "ours.db"
    created = CliRunner().invoke(app, ["--database-url", _sqlite_url(path), "tasks", "add", "t"])
    assert created.exit_code == 0, created.output
    return f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"


def _not_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    return _sqlite_url(path)


@pytest.mark.parametrize(
    ("database", "command", "words"),
    [
        (_foreign_schema, ["tasks", "list"], "tables are not this program's"),
        (_foreign_schema, ["tasks", "add", "x"], "tables are not this program's"),
        (_foreign_schema, ["stats"], "tables are not this program's"),
        (_read_only, ["tasks", "add", "x"], "read-only"),
        (_read_only, ["projects", "add", "Home"], "read-only"),
        (_not_sqlite, ["tasks", "list"], "damaged, or is not a SQLite database"),
    ],
    ids=[
        "foreign-list",
        "foreign-add",
        "foreign-stats",
        "read-only-add",
        "read-only-project",
        "not-sqlite",
    ],
)
def test_a_database_failure_is_one_line_not_a_traceback(
    sqlite_only, runner, tmp_path, database, command, words
):
    result = runner.invoke(app, ["--database-url", database(tmp_path), *command])

    assert result.exit_code == 1, result.output
    assert words in result.stderr
    assert result.stdout == ""
    for leak in ("Traceback", "SELECT", "INSERT", "sqlalchemy", "[SQL"):
        assert leak not in result.stderr


def _cli_command(tmp_path: Path, *args: str) -> list[str]:
    """`app-cli --database-url <a SQLite file in tmp_path> ARGS` as a fresh interpreter runs it."""
    command = [sys.executable, "-c", "from cli.entry import main; main()"]
    return [*command, "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", *args]


def _start_cli(tmp_path: Path, *args: str, **streams: Any) -> subprocess.Popen[bytes]:
    """A real `app-cli` process, started, with the given std streams."""
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}
    return subprocess.Popen(_cli_command(tmp_path, *args), cwd=tmp_path, env=environ, **streams)


def _run_cli(tmp_path: Path, *args: str, **streams: Any) -> subprocess.CompletedProcess[bytes]:
    """A real `app-cli` process run to its end, with the given std streams."""
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}
    command = _cli_command(tmp_path, *args)
    return subprocess.run(command, cwd=tmp_path, env=environ, timeout=60, check=False, **streams)


def test_export_piped_into_import_copies_the_tasks(sqlite_only, tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    for title in ("first", "second"):
        assert _run_cli(source, "tasks", "add", title, "--tag", "x").returncode == 0
    exporting = _start_cli(source, "tasks", "export", stdout=subprocess.PIPE)
    importing = _run_cli(
        target, "tasks", "import", "-", stdin=exporting.stdout, capture_output=True
    )
    exporting.stdout.close()

    assert exporting.wait(timeout=60) == 0
    assert importing.returncode == 0, importing.stderr
    listed = _run_cli(target, "tasks", "list", "--json", capture_output=True)
    items = json.loads(listed.stdout)["items"]
    assert [(t["title"], t["tags"]) for t in items] == [("first", ["x"]), ("second", ["x"])]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line_exit_1(sqlite_only, tmp_path):
    with Path("/dev/full").open("wb") as full:  # every write: No space left on device
        listed = _run_cli(tmp_path, "tasks", "list", "--json", stdout=full, stderr=subprocess.PIPE)
        added = _run_cli(tmp_path, "tasks", "add", "kept", stdout=full, stderr=subprocess.PIPE)

    for done in (listed, added):
        assert done.returncode == 1
        assert b"Cannot write the output: No space left on device." in done.stderr
        assert b"Traceback" not in done.stderr
        assert b"Exception ignored" not in done.stderr


def test_serve_on_a_port_in_use_exits_1_not_3(sqlite_only, tmp_path):
    # uvicorn exits 3 when it cannot start; in this CLI, 3 means a partial import.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = _run_cli(tmp_path, "serve", "--port", port, capture_output=True)

    assert done.returncode == 1
    assert f"Cannot serve on 127.0.0.1:{port}: port {port} is already in use.".encode() in (
        done.stderr
    )
    assert b"--port" in done.stderr  # says what to do
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("192.0.2.1", b"is not an address of this machine"),  # TEST-NET-1: nobody's address
        ("no-such-host.invalid", b"is not a known host name"),
    ],
)
def test_serve_on_an_address_it_cannot_listen_on_says_why(sqlite_only, tmp_path, host, reason):
    done = _run_cli(tmp_path, "serve", "--host", host, "--port", "8999", capture_output=True)

    assert done.returncode == 1
    assert reason in done.stderr
    assert b"--host" in done.stderr


def test_sigterm_ends_an_import_like_ctrl_c(sqlite_only, tmp_path):
    """`kill` used to leave the half-written rejects list behind as a hidden temporary file."""
    importing = _start_cli(
        tmp_path,
        *("tasks", "import", "-", "-f", "csv", "--on-error", "skip", "--rejects", "r.jsonl"),
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert importing.stdin is not None
    importing.stdin.write(b"title,priority\nok,high\nbad,extreme\n")
    importing.stdin.flush()  # and keep it open: the import waits for more
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".r.jsonl.*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".r.jsonl.*")), "the rejects list was never started"

    importing.terminate()
    _, stderr = importing.communicate(timeout=30)

    assert importing.returncode == 130
    assert b"nothing was changed" in stderr
    assert b"Traceback" not in stderr
    assert [p.name for p in tmp_path.iterdir() if "r.jsonl" in p.name] == []  # no temp file


# Python imports `site` (and the editable install's finder), then the console script
# imports cli.entry, before any code of ours can catch anything: an interrupt then is
# Python's own to report, as for any program. So the child starts with SIGINT ignored and
# takes it back just before main() runs.
INTERRUPTIBLE_ONCE_STARTED = (
    "from cli.entry import main; import signal; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); main()"
)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_a_command_prints_no_traceback(sqlite_only, tmp_path):
    """While modules load, while Typer builds the command, mid-query, while printing."""
    for title in ("one", "two", "three"):
        assert _run_cli(tmp_path, "tasks", "add", title, capture_output=True).returncode == 0
    outcomes = []
    for step in range(14):  # 0 to 0.65 s: past the whole command on this machine
        python, _, _, *args = _cli_command(tmp_path, "tasks", "list")
        listing = subprocess.Popen(
            [python, "-c", INTERRUPTIBLE_ONCE_STARTED, *args],
            cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_ignore_sigint,
        )
        time.sleep(step * 0.05)
        listing.send_signal(signal.SIGINT)
        _, stderr = listing.communicate(timeout=30)
        outcomes.append((listing.returncode, stderr.decode()))

    assert [err for _, err in outcomes if "Traceback" in err or "Exception" in err] == []
    assert {code for code, _ in outcomes} <= {0, 130}
    interrupted = [err for code, err in outcomes if code == 130]
    assert interrupted, "no run was interrupted: the command outran every signal"
    # Typer ends a command interrupted while it parses argv with 130 and no message.
    quiet_endings = {"", "Interrupted.\n", "Error: Interrupted; nothing was changed.\n"}
    assert set(interrupted) <= quiet_endings


def test_ctrl_c_once_a_command_has_finished_is_ignored(sqlite_only, tmp_path):
    """The result is saved and shown; the interpreter's shutdown must not end in a traceback."""
    outcomes = []
    for delay in (0.02, 0.04, 0.06, 0.1):  # after the command returned, during shutdown
        adding = _start_cli(
            tmp_path, "tasks", "add", "Saved", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert adding.stderr is not None
        announced = adding.stderr.readline()  # "Created task #N: Saved": the command is over
        time.sleep(delay)
        adding.send_signal(signal.SIGINT)
        rest = adding.stderr.read()
        outcomes.append((adding.wait(timeout=30), announced.decode() + rest.decode()))

    for code, stderr in outcomes:
        assert code == 0, stderr
        assert "Created task" in stderr
        assert "Exception" not in stderr
        assert "Traceback" not in stderr


@pytest.mark.parametrize("command", [["tasks", "list"], ["tasks", "list", "--json"]])
def test_an_output_encoding_without_the_characters_is_a_message_not_a_traceback(
    sqlite_only, tmp_path, command
):
    assert _run_cli(tmp_path, "tasks", "add", "Café", capture_output=True).returncode == 0
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}

    listed = subprocess.run(
        _cli_command(tmp_path, *command),
        cwd=tmp_path,
        env=environ | {"PYTHONIOENCODING": "ascii"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert listed.returncode == 1
    assert "Cannot write the output in ascii: it has no '\\xe9'" in listed.stderr
    assert "PYTHONIOENCODING=utf-8" in listed.stderr
    assert "Traceback" not in listed.stderr


def test_rejects_to_a_closed_pipe_say_the_import_was_undone(sqlite_only, tmp_path):
    """`import --rejects - | head`: the rollback of a write must not pass in silence."""
    source = tmp_path / "t.csv"
    source.write_text("title,priority\n" + "bad,extreme\n" * 2000 + "ok,high\n", "utf-8")
    importing = _start_cli(
        tmp_path,
        *("tasks", "import", str(source), "--on-error", "skip", "--rejects", "-"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert importing.stdout is not None
    importing.stdout.close()  # the reader is gone before the first rejected record
    stderr = importing.stderr.read() if importing.stderr else b""
    importing.wait(timeout=60)

    assert importing.returncode == 1
    assert b"The output was closed before the end; nothing was changed." in stderr
    assert b"Traceback" not in stderr
    listed = _run_cli(tmp_path, "tasks", "list", "--json", capture_output=True)
    assert json.loads(listed.stdout)["items"] == []


def test_closed_standard_streams_are_not_a_traceback(sqlite_only, tmp_path):
    def closed_stdout() -> None:
        os.close(1)

    def closed_stdin() -> None:
        os.close(0)

    listed = _run_cli(tmp_path, "tasks", "list", preexec_fn=closed_stdout, stderr=subprocess.PIPE)
    deleted = _run_cli(
        tmp_path, "tasks", "delete", "1", preexec_fn=closed_stdin, capture_output=True
    )
    imported = _run_cli(
        tmp_path, "tasks", "import", "-", "-f", "csv", preexec_fn=closed_stdin, capture_output=True
    )

    assert (listed.returncode, deleted.returncode, imported.returncode) == (2, 2, 2)
    assert b"Standard output is closed" in listed.stderr
    assert b"Refusing to delete without confirmation" in deleted.stderr  # as with no terminal
    assert b"the file is empty" in imported.stderr  # a closed stdin reads as an empty one
    for done in (listed, deleted, imported):
        assert b"Traceback" not in done.stderr


def test_unopenable_sqlite_file_prints_no_traceback_in_a_real_process(sqlite_only, tmp_path):
    # The leaked thread fails after the command returns, so only a real process shows it;
    # it is a race, so run a few at once and require every one to be clean.
    command = [
        sys.executable,
        "-c",
        "from cli.main import run; run()",
        "--database-url",
        "sqlite+aiosqlite:////nonexistent-dir/x.db",
        "tasks",
        "list",
    ]
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}
    procs = [
        subprocess.Popen(
            command, cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(5)
    ]
    outcomes = [(proc.communicate(timeout=60)[1].decode(), proc.returncode) for proc in procs]

    assert [code for _, code in outcomes] == [1] * 5
    assert all("database cannot be opened" in err for err, _ in outcomes)
    assert [err for err, _ in outcomes if "Traceback" in err] == []


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("not-a-url", id="malformed"),
        pytest.param("sqlite:///tasks.db", id="sync-driver"),
        pytest.param("mysql+aiomysql://u@localhost/x", id="driver-not-installed"),
    ],
)
def test_unusable_database_url_is_reported_without_a_traceback(runner, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["--database-url", url, "tasks", "list"])

    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (1, 2)
    assert result.stdout == ""
    assert "--database-url" in result.stderr


# --- colour ----------------------------------------------------------------------------------


def colourful_run(runner: Any, url: str, env: dict[str, str | None]) -> str:
    """Everything a few colourful commands print (overdue table, panel, error, stats)."""
    texts = []
    for args in (
        ["tasks", "add", "Late", "--due", "2000-01-01", "--priority", "urgent"],
        ["tasks", "list"],
        ["tasks", "show", "1"],
        ["tasks", "show", "999"],
        ["stats"],
    ):
        result = runner.invoke(app, ["--database-url", url, *args], env=env)
        assert "Traceback" not in result.stdout + result.stderr
        texts += [result.stdout, result.stderr]
    return "".join(texts)


def test_no_escape_codes_when_not_a_terminal(runner, committed_database_url):
    output = colourful_run(runner, committed_database_url, {})

    assert "(overdue)" in output
    assert ANSI not in output


def test_no_escape_codes_with_no_color(runner, committed_database_url):
    output = colourful_run(runner, committed_database_url, {"NO_COLOR": "1"})

    assert "(overdue)" in output
    assert ANSI not in output


def test_no_colour_with_no_color_even_on_a_terminal(runner, committed_database_url):
    # FORCE_COLOR makes Rich treat the captured stream as a terminal (https://force-color.org/).
    output = colourful_run(runner, committed_database_url, {"NO_COLOR": "1", "FORCE_COLOR": "1"})

    assert "(overdue)" in output
    assert colour_codes(output) == set()


def test_colour_on_a_terminal(runner, committed_database_url):
    """The control for the tests above: the colour check does catch colour."""
    output = colourful_run(runner, committed_database_url, {"FORCE_COLOR": "1"})

    assert colour_codes(output)


# --- the CLI and the HTTP API share one database ---------------------------------------------


async def api_round_trip(url: str, cli_task_id: int) -> dict[str, Any]:
    """Read the CLI's task over HTTP, then write through the API."""
    from app.core.config import Settings
    from app.main import create_app

    api = create_app(Settings(database_url=url))
    async with api.router.lifespan_context(api):
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            read = await http.get(f"/api/v1/tasks/{cli_task_id}")
            started = await http.patch(
                f"/api/v1/tasks/{cli_task_id}", json={"status": "in_progress"}
            )
            created = await http.post(
                "/api/v1/tasks", json={"title": "From the API", "project": "Work", "tags": ["api"]}
            )
            return {"read": read, "started": started, "created": created}


def test_cli_and_api_see_each_others_writes(runner, committed_database_url):

    def cli(*args: str) -> Any:
        result = runner.invoke(app, ["--database-url", committed_database_url, *args])
        assert result.exit_code == 0, result.stderr
        return result

    cli("projects", "add", "Work")
    task_id = int(cli("tasks", "add", "From the CLI", "--project", "Work").stdout)

    responses = asyncio.run(api_round_trip(committed_database_url, task_id))

    assert responses["read"].status_code == 200
    assert responses["read"].json()["title"] == "From the CLI"
    assert responses["read"].json()["project"] == "Work"
    assert responses["started"].status_code == 200
    assert responses["created"].status_code == 201
    api_task_id = responses["created"].json()["id"]
    listed = json.loads(cli("tasks", "list", "--project", "work", "--json").stdout)["items"]
    assert [(t["id"], t["title"], t["status"]) for t in listed] == [
        (task_id, "From the CLI", "in_progress"),
        (api_task_id, "From the API", "todo"),
    ]
    assert listed[1]["tags"] == ["api"]
    assert json.loads(cli("stats", "--json").stdout)["total"] == 2


# --- garbage collection ----------------------------------------------------------------------


def test_serve_runs_the_served_app_factory(runner, tmp_path, monkeypatch):
    import signal

    import uvicorn

    from app.core import logging as app_logging

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    # Keep this test process's logging and SIGTERM handling as they are.
    monkeypatch.setattr(app_logging, "configure_logging", lambda *_a, **_k: None)
    monkeypatch.setattr(signal, "signal", lambda *_a: None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    with socket.socket() as probe:  # a port nobody listens on: `serve` checks it first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = runner.invoke(app, ["serve", "--port", str(port), "--workers", "2"])

    assert result.exit_code == 0, result.output
    [(args, kwargs)] = calls
    # The factory each worker calls: it tunes that worker's own GC (tests/api/test_app_factory.py).
    assert args == ("app.main:create_served_app",)
    assert kwargs["factory"] is True
    assert kwargs["workers"] == 2
    assert kwargs["port"] == port


# --- the global option anywhere ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        (["tasks", "list", "--database-url", "U"], ["--database-url", "U", "tasks", "list"]),
        (["tasks", "list", "--database-url=U"], ["--database-url=U", "tasks", "list"]),
        (["tasks", "--database-url", "U", "list"], ["--database-url", "U", "tasks", "list"]),
        (["projects", "list", "--database-url", "U"], ["--database-url", "U", "projects", "list"]),
        (["--database-url", "U", "stats"], ["--database-url", "U", "stats"]),
        (["tasks", "add", "--", "--database-url"], ["tasks", "add", "--", "--database-url"]),
        (["tasks", "list"], ["tasks", "list"]),
        # the value of another option stays that option's value, however it looks
        (
            ["tasks", "add", "T", "--description", "--database-url=U", "--json"],
            ["tasks", "add", "T", "--description", "--database-url=U", "--json"],
        ),
        (
            ["tasks", "list", "-q", "--database-url", "--database-url", "U"],
            ["--database-url", "U", "tasks", "list", "-q", "--database-url"],
        ),
        (["--database-url", "tasks", "stats"], ["--database-url", "tasks", "stats"]),
    ],
)
def test_database_url_is_moved_before_the_command(typed, parsed):
    from cli.main import app, global_options_first

    assert global_options_first(typed, typer.main.get_command(app)) == parsed


def test_database_url_without_a_value_is_refused():
    from cli.main import app, global_options_first

    with pytest.raises(ValueError, match="requires a database URL"):
        global_options_first(["tasks", "list", "--database-url"], typer.main.get_command(app))


def test_database_url_after_the_command_works_in_a_real_process(sqlite_only, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    environ = {k: v for k, v in os.environ.items() if k not in UNSET_IN_SUBPROCESS}
    entry = [sys.executable, "-c", "from cli.entry import main; main()"]

    def app_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*entry, *args], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60
        )

    lookalike = f"--database-url=sqlite+aiosqlite:///{tmp_path / 'oops.db'}"
    added = app_cli("tasks", "add", "Placed", "--database-url", url)
    described = app_cli("tasks", "add", "Odd", "--description", lookalike, f"--database-url={url}")
    listed = app_cli("tasks", "list", "--json", f"--database-url={url}")
    missing = app_cli("tasks", "list", "--database-url")

    assert added.returncode == 0, added.stderr
    assert described.returncode == 0, described.stderr
    items = json.loads(listed.stdout)["items"]
    assert [(t["title"], t["description"]) for t in items] == [
        ("Placed", None),
        ("Odd", lookalike),
    ]
    assert not (tmp_path / "tasks.db").exists()  # not the default database
    assert not (tmp_path / "oops.db").exists()  # a value that only looks like the option
    assert missing.returncode == 2
    assert "requires a database URL" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_ctrl_c_swallowed_by_c_code_is_delivered_again():
    """An interrupt Python can only print (here from __del__; in CI from pydantic-core)."""
    swallowing = textwrap.dedent(
        """
        import sys, time
        from cli.entry import deliver_lost_interrupts

        sys.unraisablehook = deliver_lost_interrupts

        class SwallowsInterrupt:
            def __del__(self):
                raise KeyboardInterrupt

        try:
            SwallowsInterrupt()
            time.sleep(3600)  # only a signal ends this sleep early
        except KeyboardInterrupt:
            sys.exit(130)
        """
    )
    result = subprocess.run([sys.executable, "-c", swallowing], capture_output=True, timeout=60)

    assert (result.returncode, result.stderr.decode()) == (130, "")


def test_other_unraisable_exceptions_are_reported_as_python_does(monkeypatch):
    from cli.entry import deliver_lost_interrupts

    reported: list[object] = []
    monkeypatch.setattr(sys, "__unraisablehook__", reported.append)
    other = SimpleNamespace(exc_type=ValueError, exc_value=ValueError("x"), exc_traceback=None)

    deliver_lost_interrupts(other)  # type: ignore[arg-type]

    assert reported == [other]
