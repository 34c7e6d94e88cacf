"""Regression tests for problems found in review: each once gave a traceback or a wrong exit."""

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

RUNNER = CliRunner()


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["--database-url", url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_export_with_an_invalid_filter_is_exit_2_without_traceback(
    committed_database_url: str,
) -> None:
    code, stdout, stderr = invoke(committed_database_url, "tasks", "export", "--project", "  ")

    assert code == 2
    assert stdout == ""
    assert "project" in stderr
    assert "Traceback" not in stderr


def test_cli_dates_are_only_yyyy_mm_dd_like_the_api(committed_database_url: str) -> None:
    code, _, stderr = invoke(committed_database_url, "tasks", "add", "t", "--due", "20261201")

    assert code == 2
    assert "YYYY-MM-DD" in stderr


def test_deeply_nested_json_is_a_clear_file_error(
    committed_database_url: str, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)

    code, _, stderr = invoke(committed_database_url, "tasks", "import", str(deep))

    assert code == 2
    assert "nested too deeply" in stderr
    assert "Traceback" not in stderr


def test_deeply_nested_jsonl_record_is_rejected_not_a_crash(
    committed_database_url: str, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"title": "ok"}\n{"title": ' + "[" * 100_000 + "}\n")

    code, _, stderr = invoke(
        committed_database_url, "tasks", "import", str(deep), "--on-error", "skip"
    )

    assert code == 3
    assert "line 2: invalid JSON: nested too deeply" in stderr


def test_export_into_a_closed_pipe_stops_quietly(committed_database_url: str) -> None:
    invoke(committed_database_url, "tasks", "add", "one")
    command = f"{sys.executable} -c 'from cli.main import run; run()' --database-url "
    command += f"'{committed_database_url}' tasks export | head -c0"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60
    )

    assert "Traceback" not in result.stderr
    assert "unreachable" not in result.stderr


def test_serve_with_an_unusable_url_is_exit_2() -> None:
    code, _, stderr = invoke("not-a-url", "serve")

    assert code == 2
    assert "database URL is not usable" in stderr
