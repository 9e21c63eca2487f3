"""The habits that keep the codebase healthy run with the tests: lint, format, types, layering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "ruff", "check", "."],
        ["-m", "ruff", "format", "--check", "."],
        pytest.param(["-m", "mypy", "analytics/", "ui/", "app_pages/"], marks=pytest.mark.slow),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_passes(command: list[str]) -> None:
    result = subprocess.run([sys.executable, *command], cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_the_imports_keep_the_layering_declared_in_pyproject() -> None:
    """app_pages -> ui -> analytics, analytics without streamlit and without cycles (import-linter)."""
    result = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"], cwd=PROJECT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in ("never the other way", "never streamlit", "No import cycles inside analytics"):
        assert contract in result.stdout.replace("\n", " ")
    assert " 0 broken" in result.stdout
