"""pages -> ui -> analytics: pages talk to ui only; ui is the one package importing streamlit and analytics."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_pages_and_the_router_import_ui_never_analytics() -> None:
    files = [PROJECT / "app.py", *sorted((PROJECT / "app_pages").glob("*.py"))]
    assert len(files) >= 3
    for path in files:
        assert "analytics" not in imported_roots(path), path.name


def test_the_page_files_are_not_in_a_folder_named_pages() -> None:
    # Streamlit runs a `pages/` folder as a legacy multipage app on a process's first run,
    # skipping the router (and its sidebar) for a visitor who lands straight on a page.
    assert not (PROJECT / "pages").exists()


def test_pages_stay_thin() -> None:
    for path in (PROJECT / "app_pages").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 120, path.name
