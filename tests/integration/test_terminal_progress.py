"""Progress on a real terminal: `app-cli` in a pseudo-terminal, as a person runs it.

Import and export show a live line on stderr when it is a terminal (and the data does
not go to the same terminal); with stderr redirected they show nothing but the summary.
"""

import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES

APP_CLI = Path(sys.executable).parent / "app-cli"
ROWS = 3_000

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="terminal behaviour; the SQLite run covers it")


def run_with_terminal_stderr(*args: str | Path, env: dict[str, str]) -> tuple[int, str]:
    """Run app-cli with stderr on a pseudo-terminal; its exit code and what the terminal got."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [APP_CLI, *map(str, args)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        received = read_until_closed(controller)
        return process.wait(timeout=60), received.decode("utf-8", "replace")
    finally:
        os.close(controller)


def read_until_closed(controller: int) -> bytes:
    """Everything the process wrote to the terminal, until it closed its side."""
    received = bytearray()
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process has gone
            break
        if not data:
            break
        received += data
    return bytes(received)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A plain environment on a fresh SQLite file."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL"}
    return {
        **{k: v for k, v in os.environ.items() if k in keep},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
        "TERM": "xterm",
        "COLUMNS": "120",
    }


@pytest.fixture
def tasks_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.csv"
    lines = ["title,priority"] + [f"Task {n},low" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_and_export_show_progress_on_a_terminal(
    env: dict[str, str], tasks_csv: Path, tmp_path: Path
) -> None:
    imported, import_screen = run_with_terminal_stderr("tasks", "import", tasks_csv, env=env)
    exported, export_screen = run_with_terminal_stderr(
        "tasks", "export", "--output", tmp_path / "out.csv", env=env
    )

    assert (imported, exported) == (0, 0)
    assert re.search(r"[\d,]+ records +[\d,]+/s", import_screen)  # the live line
    assert f"imported {ROWS}" in import_screen
    assert re.search(r"[\d,]+ tasks +[\d,]+/s", export_screen)
    assert f"Exported {ROWS} tasks" in export_screen
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == ROWS + 1


def test_no_progress_when_stderr_is_not_a_terminal(
    env: dict[str, str], tasks_csv: Path, tmp_path: Path
) -> None:
    imported = subprocess.run(
        [APP_CLI, "tasks", "import", tasks_csv], env=env, capture_output=True, text=True
    )
    exported = subprocess.run(
        [APP_CLI, "tasks", "export", "-o", tmp_path / "out.csv"],
        env=env,
        capture_output=True,
        text=True,
    )

    assert imported.stderr.startswith(f"read {ROWS}, imported {ROWS}")
    assert exported.stderr == f"Exported {ROWS} tasks to {tmp_path / 'out.csv'} (csv).\n"


def test_import_from_a_terminal_says_how_to_end_the_input(env: dict[str, str]) -> None:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [APP_CLI, "tasks", "import", "-", "--format", "csv"],
            stdin=terminal,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        os.write(controller, b"title\nTyped by hand\n\x04")  # Ctrl-D at a line start: EOF
        received = read_until_closed(controller)
        code = process.wait(timeout=60)
    finally:
        os.close(controller)

    screen = received.decode("utf-8", "replace")
    assert code == 0, screen
    assert "end with Ctrl-D" in screen
    assert "imported 1" in screen
    assert not LIVE_IMPORT_LINE.search(screen)  # no bar drawn over what is typed


def test_ctrl_c_during_an_import_says_so_on_a_line_of_its_own(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("title\n" + "".join(f"Task {n}\n" for n in range(300_000)), "utf-8")
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [APP_CLI, "tasks", "import", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        received = bytearray()
        while not re.search(rb"[1-9][\d,]* records", received):
            received += os.read(controller, 65536)  # until the bar shows records imported
        process.send_signal(signal.SIGINT)
        received += read_until_closed(controller)
        code = process.wait(timeout=60)
    finally:
        os.close(controller)

    lines = screen_lines(received.decode("utf-8", "replace"))
    assert code == 130, lines
    assert "Error: Interrupted; nothing was changed." in lines


LIVE_IMPORT_LINE = re.compile(r"[\d,]+ records +[\d,]+/s")
_CONTROL_SEQUENCE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_lines(output: str) -> list[str]:
    """The lines a terminal shows: each from its last carriage return, escapes removed."""
    lines = output.replace("\r\n", "\n").split("\n")  # the terminal sends \n as \r\n
    return [_CONTROL_SEQUENCE.sub("", line.rsplit("\r", 1)[-1]) for line in lines]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_interrupting_the_delete_question_deletes_nothing_and_exits_130(
    env: dict[str, str], signum: signal.Signals
) -> None:
    subprocess.run([APP_CLI, "tasks", "add", "Keep me"], env=env, check=True, capture_output=True)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [APP_CLI, "tasks", "delete", "1"],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        received = bytearray()
        while b"[y/N]" not in received:
            received += os.read(controller, 65536)
        process.send_signal(signum)
        received += read_until_closed(controller)
        code = process.wait(timeout=60)
    finally:
        os.close(controller)
    shown = subprocess.run(
        [APP_CLI, "tasks", "show", "1", "--json"], env=env, capture_output=True, text=True
    )

    lines = screen_lines(received.decode("utf-8", "replace"))
    assert code == 130, lines
    assert "Error: Interrupted; nothing was deleted." in lines
    assert "Traceback" not in "\n".join(lines)
    assert '"title":"Keep me"' in shown.stdout
