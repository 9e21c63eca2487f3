"""A store written by schema 1 (before ServiceProviderName and HostProviderName were rollup
dimensions) is upgraded by the first process that opens it, reader or writer: the daily rollup is
rebuilt from the line items with the two columns, published as a new generation, with the same
totals per source; readers of the old generation keep working meanwhile."""

from __future__ import annotations

import json
import logging
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from analytics import store
from analytics.allocation.apply import STATE_KEY, is_current
from analytics.allocation.refresh import current_rules, refresh
from analytics.cli import main
from analytics.store import StoreError, generation, lock, reader, scoped_reader, snapshots, upgrade, writing
from tests.app_fixtures import pristine_sample

CENT = Decimal("0.01")
NEW_COLUMNS = ("ServiceProviderName", "HostProviderName")
# daily_costs as schema 1 declared it, written out here so that the test does not depend on the code
# under test for what an old store looks like.
SCHEMA_1_DIMENSIONS = (
    "ProviderName",
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "ServiceCategory",
    "ServiceName",
    "RegionId",
    "ChargeCategory",
    "PricingCategory",
    "CommitmentDiscountStatus",
    "BillingCurrency",
)
_DIMS = ", ".join(f'"{d}"' for d in SCHEMA_1_DIMENSIONS)
SCHEMA_1_DAILY_COSTS = f"""
CREATE TABLE daily_costs (
    ChargeDay DATE NOT NULL,
    BillingPeriodStart TIMESTAMP,
    {", ".join(f'"{d}" VARCHAR' for d in SCHEMA_1_DIMENSIONS)},
    x_TagSetId BIGINT,
    x_SourceId BIGINT NOT NULL,
    BilledCost DECIMAL(38,12),
    EffectiveCost DECIMAL(38,12),
    ListCost DECIMAL(38,12),
    ContractedCost DECIMAL(38,12),
    LineItems BIGINT NOT NULL
);
INSERT INTO daily_costs
SELECT CAST(ChargePeriodStart AS DATE), BillingPeriodStart, {_DIMS}, x_TagSetId, x_SourceId,
       sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost), count(*)
FROM line_items GROUP BY ALL;
"""


def schema_1_database(target: Path) -> Path:
    """The small sample as one database file, made to look as schema 1 wrote it: the old rollup, an
    allocation built from it (without the two columns) and schema_version 1."""
    database = pristine_sample(target)
    con = duckdb.connect(str(database))
    try:
        con.execute("DROP TABLE daily_costs")
        con.execute(SCHEMA_1_DAILY_COSTS)
        exclude = ", ".join(NEW_COLUMNS)
        con.execute(f"CREATE OR REPLACE TABLE alloc_costs AS SELECT * EXCLUDE ({exclude}) FROM alloc_costs")
        con.execute("ALTER TABLE contract_commitments DROP COLUMN x_IngestedAt")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        assert con.execute("SELECT count(*) FROM meta WHERE key = ?", [STATE_KEY]).fetchone() == (1,)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return database


def schema_1_store(folder: Path) -> Path:
    """A store folder whose only generation is the schema-1 database, made by renames only (nothing
    of the code under test opens it)."""
    database = schema_1_database(folder.with_name(f"{folder.name}-file.duckdb"))
    snapshots.adopt(folder, database)
    return folder


def in_generation_1(folder: Path, sql: str) -> list[tuple[object, ...]]:
    """`sql` run on the store's first generation, the schema-1 file, opened by DuckDB alone."""
    raw = duckdb.connect(str(folder / snapshots.generation_name(1)), read_only=True)
    try:
        return raw.execute(sql).fetchall()
    finally:
        raw.close()


def to_cent(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def line_item_totals(database: Path) -> dict[int, tuple[Decimal, Decimal, int]]:
    """Per source: billed and effective cost to the cent and the line count, straight from the line
    items of a database file."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT x_SourceId, sum(BilledCost), sum(EffectiveCost), count(*) FROM line_items GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {int(s): (to_cent(b), to_cent(e), int(n)) for s, b, e, n in rows}


def rollup_totals(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[Decimal, Decimal, int]]:
    rows = con.execute(
        "SELECT x_SourceId, sum(BilledCost), sum(EffectiveCost), sum(LineItems) FROM daily_costs GROUP BY 1"
    ).fetchall()
    return {int(s): (to_cent(b), to_cent(e), int(n)) for s, b, e, n in rows}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def schema_version(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert row is not None
    return str(row[0])


def test_a_reader_upgrades_a_schema_1_store_with_every_sources_totals_unchanged_to_the_cent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = schema_1_store(tmp_path / "store")
    expected = line_item_totals(folder / snapshots.generation_name(1))
    assert len(expected) >= 2
    with caplog.at_level(logging.WARNING, logger="analytics.store"):
        con = reader(folder)
    try:
        assert generation(folder) == 2
        assert schema_version(con) == store.SCHEMA_VERSION == "2"
        assert set(NEW_COLUMNS) <= set(columns(con, "daily_costs"))
        assert "x_IngestedAt" in columns(con, "contract_commitments")
        assert rollup_totals(con) == expected
        # The new columns hold what the line items say, Houndly's marketplace rows under their seller.
        by_host = con.execute(
            "SELECT ServiceProviderName, HostProviderName, sum(EffectiveCost) FROM daily_costs GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    want = in_generation_1(
        folder, "SELECT ServiceProviderName, HostProviderName, sum(EffectiveCost) FROM line_items GROUP BY ALL"
    )
    assert {(s, h): to_cent(v) for s, h, v in by_host} == {(s, h): to_cent(v) for s, h, v in want}
    assert ("Houndly, Inc.", "AWS") in {(s, h) for s, h, _ in want}
    [line] = [r.getMessage() for r in caplog.records if "upgraded the store" in r.getMessage()]
    assert "from schema 1 to 2" in line and "ServiceProviderName, HostProviderName" in line
    assert "every source's totals identical" in line


def test_a_single_file_database_of_schema_1_is_converted_then_upgraded_on_first_open(tmp_path: Path) -> None:
    database = schema_1_database(tmp_path / "finops.duckdb")
    expected = line_item_totals(database)
    con = reader(database)
    try:
        assert database.is_dir() and generation(database) == 2
        assert rollup_totals(con) == expected
        assert set(NEW_COLUMNS) <= set(columns(con, "daily_costs"))
    finally:
        con.close()


def test_a_reader_of_the_old_generation_keeps_reading_it_while_the_upgrade_is_published(tmp_path: Path) -> None:
    folder = schema_1_store(tmp_path / "store")
    expected = line_item_totals(folder / snapshots.generation_name(1))
    old = reader(folder, generation=1)  # a named generation is read as it is, never upgraded
    try:
        assert generation(folder) == 1
        new = reader(folder)
        new.close()
        assert generation(folder) == 2
        assert not set(NEW_COLUMNS) & set(columns(old, "daily_costs"))
        assert schema_version(old) == "1"
        assert rollup_totals(old) == expected
        assert old.execute("SELECT count(*) FROM alloc_costs").fetchone() != (0,)
    finally:
        old.close()


def test_while_a_writer_holds_the_store_a_reader_reads_the_old_generation_and_the_writer_upgrades_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = schema_1_store(tmp_path / "store")
    expected = line_item_totals(folder / snapshots.generation_name(1))
    monkeypatch.setattr(store, "UPGRADE_WAIT", 0.2)
    with lock.holding(folder / snapshots.LOCK), caplog.at_level(logging.WARNING, logger="analytics.store"):
        con = reader(folder)
        try:
            assert schema_version(con) == "1" and rollup_totals(con) == expected
        finally:
            con.close()
    assert generation(folder) == 1
    assert any("reading it as it is (schema 1)" in r.getMessage() for r in caplog.records)
    with writing(folder) as con:
        assert set(NEW_COLUMNS) <= set(columns(con, "daily_costs"))
        assert rollup_totals(con) == expected
    assert generation(folder) == 2
    after = reader(folder)
    try:
        assert schema_version(after) == "2" and generation(folder) == 2  # nothing left to upgrade
    finally:
        after.close()


def test_an_upgrade_that_fails_leaves_the_store_as_it_was_and_readers_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = schema_1_store(tmp_path / "store")
    expected = line_item_totals(folder / snapshots.generation_name(1))

    def broken(con: duckdb.DuckDBPyConnection) -> int:
        con.execute("DROP TABLE daily_costs")
        raise duckdb.OutOfMemoryException("out of memory (test)")

    monkeypatch.setattr(upgrade, "rebuild_rollups", broken)
    con = reader(folder)
    try:
        assert schema_version(con) == "1" and rollup_totals(con) == expected
    finally:
        con.close()
    refused = r"cannot upgrade the store to schema 2 \(out of memory \(test\)\); it is left as it was"
    with pytest.raises(StoreError, match=refused), writing(folder):
        pass
    assert generation(folder) == 1 and not any((folder / snapshots.WORK).iterdir())


def test_the_upgrade_makes_the_allocation_apply_again_and_it_then_carries_the_new_columns(tmp_path: Path) -> None:
    assert upgrade.ALLOCATION_STATE_KEY == STATE_KEY
    folder = schema_1_store(tmp_path / "store")
    con = reader(folder)
    try:
        rules, _ = current_rules(con)
        assert not is_current(con, rules)
        assert not set(NEW_COLUMNS) & set(columns(con, "alloc_costs"))
        # A scoped reader opened before the allocation is applied again does not fail.
        scoped = scoped_reader(folder, generation(folder), [[("ProviderName", ["AWS"])]])
        try:
            assert scoped.execute("SELECT count(*) FROM daily_costs").fetchone() != (0,)
        finally:
            scoped.close()
    finally:
        con.close()
    with writing(folder) as con:
        refresh(con)
        assert set(NEW_COLUMNS) <= set(columns(con, "alloc_costs"))


def test_a_store_written_by_this_schema_is_not_upgraded_again(tmp_path: Path) -> None:
    database = pristine_sample(tmp_path / "sample.duckdb")
    reader(database).close()
    before = generation(database)
    shutil.copy(database / snapshots.MANIFEST, tmp_path / "manifest.before")
    reader(database).close()
    with writing(database, publish=False) as con:
        assert schema_version(con) == "2"
    assert generation(database) == before
    assert (database / snapshots.MANIFEST).read_text() == (tmp_path / "manifest.before").read_text()


def test_the_query_command_on_a_schema_1_store_groups_by_host_provider_with_the_line_items_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = schema_1_store(tmp_path / "store")
    rows = in_generation_1(
        folder, "SELECT HostProviderName, sum(BilledCost) FROM line_items WHERE BillingCurrency = 'USD' GROUP BY 1"
    )
    want = {host: to_cent(total) for host, total in rows}
    args = ["--group-by", "HostProviderName", "--where", "BillingCurrency=USD", "--metric", "billed"]
    assert main(["query", "--db", str(folder), *args, "--format", "json"]) == 0
    got = {r["HostProviderName"]: Decimal(str(r["cost"])) for r in json.loads(capsys.readouterr().out)}
    assert got == want and "AWS" in got and None in got
