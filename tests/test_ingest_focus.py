"""FOCUS files into the store: totals to the cent, quirks repaired and reported, idempotence."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.engine import DuckDBEngine
from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from analytics.sources import list_sources
from analytics.store import connect
from tests.focus_rows import row, write_csv
from tests.realdata import FOCUS_SAMPLE, cents, csv_sum


def totals(con: duckdb.DuckDBPyConnection, column: str, table: str = "line_items") -> dict[str, Decimal]:
    rows = con.execute(f"SELECT BillingCurrency, sum({column}) FROM {table} GROUP BY 1").fetchall()
    return {currency: Decimal(str(amount)) for currency, amount in rows}


def test_the_real_focus_sample_loads_every_row_and_ties_out_to_the_cent(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(FOCUS_SAMPLE)])
    assert report.rows_read == report.rows_loaded == 1000
    for column in ("BilledCost", "EffectiveCost", "ListCost"):
        expected = cents(csv_sum(FOCUS_SAMPLE, column, by="BillingCurrency"))
        assert cents(totals(con, column)) == expected
        assert cents(totals(con, column, "daily_costs")) == expected


def test_the_real_focus_sample_totals_per_provider_match_the_file(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(FOCUS_SAMPLE)])
    loaded = dict(con.execute("SELECT ProviderName, sum(BilledCost) FROM daily_costs GROUP BY 1").fetchall())
    expected = csv_sum(FOCUS_SAMPLE, "BilledCost", by="ProviderName")
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in loaded.items()} == cents(expected)


def test_the_loader_reports_what_it_repaired_in_the_real_sample(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(FOCUS_SAMPLE)])
    assert any("ChargeFrequency" in fix for fix in report.fixes)
    assert any("Id" in warning for warning in report.warnings)
    assert any("ContractedCost is empty on 7 rows" in warning for warning in report.warnings)
    frequencies = {r[0] for r in con.execute("SELECT DISTINCT ChargeFrequency FROM line_items").fetchall()}
    assert "Usage-based" not in frequencies and "Usage-Based" in frequencies


def test_tags_in_the_real_sample_are_parsed_once_into_tag_sets(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(FOCUS_SAMPLE)])
    expected: dict[str | None, Decimal] = {}
    with FOCUS_SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            tags = json.loads(record["Tags"]) if record["Tags"] not in ("", "NULL") else {}
            key = tags.get("environment")
            expected[key] = expected.get(key, Decimal(0)) + Decimal(record["EffectiveCost"])
    loaded = con.execute(
        "SELECT t.TagValue, sum(r.EffectiveCost) FROM daily_costs r "
        "LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'environment' GROUP BY 1"
    ).fetchall()
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in loaded} == {
        k: v.quantize(Decimal("0.01")) for k, v in expected.items()
    }


def test_the_same_file_twice_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(FOCUS_SAMPLE)])
    before = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone()
    [again] = ingest_paths(con, [str(FOCUS_SAMPLE)])
    assert again.status == "unchanged"
    assert con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone() == before
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (1,)


def test_a_redelivered_billing_period_replaces_the_earlier_copy(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "may-v1.csv", [row(BilledCost="10"), row(BilledCost="5")])
    second = write_csv(tmp_path / "may-v2.csv", [row(BilledCost="7")])
    ingest_paths(con, [str(first)])
    [report] = ingest_paths(con, [str(second)])
    assert report.replaced == [f"2026-05 from {first}"]
    assert con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone() == (1, Decimal("7"))
    assert con.execute("SELECT sum(BilledCost) FROM daily_costs").fetchone() == (Decimal("7"),)
    assert [r[0] for r in con.execute("SELECT x_SourceFile FROM sources").fetchall()] == [str(second)]


def test_other_billing_periods_and_accounts_survive_a_redelivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    april = row(
        BillingPeriodStart="2026-04-01",
        BillingPeriodEnd="2026-05-01",
        ChargePeriodStart="2026-04-02",
        ChargePeriodEnd="2026-04-03",
        BilledCost="3",
    )
    other_account = row(BillingAccountId="acct-2", BilledCost="4")
    ingest_paths(con, [str(write_csv(tmp_path / "a.csv", [april, row(BilledCost="10"), other_account]))])
    ingest_paths(con, [str(write_csv(tmp_path / "b.csv", [row(BilledCost="1")]))])
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("8"),)


def test_parts_of_one_export_in_one_ingest_add_up(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "part-1.csv", [row(BilledCost="10")])
    write_csv(folder / "part-2.csv", [row(BilledCost="5", ResourceId="i-2")])
    reports = ingest_paths(con, [str(folder)])
    assert [r.rows_loaded for r in reports] == [1, 1]
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("15"),)


def test_gzip_and_parquet_copies_load_the_same_totals(tmp_path: Path) -> None:
    gz = tmp_path / "sample.csv.gz"
    with FOCUS_SAMPLE.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    parquet = tmp_path / "sample.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{FOCUS_SAMPLE}', nullstr='NULL')) TO '{parquet}' (FORMAT parquet)"
    )
    expected = cents(csv_sum(FOCUS_SAMPLE, "BilledCost", by="BillingCurrency"))
    for path in (gz, parquet):
        con = connect(tmp_path / f"{path.suffix}.duckdb")
        [report] = ingest_paths(con, [str(path)])
        assert report.rows_loaded == 1000
        assert cents(totals(con, "BilledCost")) == expected
        con.close()


def test_a_focus_1_3_file_without_provider_name_uses_service_provider_name(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    record = row(ServiceProviderName="AWS", HostProviderName="AWS", ContractApplied=None)
    del record["ProviderName"]
    [report] = ingest_paths(con, [str(write_csv(tmp_path / "focus13.csv", [record]))])
    assert con.execute("SELECT ProviderName, ServiceProviderName FROM line_items").fetchone() == ("AWS", "AWS")
    assert any("ServiceProviderName" in fix for fix in report.fixes)


def test_quirky_values_are_read_and_reported(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    quirky = row(
        ProviderName="Microsoft",
        BillingCurrency="EUR",
        BilledCost="1.5E+2",
        ChargePeriodStart="9/2/2023",
        ChargePeriodEnd="9/3/2023 00:00",
        BillingPeriodStart="2023-09-01",
        BillingPeriodEnd="2023-09-30",
        ChargeCategory="usage",
        SubAccountName="Unassigned",
        Tags='"team": "data","env":"prod"',
    )
    [report] = ingest_paths(con, [str(write_csv(tmp_path / "quirky.csv", [quirky], encoding="utf-8-sig"))])
    got = con.execute(
        "SELECT BilledCost, ChargePeriodStart, ChargePeriodEnd, BillingPeriodEnd, ChargeCategory, SubAccountName "
        "FROM line_items"
    ).fetchone()
    assert got is not None
    assert got[0] == Decimal("150")
    assert str(got[1]) == "2023-09-02 00:00:00" and str(got[2]) == "2023-09-03 00:00:00"
    assert str(got[3]) == "2023-10-01 00:00:00"
    assert got[4] == "Usage" and got[5] is None
    tags = dict(con.execute("SELECT TagKey, TagValue FROM tag_sets").fetchall())
    assert tags == {"team": "data", "env": "prod"}
    assert any("braces" in fix for fix in report.fixes)


def test_timestamps_with_an_offset_are_converted_to_utc(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    shifted = row(ChargePeriodStart="2026-05-03T00:00:00-05:00", ChargePeriodEnd="2026-05-03T01:00:00-05:00")
    ingest_paths(con, [str(write_csv(tmp_path / "offset.csv", [shifted]))])
    assert str(con.execute("SELECT ChargePeriodStart FROM line_items").fetchone()[0]) == "2026-05-03 05:00:00"  # type: ignore[index]


def test_a_value_that_is_not_a_number_refuses_the_file_naming_row_and_field(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "bad.csv", [row(), row(), row(EffectiveCost="12,50")])
    with pytest.raises(IngestError, match=r"bad.csv: row 3, EffectiveCost: '12,50' is not a number"):
        ingest_paths(con, [str(path)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (0,)


def test_an_empty_mandatory_value_refuses_the_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nocost.csv", [row(BilledCost=None)])
    with pytest.raises(IngestError, match="row 1, BilledCost: is empty"):
        ingest_paths(con, [str(path)])


def test_sources_report_rows_periods_and_totals_per_currency(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "two.csv", [row(BilledCost="10.005"), row(BillingCurrency="EUR", BilledCost="2")])
    ingest_paths(con, [str(path)])
    [entry] = list_sources(DuckDBEngine(con))
    assert entry["rows"] == 2 and entry["billing_periods"] == ["2026-05"]
    assert entry["totals"] == {"USD": 10.01, "EUR": 2.0}


def test_parquet_with_typed_columns_and_a_map_of_tags_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "aws-focus.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT 12.5::DOUBLE AS BilledCost, 10.0::DOUBLE AS EffectiveCost, 'acct' AS BillingAccountId,
                  'USD' AS BillingCurrency, TIMESTAMPTZ '2026-05-01 00:00:00+00' AS BillingPeriodStart,
                  TIMESTAMPTZ '2026-06-01 00:00:00+00' AS BillingPeriodEnd, 'Usage' AS ChargeCategory,
                  TIMESTAMP '2026-05-02 10:00:00' AS ChargePeriodStart,
                  TIMESTAMP '2026-05-02 11:00:00' AS ChargePeriodEnd,
                  'AWS' AS ProviderName, 'Amazon EC2' AS ServiceName,
                  MAP {{'team': 'payments', 'cost-center': 'CC-1'}} AS Tags)
            TO '{path}' (FORMAT parquet)"""
    )
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_loaded == 1
    assert con.execute("SELECT BilledCost, BillingPeriodStart FROM line_items").fetchone() == (
        Decimal("12.5"),
        dt.datetime(2026, 5, 1),
    )
    assert dict(con.execute("SELECT TagKey, TagValue FROM tag_sets").fetchall()) == {
        "team": "payments",
        "cost-center": "CC-1",
    }


def test_a_semicolon_separated_file_loads_and_the_delimiter_is_reported(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "semi.csv", [row(BilledCost="3.5"), row(BilledCost="1.5")])
    path.write_text(path.read_text().replace(",", ";"))
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_loaded == 2 and "fields separated by semicolons, not commas" in report.fixes
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("5"),)


def test_quoted_numbers_a_byte_order_mark_and_a_longer_header_are_read(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "odd.csv", [row(BilledCost="1.25"), row(BilledCost="2")], encoding="utf-8-sig")
    header, *lines = path.read_text(encoding="utf-8-sig").splitlines()
    quoted = [line.replace("1.25", '"1.25"') for line in lines]
    path.write_text("\n".join([header + ",x_Extra", *quoted]) + "\n", encoding="utf-8-sig")
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_loaded == 2
    assert con.execute("SELECT sum(BilledCost), min(BillingAccountId) FROM line_items").fetchone() == (
        Decimal("3.25"),
        "acct-1",
    )


def test_a_gzip_file_named_csv_is_read_by_its_bytes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "plain.csv", [row(BilledCost="4")])
    disguised = tmp_path / "disguised.csv"
    disguised.write_bytes(gzip.compress(plain.read_bytes()))
    [report] = ingest_paths(con, [str(disguised)])
    assert report.rows_loaded == 1


@pytest.mark.slow
def test_times_without_an_offset_are_utc_whatever_the_host_time_zone(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "late.csv", [row(ChargePeriodStart="2026-05-31 23:00:00", ChargePeriodEnd="2026-06-01")]
    )
    db = tmp_path / "tz.duckdb"
    env = {**os.environ, "TZ": "America/New_York"}
    command = [sys.executable, "-m", "analytics", "ingest", str(path), "--db", str(db)]
    subprocess.run(command, cwd=Path(__file__).resolve().parents[1], env=env, check=True, capture_output=True)
    con = connect(db)
    assert con.execute("SELECT ChargePeriodStart, BillingPeriodStart FROM line_items").fetchone() == (
        dt.datetime(2026, 5, 31, 23),
        dt.datetime(2026, 5, 1),
    )
    assert con.execute("SELECT ChargeDay FROM daily_costs").fetchone() == (dt.date(2026, 5, 31),)
    con.close()


def test_a_file_that_fails_inside_the_load_leaves_no_tag_sets_behind(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("analytics.ingest.load.build_rollup", broken)
    path = write_csv(tmp_path / "tagged.csv", [row(Tags={"team": "payments"})])
    with pytest.raises(IngestError, match="RuntimeError: disk full"):
        ingest_paths(con, [str(path)])
    for table in ("tag_sets", "line_items", "sources", "daily_costs"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_source_totals_round_half_cents_up_exactly(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest_paths(con, [str(write_csv(tmp_path / "half.csv", [row(BilledCost="1.005"), row(BilledCost="1.67")]))])
    [entry] = list_sources(DuckDBEngine(con))
    assert entry["totals"] == {"USD": 2.68}
