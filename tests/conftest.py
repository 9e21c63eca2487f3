"""Fixtures shared by the analytics, CLI and app tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analytics.engine import DuckDBEngine
from analytics.store import connect

# Tests that check the data as loaded (raw tag keys and values) run without allocation rules; the
# allocation tests name their rules, and one checks the shipped data/allocation.yaml.
NO_RULES = Path(__file__).parent / "data" / "no-rules.yaml"
os.environ["FINOPS_RULES"] = str(NO_RULES)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def engine(con: duckdb.DuckDBPyConnection) -> DuckDBEngine:
    return DuckDBEngine(con)


# The app fixtures (AppTest and the browser test) live in tests/app_fixtures.py.
from tests.app_fixtures import app, app_db, sample, sample_copy, sample_db  # noqa: E402, F401
