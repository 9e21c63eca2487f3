"""A Parquet export is read where it lies (a view over the staged copy, not a table copy of it) and
its rows are written once; the checks that run over it still name the first bad rows in order."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics.ingest import run
from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.focus_rows import row, write_csv


def _parquet(tmp_path: Path, rows: list[dict[str, object]], name: str = "export.parquet") -> Path:
    """The rows as a FOCUS Parquet file with typed columns, as exports write them."""
    source = write_csv(tmp_path / f"{name}.csv", rows)
    target = tmp_path / name
    duckdb.connect().execute(
        f"""COPY (SELECT * REPLACE (CAST(BilledCost AS DOUBLE) AS BilledCost,
                  CAST(EffectiveCost AS DOUBLE) AS EffectiveCost,
                  CAST(ChargePeriodStart AS TIMESTAMP) AS ChargePeriodStart,
                  CAST(ChargePeriodEnd AS TIMESTAMP) AS ChargePeriodEnd)
            FROM read_csv('{source}', all_varchar = true)) TO '{target}' (FORMAT parquet)"""
    )
    return target


def test_a_parquet_export_is_stored_from_views_to_the_cent_and_leaves_no_working_tables_or_views(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    costs = ["10.25", "0.01", "3.333333", "1234.5"]
    path = _parquet(tmp_path, [row(BilledCost=c, Tags={"team": f"t{i % 2}"}) for i, c in enumerate(costs)])
    expected = duckdb.connect().execute(f"SELECT sum(CAST(BilledCost AS DECIMAL(38,12))) FROM '{path}'").fetchone()
    seen: list[tuple[str, str]] = []

    def store_rows(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> None:
        catalog = "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'temp'"
        seen.extend(con.execute(catalog).fetchall())
        original(con, *args, **kwargs)

    original = run.store_rows
    monkeypatch.setattr(run, "store_rows", store_rows)
    [report] = ingest_paths(con, [str(path)])
    assert sorted(seen) == [("_raw", "VIEW"), ("_staged", "VIEW")]  # no copy of the file's rows
    assert report.rows_loaded == 4
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == expected
    assert expected == (Decimal("1248.093333"),)
    assert con.execute("SELECT count(DISTINCT x_TagSetId) FROM line_items").fetchone() == (2,)
    left = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'temp'").fetchall()
    assert left == []


def test_problems_of_several_checks_are_named_for_the_first_rows_in_row_order(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        row(),
        row(EffectiveCost="lots", ChargePeriodStart="someday"),
        row(),
        row(BilledCost=None),
        row(EffectiveCost="more"),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    message = (
        r"bad.csv: row 2, EffectiveCost: 'lots' is not a number; row 2, ChargePeriodStart: 'someday' is not a "
        r"date/time; row 4, BilledCost: is empty$"
    )
    with pytest.raises(IngestError, match=message):
        ingest_paths(con, [str(path)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_impossible_values_in_a_parquet_file_name_the_first_row_of_each_kind(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        row(),
        row(ChargePeriodStart="2026-05-04T00:00:00Z", ChargePeriodEnd="2026-05-03T00:00:00Z"),
        row(ChargePeriodStart="1999-12-31T00:00:00Z"),
        row(ChargePeriodStart="1990-01-01T00:00:00Z"),
    ]
    path = _parquet(tmp_path, rows)
    message = (
        r"row 3, ChargePeriodStart: 1999-12-31 00:00:00 is outside 2000-01-01 to 2100-01-01 .*; "
        r"row 2, ChargePeriodEnd: 2026-05-03 00:00:00 is before ChargePeriodStart"
    )
    with pytest.raises(IngestError, match=message):
        ingest_paths(con, [str(path)])
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (0,)


def test_iso_and_us_dates_of_both_year_lengths_are_read_in_one_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        row(ChargePeriodStart="2026-05-03T04:00:00Z", ChargePeriodEnd="2026-05-03T05:00:00Z"),
        row(ChargePeriodStart="5/3/26 04:00", ChargePeriodEnd="5/4/26"),
        row(ChargePeriodStart="05/03/2026 04:00:00", ChargePeriodEnd="5/4/2026"),
    ]
    ingest_paths(con, [str(write_csv(tmp_path / "dates.csv", rows))])
    got = con.execute("SELECT CAST(ChargePeriodStart AS VARCHAR), CAST(ChargePeriodEnd AS VARCHAR) FROM line_items")
    assert sorted(got.fetchall()) == [
        ("2026-05-03 04:00:00", "2026-05-03 05:00:00"),
        ("2026-05-03 04:00:00", "2026-05-04 00:00:00"),
        ("2026-05-03 04:00:00", "2026-05-04 00:00:00"),
    ]
