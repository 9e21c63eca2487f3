"""Fixtures shared by the analytics, CLI and app tests."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.engine import DuckDBEngine
from analytics.store import connect

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
FOCUS_SAMPLE = REALDATA / "focus" / "focus-1.0-sample.csv"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def engine(con: duckdb.DuckDBPyConnection) -> DuckDBEngine:
    return DuckDBEngine(con)


def csv_sum(path: Path, column: str, by: str | None = None, where: dict[str, str] | None = None) -> dict[str, Decimal]:
    """An independent sum of a CSV column with the csv module and Decimal, per value of `by`."""
    totals: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            if where and any(record.get(k) != v for k, v in where.items()):
                continue
            key = record[by] if by else ""
            value = record[column]
            if value in ("", "NULL", "null"):
                continue
            totals[key] = totals.get(key, Decimal(0)) + Decimal(value)
    return totals


# ---- App fixtures (Streamlit: AppTest and the browser test) live in tests/app_fixtures.py ----
from app_fixtures import app, app_db, sample_db  # noqa: E402, F401
