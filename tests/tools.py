"""Tests that need a tool beyond `pip install -r requirements-dev.txt` (Debian's Chromium, the Python 3.12
focus-validator virtualenv, Java, LibreOffice): on a developer's machine without it they skip with a
one-line reason saying how to enable them; under CI=true the tool is required and its absence fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
HOW_TO_ENABLE_CHROMIUM = "apt-get install chromium chromium-driver (Debian's build; Playwright's download is not used)"

VALIDATOR_PYTHON = PROJECT / ".venv-validator" / "bin" / "python"
HOW_TO_ENABLE_VALIDATOR = (
    "python3.12 -m venv .venv-validator && .venv-validator/bin/pip install -r requirements-validator.txt"
)

# Programs the tests run (not data they read): the only paths outside the repository a test may name.
SYSTEM_TOOLS = (DEBIAN_CHROMIUM,)

HOW_TO_ENABLE_JAVA = "apt-get install openjdk-17-jre-headless"
HOW_TO_ENABLE_LIBREOFFICE = "apt-get install libreoffice-calc-nogui"


def in_ci() -> bool:
    """CI=true (or 1), as GitHub Actions, GitLab and .ci/run set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def require_tool(name: str, available: bool, how_to_enable: str) -> None:
    """Skip the calling test (or fixture) when `name` is missing, saying how to install it; under CI fail."""
    if available:
        return
    reason = f"{name} is not installed; to run this test: {how_to_enable}"
    if in_ci():
        pytest.fail(f"{reason} (CI=true requires it)", pytrace=False)
    pytest.skip(reason)


def require_chromium() -> Path:
    found = shutil.which("chromium") or (str(DEBIAN_CHROMIUM) if os.access(DEBIAN_CHROMIUM, os.X_OK) else None)
    require_tool("Chromium", found is not None, HOW_TO_ENABLE_CHROMIUM)
    assert found is not None
    return Path(found)


def require_validator() -> Path:
    require_tool("the focus-validator virtualenv (.venv-validator)", VALIDATOR_PYTHON.exists(), HOW_TO_ENABLE_VALIDATOR)
    return VALIDATOR_PYTHON


def require_java() -> str:
    java = shutil.which("java")
    require_tool("Java", java is not None, HOW_TO_ENABLE_JAVA)
    assert java is not None
    return java


def require_libreoffice() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    require_tool("LibreOffice", soffice is not None, HOW_TO_ENABLE_LIBREOFFICE)
    assert soffice is not None
    return soffice
