"""The sample company at its default size (13 months, ~300k line items), built once (and cached on disk,
tests/sample_cache.py) and shared by the forecast, anomaly and budget tests: their figures are asserted
on the real sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics.store import reader

AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def company_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.sample_cache import cached_sample

    path = tmp_path_factory.getbasetemp() / "company-default.duckdb"
    if not path.exists():  # imported by several modules: each gets its own fixture, the file is shared
        cached_sample("company", path, rows=None, months=13, seed=42, as_of=AS_OF)
    return path


def test_the_shared_company_is_the_default_sample(company_db: Path) -> None:

    con = reader(company_db)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'sample_as_of'").fetchone() == (AS_OF.isoformat(),)
    finally:
        con.close()
