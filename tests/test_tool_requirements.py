"""Tests that need a tool pip does not install skip on a developer's machine, saying how to install it,
and fail under CI=true (tests/tools.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import tools


def test_a_missing_tool_skips_with_one_line_saying_how_to_enable_it_outside_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        tools.require_tool("LibreOffice", False, "apt-get install libreoffice-calc-nogui")
    assert (
        str(skipped.value) == "LibreOffice is not installed; to run this test: apt-get install libreoffice-calc-nogui"
    )


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_a_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as failed:
        tools.require_tool("Java", False, "apt-get install openjdk-17-jre-headless")
    assert "Java is not installed" in str(failed.value) and "CI=true requires it" in str(failed.value)
    assert "\n" not in str(failed.value)


@pytest.mark.parametrize("value", ["", "false", "0"])
def test_ci_set_to_false_is_a_developers_machine(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        tools.require_tool("Java", False, "apt-get install openjdk-17-jre-headless")


def test_an_installed_tool_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    for ci in ("true", ""):
        monkeypatch.setenv("CI", ci)
        tools.require_tool("Chromium", True, "apt-get install chromium")


def test_without_the_validator_virtualenv_the_conformance_test_says_how_to_build_it_with_any_python_312(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(tools, "VALIDATOR_PYTHON", tmp_path / ".venv-validator" / "bin" / "python")
    with pytest.raises(pytest.skip.Exception) as skipped:
        tools.require_validator()
    assert "python3.12 -m venv .venv-validator" in str(skipped.value) and "PYENV" not in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        tools.require_validator()


def test_without_chromium_the_browser_test_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tools, "DEBIAN_CHROMIUM", tmp_path / "chromium")
    with pytest.raises(pytest.skip.Exception) as skipped:
        tools.require_chromium()
    assert "apt-get install chromium" in str(skipped.value)


def test_the_tool_tests_carry_their_markers() -> None:
    from tests import test_browser, test_focus_conformance

    browser = {m.name for m in test_browser.pytestmark}
    assert {"browser", "slow"} <= browser
    validating = [
        f
        for name, f in vars(test_focus_conformance).items()
        if name.startswith("test_") and "validator" in f.__code__.co_varnames[: f.__code__.co_argcount]
    ]
    assert len(validating) == 3
    assert all("validator" in {m.name for m in getattr(f, "pytestmark", [])} for f in validating)
