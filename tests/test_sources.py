"""What is loaded (analytics.sources): the inventory, removing a source, and data freshness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from analytics.engine import DuckDBEngine
from analytics.ingest.run import ingest_paths
from analytics.sources import (
    EMPTIED_KEY,
    SourceNotFound,
    freshness,
    list_sources,
    needs_sample,
    remove_source,
    source_of,
)
from analytics.store import StoreError, get_meta, refuse_foreign, set_meta
from tests.focus_rows import row, write_csv


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    value = con.execute(sql).fetchone()
    assert value is not None
    return value[0] or 0


def _two_sources(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> list[dict]:
    aws = write_csv(tmp_path / "aws.csv", [row(), row(BilledCost="2.50", Tags={"team": "web"})])
    azure = write_csv(
        tmp_path / "azure.csv",
        [
            row(
                ProviderName="Microsoft",
                BillingAccountId="ea-1",
                BillingCurrency="EUR",
                BilledCost="7.25",
                ChargePeriodStart="2026-05-20T00:00:00Z",
                ChargePeriodEnd="2026-05-21T00:00:00Z",
                Tags={"cost-center": "cc1"},
            )
        ],
    )
    ingest_paths(con, [str(aws), str(azure)])
    return list_sources(DuckDBEngine(con))


def test_each_source_lists_its_id_providers_and_load_time_besides_the_stable_keys(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    entries = _two_sources(con, tmp_path)
    assert [Path(e["source"]).name for e in entries] == ["aws.csv", "azure.csv"]
    aws, azure = entries
    assert {"source", "format", "rows", "billing_periods", "totals", "ingested_at", "id", "provider"} <= set(aws)
    assert aws["provider"] == ["AWS"] and azure["provider"] == ["Microsoft"]
    assert aws["totals"] == {"USD": 12.5} and azure["totals"] == {"EUR": 7.25}
    assert aws["rows"] == 2 and aws["billing_periods"] == ["2026-05"] and aws["format"] == "focus"
    dt.datetime.fromisoformat(aws["ingested_at"])


def test_removing_a_source_leaves_the_others_intact_and_the_rollup_equal_to_the_line_items(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    aws, azure = _two_sources(con, tmp_path)
    removed = remove_source(con, aws["id"])
    assert [Path(f).name for f in removed] == ["aws.csv"]
    left = list_sources(DuckDBEngine(con))
    assert left == [azure]
    for table in ("line_items", "daily_costs"):
        assert _count(con, f"SELECT count(*) FROM {table} WHERE x_SourceId = {aws['id']}") == 0
    assert _count(con, "SELECT sum(BilledCost) FROM line_items") == _count(
        con, "SELECT sum(BilledCost) FROM daily_costs"
    )
    assert _count(con, "SELECT sum(EffectiveCost) FROM line_items") == _count(
        con, "SELECT sum(EffectiveCost) FROM daily_costs"
    )
    keys = {r[0] for r in con.execute("SELECT TagKey FROM tag_sets").fetchall()}
    assert keys == {"cost-center"}  # the removed source's tags went with it
    assert get_meta(con, EMPTIED_KEY) is None


def test_removing_the_last_source_remembers_that_the_database_was_emptied_on_purpose(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    for entry in _two_sources(con, tmp_path):
        remove_source(con, entry["id"])
    assert list_sources(DuckDBEngine(con)) == []
    assert _count(con, "SELECT count(*) FROM line_items") == 0
    assert get_meta(con, EMPTIED_KEY) is not None


def test_removing_an_unknown_source_says_so_and_changes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    entries = _two_sources(con, tmp_path)
    with pytest.raises(SourceNotFound, match="no source with id 99"):
        remove_source(con, 99)
    assert list_sources(DuckDBEngine(con)) == entries


def test_removing_any_sample_source_removes_the_whole_sample_and_its_extra_tables(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from analytics.sample import build_sample

    build_sample(con, rows=2_000, months=1, seed=3, as_of=dt.date(2026, 6, 15))
    entries = list_sources(DuckDBEngine(con))
    assert len(entries) > 1 and {e["format"] for e in entries} == {"sample"}
    assert _count(con, "SELECT count(*) FROM budgets") > 0
    removed = remove_source(con, entries[-1]["id"])
    assert sorted(removed) == sorted(e["source"] for e in entries)
    for table in ("sources", "line_items", "daily_costs", "utilization", "budgets", "business_metrics"):
        assert _count(con, f"SELECT count(*) FROM {table}") == 0, table
    assert get_meta(con, "sample_as_of") is None
    assert get_meta(con, EMPTIED_KEY) is not None


def test_freshness_is_the_latest_charge_day_per_provider_stale_after_three_days(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _two_sources(con, tmp_path)  # AWS charges end on 3 May, Microsoft's on 20 May 2026
    entries = freshness(DuckDBEngine(con), today=dt.date(2026, 5, 23))
    assert entries == [
        {"provider": "AWS", "last_day": dt.date(2026, 5, 3), "days_behind": 20, "stale": True},
        {"provider": "Microsoft", "last_day": dt.date(2026, 5, 20), "days_behind": 3, "stale": False},
    ]
    assert [e["stale"] for e in freshness(DuckDBEngine(con), today=dt.date(2026, 5, 24))] == [True, True]


def test_freshness_of_an_empty_database_is_empty(con: duckdb.DuckDBPyConnection) -> None:
    assert freshness(DuckDBEngine(con)) == []


def test_the_app_builds_the_sample_only_into_an_empty_database_nobody_emptied_on_purpose(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    assert needs_sample(con)  # a new database
    set_meta(con, EMPTIED_KEY, "2026-06-01T00:00:00")
    assert not needs_sample(con)  # the user removed everything: respected
    con.execute("DELETE FROM meta WHERE key = ?", [EMPTIED_KEY])
    _two_sources(con, tmp_path)
    assert not needs_sample(con)  # their own data


def test_a_sample_build_cut_short_is_built_again_and_a_finished_one_is_not(con: duckdb.DuckDBPyConnection) -> None:
    from analytics.sample import build_sample

    build_sample(con, rows=2_000, months=1, seed=3)
    assert not needs_sample(con)
    con.execute("DELETE FROM meta WHERE key = 'sample_as_of'")  # as if the build stopped before its end
    assert needs_sample(con)


def test_a_loaded_file_is_traced_to_the_source_holding_it_and_a_repeat_to_the_earlier_copy(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    entries = _two_sources(con, tmp_path)
    by_file = {e["source"]: e["id"] for e in entries}
    aws = tmp_path / "aws.csv"
    assert source_of(con, aws, unchanged=False) == by_file[str(aws)]
    copy = tmp_path / "copy-of-aws.csv"
    copy.write_bytes(aws.read_bytes())
    [report] = ingest_paths(con, [str(copy)])
    assert report.status == "unchanged"
    assert source_of(con, copy, unchanged=True) == by_file[str(aws)]
    assert source_of(con, tmp_path / "never-loaded.csv", unchanged=False) is None


def test_a_database_that_is_not_ours_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    probe = duckdb.connect(str(other))
    probe.execute("CREATE TABLE invoices (id INTEGER)")
    probe.close()
    with pytest.raises(StoreError, match=r"other\.duckdb: not a FinOps Lens database \(it has no `sources` table\)"):
        refuse_foreign(other)
    probe = duckdb.connect(str(other), read_only=True)
    try:
        assert probe.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("invoices",)]
    finally:
        probe.close()


def test_our_own_database_a_missing_file_and_an_empty_file_are_not_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    refuse_foreign(tmp_path / "test.duckdb")  # the fixture's, open in this process
    refuse_foreign(tmp_path / "missing.duckdb")
    (tmp_path / "empty.duckdb").touch()
    refuse_foreign(tmp_path / "empty.duckdb")
