"""Fixtures shared by the analytics, CLI and app tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit import config as st_config

from analytics.engine import DuckDBEngine
from analytics.store import connect

# Tests that check the data as loaded (raw tag keys and values) run without allocation rules; the
# allocation tests name their rules, and one checks the shipped data/allocation.yaml.
NO_RULES = Path(__file__).parent / "data" / "no-rules.yaml"
os.environ["FINOPS_RULES"] = str(NO_RULES)
# No test writes the repository's audit log: module and session fixtures append to a throwaway
# file, and each test to its own (the `audit_log` fixture).
os.environ["FINOPS_AUDIT"] = str(Path(tempfile.mkdtemp(prefix="finops-audit-")) / "audit.jsonl")
# The developer's own secrets (~/.streamlit, ./.streamlit) must not decide what the tests see: with sign-in
# set up there, every app test would meet a sign-in page. The tests that need sign-in name their own file;
# this one is never created. The environment reaches `streamlit run`, the option the app tests here.
NO_SECRETS = Path(__file__).parent / "data" / "no-secrets.toml"
os.environ["STREAMLIT_SECRETS_FILES"] = str(NO_SECRETS)
st_config.set_option("secrets.files", [str(NO_SECRETS)])


# Families of many cases (every page x every failure, one command-line process per case, fuzz seeds).
# The quick subset (`pytest -m "not slow"`) runs the first cases of each, the full suite all of them:
# (test module, test function) -> cases kept in the quick subset.
FAMILIES: dict[tuple[str, str], int] = {
    ("test_fuzz_ingest.py", "test_a_mutated_export_loads_with_exact_totals_or_is_refused_naming_the_file"): 12,
    ("test_page_boundary.py", "test_a_stored_date_outside_the_sane_window_breaks_no_page"): 2,
    (
        "test_page_boundary.py",
        "test_a_page_whose_analytics_fail_shows_one_error_box_naming_the_sources_and_how_to_remove_one",
    ): 2,
    ("test_page_boundary.py", "test_a_bad_rates_file_is_named_once_and_the_data_page_still_works"): 2,
    ("test_cli_remove.py", "test_an_unknown_source_is_one_line_exit_2_and_nothing_changes"): 1,
    ("test_cli_remove.py", "test_read_commands_on_a_stored_absurd_date_print_no_traceback"): 2,
    ("test_cli_remove.py", "test_on_a_terminal_remove_asks_first"): 1,
    ("test_hostile_ingest_csv.py", "test_a_csv_the_csv_module_reads_strictly_loads_with_the_same_rows"): 6,
    ("test_hostile_files.py", "test_a_page_given_a_bad_budgets_file_names_it_and_carries_on"): 1,
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every case of a family after the first few it keeps in the quick subset."""
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        family = (item.path.name, getattr(item, "originalname", None) or item.name)
        if family in FAMILIES:
            seen[family] = seen.get(family, 0) + 1
            if seen[family] > FAMILIES[family]:
                item.add_marker(pytest.mark.slow)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-cases", type=int, default=None, help="cases of tests/test_fuzz_ingest.py to run")


@pytest.fixture(autouse=True)
def audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's audit log (FINOPS_AUDIT), empty at the start."""
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv("FINOPS_AUDIT", str(path))
    return path


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def engine(con: duckdb.DuckDBPyConnection) -> DuckDBEngine:
    return DuckDBEngine(con)


# The app fixtures (AppTest and the browser test) live in tests/app_fixtures.py.
from tests.app_fixtures import app, app_db, downloads, sample, sample_copy, sample_db  # noqa: E402, F401
