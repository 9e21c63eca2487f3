"""AWS CUR (legacy CSV, CUR 2.0 / Athena snake_case, Parquet) into the store: totals tie out to
Σ lineItem/UnblendedCost to the cent, rows are accounted for, tags group, bad files are refused."""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.realdata import REALDATA, cents, csv_sum
from tests.store_state import db_fingerprint
from tests.test_bad_input import run_cli

CUR = REALDATA / "aws-cur" / "cur-legacy-anonymous.csv"
CENT = Decimal("0.01")
# Tags added to a copy of the real file (it has none): a team per product, and an AWS-made tag.
TEAMS = {"AmazonS3": "storage", "AWSGlue": "data", "AWSQueueService": "messaging", "AmazonSNS": "messaging"}
ODD_KEY = 'o\'brien "x"'  # a tag key needing quoting in SQL


def loaded(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Decimal]:
    return cents({str(k): v for k, v in con.execute(sql).fetchall()})


def records(path: Path = CUR) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(key for r in rows for key in r))
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:  # type: ignore[operator]
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def tagged(record: dict[str, str]) -> dict[str, str]:
    code = record["lineItem/ProductCode"]
    return {
        **record,
        "resourceTags/user:team": TEAMS.get(code, ""),
        "resourceTags/aws:createdBy": "ci-pipeline" if code == "AWSGlue" else "",
        f"resourceTags/user:{ODD_KEY}": "yes" if code == "AmazonSNS" else "",
        "costCategory/Project": "alpha",
    }


@pytest.fixture
def tagged_cur(tmp_path: Path) -> Path:
    return write(tmp_path / "tagged-cur.csv", [tagged(r) for r in records()])


# ---- the real legacy CUR -------------------------------------------------------------------


def test_the_real_legacy_cur_ties_out_to_unblended_cost_per_currency(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(CUR)])
    expected = cents(csv_sum(CUR, "lineItem/UnblendedCost", by="lineItem/CurrencyCode"))
    assert expected == {"USD": Decimal("1.68")}
    assert report.format == "aws-cur"
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1") == expected
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM daily_costs GROUP BY 1") == expected
    exact = con.execute("SELECT sum(BilledCost) FROM line_items").fetchone()
    assert exact and Decimal(exact[0]) == sum(csv_sum(CUR, "lineItem/UnblendedCost").values())


def test_every_row_of_the_real_cur_is_loaded_or_skipped_with_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(CUR)])
    assert report.rows_read == len(records()) == 1281
    assert report.rows_loaded + sum(report.skipped.values()) == report.rows_read
    assert report.billing_periods == ["2023-11"]


def test_the_real_cur_maps_onto_focus_values(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(CUR)])
    categories = dict(con.execute("SELECT ChargeCategory, count(*) FROM line_items GROUP BY 1").fetchall())
    assert categories == {"Usage": 1269, "Tax": 12}
    row = con.execute(
        "SELECT ProviderName, BillingAccountId, SubAccountId, ServiceCategory, RegionId, BillingPeriodStart, "
        "BillingPeriodEnd, ChargeFrequency, PricingCategory FROM line_items "
        "WHERE ServiceName = 'Amazon Simple Storage Service' AND RegionId = 'ca-central-1' LIMIT 1"
    ).fetchone()
    assert row is not None
    assert row[:5] == ("AWS", "123412340534", "123412340534", "Storage", "ca-central-1")
    assert (str(row[5]), str(row[6]), row[7], row[8]) == (
        "2023-11-01 00:00:00",
        "2023-12-01 00:00:00",
        "Usage-Based",
        "Standard",
    )
    list_cost = loaded(con, "SELECT 'USD', sum(ListCost) FROM line_items")
    assert list_cost == cents(csv_sum(CUR, "pricing/publicOnDemandCost", by="lineItem/CurrencyCode"))


def test_a_tag_grouping_equals_an_independent_sum(con: duckdb.DuckDBPyConnection, tagged_cur: Path) -> None:
    [report] = ingest_paths(con, [str(tagged_cur)])
    expected: dict[str, Decimal] = {}
    for record in records(tagged_cur):
        team = record["resourceTags/user:team"] or "(untagged)"
        expected[team] = expected.get(team, Decimal(0)) + Decimal(record["lineItem/UnblendedCost"])
    grouped = loaded(
        con,
        "SELECT coalesce(t.TagValue, '(untagged)'), sum(r.BilledCost) FROM daily_costs r "
        "LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team' GROUP BY 1",
    )
    assert grouped == cents(expected)
    keys = {r[0] for r in con.execute("SELECT DISTINCT TagKey FROM tag_sets").fetchall()}
    assert keys == {"team", "aws:createdBy", ODD_KEY}
    assert any("cost category" in w and "costCategory/Project" in w for w in report.warnings)


def test_reingesting_the_same_cur_changes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest_paths(con, [str(CUR)])
    before = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone()
    [again] = ingest_paths(con, [str(CUR)])
    assert again.status == "unchanged"
    # A re-delivery of the same billing period (another file) replaces the earlier one.
    redelivered = write(tmp_path / "redelivered.csv", records())
    [report] = ingest_paths(con, [str(redelivered)])
    assert report.replaced == [f"2023-11 from {CUR}"]
    assert con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone() == before


def test_a_gzipped_copy_gives_the_same_totals(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    packed = tmp_path / "cur-00001.csv.gz"
    packed.write_bytes(gzip.compress(CUR.read_bytes()))
    [report] = ingest_paths(con, [str(packed)])
    assert report.format == "aws-cur" and report.rows_loaded == 1281
    expected = cents(csv_sum(CUR, "lineItem/UnblendedCost", by="lineItem/CurrencyCode"))
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1") == expected


# ---- the manifest ----------------------------------------------------------------------------


def manifest(folder: Path, keys: list[str], start: str = "20231101T000000.000Z") -> Path:
    content = {
        "assemblyId": "0a1b2c",
        "reportKeys": keys,
        "billingPeriod": {"start": start, "end": "20231201T000000.000Z"},
        "columns": [{"category": "lineItem", "name": "UnblendedCost"}, {"category": "lineItem", "name": "TaxType"}]
        + [{"category": "resourceTags", "name": "user:owner"}],
    }
    path = folder / "cur-Manifest.json"
    path.write_text(json.dumps(content))
    return path


def test_the_manifest_gives_a_billing_period_the_file_lacks(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assembly = tmp_path / "20231101-20231201" / "0a1b2c"
    assembly.mkdir(parents=True)
    rows = [{k: v for k, v in r.items() if not k.startswith("bill/BillingPeriod")} for r in records()]
    data = write(assembly / "cur-00001.csv.gz", rows)
    manifest(tmp_path / "20231101-20231201", ["reports/cur/20231101-20231201/0a1b2c/cur-00001.csv.gz"])
    [report] = ingest_paths(con, [str(data)])
    assert report.billing_periods == ["2023-11"]
    assert any("taken from manifest cur-Manifest.json" in fix for fix in report.fixes)
    assert any("lists 1 columns the file lacks: resourceTags/user:owner" in w for w in report.warnings)


def test_a_manifest_for_another_period_or_file_is_reported_or_ignored(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    shutil.copy(CUR, tmp_path / "cur-00001.csv")
    manifest(tmp_path, ["reports/cur/x/cur-00001.csv"], start="20231001T000000.000Z")
    [report] = ingest_paths(con, [str(tmp_path / "cur-00001.csv")])
    assert any("other than manifest cur-Manifest.json's (2023-10)" in w for w in report.warnings)
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(CUR, other / "cur-00002.csv")
    manifest(other, ["reports/cur/x/some-other-file.csv"])
    con.execute("DELETE FROM sources")
    [report] = ingest_paths(con, [str(other / "cur-00002.csv")])
    assert not any("manifest" in text for text in report.fixes + report.warnings)


def test_a_folder_with_a_manifest_loads_only_the_data(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    shutil.copy(CUR, tmp_path / "cur-00001.csv")
    manifest(tmp_path, ["reports/cur/x/cur-00001.csv"])
    reports = ingest_paths(con, [str(tmp_path)])
    assert [Path(r.file).name for r in reports] == ["cur-00001.csv"]


# ---- CUR 2.0 and the Athena/Parquet layout --------------------------------------------------


def snake(legacy: str) -> str:
    category, _, name = legacy.partition("/")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", category + "_" + name).lower()


@pytest.fixture
def cur2_parquet(tmp_path: Path) -> Iterator[Path]:
    """The real rows as CUR 2.0 Parquet: snake_case columns, typed, tags in a `resource_tags` map."""
    source = duckdb.connect()
    source.execute("CREATE TABLE cur AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(CUR)])
    selects = []
    for name, *_ in source.execute("DESCRIBE cur").fetchall():
        target = snake(name)
        if target.endswith(("_cost", "_amount", "_rate")):
            selects.append(f'try_cast("{name}" AS DOUBLE) AS {target}')
        elif target.endswith("_date"):
            selects.append(f'CAST("{name}" AS TIMESTAMP) AS {target}')
        else:
            selects.append(f'"{name}" AS {target}')
    team = " ".join(f"WHEN '{code}' THEN '{team}'" for code, team in TEAMS.items())
    tags = (
        "map_from_entries(list_filter([{'k': 'user_team', 'v': CASE \"lineItem/ProductCode\" "
        f"{team} END}}, {{'k': 'aws_createdBy', 'v': CASE WHEN \"lineItem/ProductCode\" = 'AWSGlue' "
        "THEN 'ci-pipeline' END}], lambda e: e.v IS NOT NULL)) AS resource_tags"
    )
    path = tmp_path / "cur2.parquet"
    source.execute(f"COPY (SELECT {', '.join(selects)}, {tags} FROM cur) TO '{path}' (FORMAT parquet)")
    source.close()
    yield path


def test_cur2_parquet_gives_the_same_totals_and_tags(con: duckdb.DuckDBPyConnection, cur2_parquet: Path) -> None:
    [report] = ingest_paths(con, [str(cur2_parquet)])
    assert report.format == "aws-cur2" and report.rows_loaded == report.rows_read == 1281
    expected = cents(csv_sum(CUR, "lineItem/UnblendedCost", by="lineItem/CurrencyCode"))
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1") == expected
    teams = loaded(
        con,
        "SELECT coalesce(t.TagValue, '(untagged)'), sum(r.BilledCost) FROM daily_costs r "
        "LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team' GROUP BY 1",
    )
    independent: dict[str, Decimal] = {}
    for record in records():
        key = TEAMS.get(record["lineItem/ProductCode"], "(untagged)")
        independent[key] = independent.get(key, Decimal(0)) + Decimal(record["lineItem/UnblendedCost"])
    assert teams == cents(independent)
    keys = {r[0] for r in con.execute("SELECT DISTINCT TagKey FROM tag_sets").fetchall()}
    assert keys == {"team", "aws:createdBy"}
    periods = con.execute("SELECT DISTINCT BillingPeriodStart, ServiceName FROM line_items LIMIT 1").fetchone()
    assert periods is not None and str(periods[0]) == "2023-11-01 00:00:00"


def test_athena_csv_with_tag_columns_loads_like_the_legacy_cur(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        {**{snake(k): v for k, v in r.items()}, "resource_tags_user_team": TEAMS.get(r["lineItem/ProductCode"], "")}
        for r in records()
    ]
    [report] = ingest_paths(con, [str(write(tmp_path / "athena.csv", rows))])
    assert report.format == "aws-cur2"
    expected = cents(csv_sum(CUR, "lineItem/UnblendedCost", by="lineItem/CurrencyCode"))
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1") == expected
    assert {r[0] for r in con.execute("SELECT DISTINCT TagKey FROM tag_sets").fetchall()} == {"team"}


# ---- commitments, credits and the other line item types --------------------------------------


def line(kind: str, cost: str, **extra: str) -> dict[str, str]:
    base = {k: "" for k in records()[0]}
    base.update(
        {
            "bill/PayerAccountId": "111122223333",
            "bill/BillingPeriodStartDate": "2024-03-01T00:00:00Z",
            "bill/BillingPeriodEndDate": "2024-04-01T00:00:00Z",
            "lineItem/UsageAccountId": "444455556666",
            "lineItem/LineItemType": kind,
            "lineItem/UsageStartDate": "2024-03-05T00:00:00Z",
            "lineItem/UsageEndDate": "2024-03-05T01:00:00Z",
            "lineItem/ProductCode": "AmazonEC2",
            "lineItem/CurrencyCode": "EUR",
            "lineItem/UnblendedCost": cost,
        }
    )
    base.update({k.replace("__", "/"): v for k, v in extra.items()})
    return base


SCENARIO = [  # (row, expected ChargeCategory, expected EffectiveCost)
    (line("Usage", "1.00"), "Usage", "1.00"),
    (
        line("DiscountedUsage", "0", reservation__EffectiveCost="0.60", reservation__ReservationARN="arn:ri"),
        "Usage",
        "0.60",
    ),
    (
        line(
            "RIFee",
            "30.00",
            reservation__UnusedAmortizedUpfrontFeeForBillingPeriod="2.00",
            reservation__UnusedRecurringFee="3.00",
            reservation__ReservationARN="arn:ri",
        ),
        "Purchase",
        "5.00",
    ),  # fmt: skip
    (line("Fee", "100.00", reservation__ReservationARN="arn:ri"), "Purchase", "0"),
    (
        line(
            "SavingsPlanCoveredUsage",
            "2.00",
            savingsPlan__SavingsPlanEffectiveCost="1.40",
            savingsPlan__SavingsPlanARN="arn:sp",
        ),
        "Usage",
        "1.40",
    ),  # fmt: skip
    (line("SavingsPlanNegation", "-2.00", savingsPlan__SavingsPlanARN="arn:sp"), "Usage", "0"),
    (
        line(
            "SavingsPlanRecurringFee",
            "10.00",
            savingsPlan__TotalCommitmentToDate="10.00",
            savingsPlan__UsedCommitment="8.60",
            savingsPlan__SavingsPlanARN="arn:sp",
        ),
        "Purchase",
        "1.40",
    ),  # fmt: skip
    (line("SavingsPlanUpfrontFee", "500.00", savingsPlan__SavingsPlanARN="arn:sp"), "Purchase", "0"),
    (line("Tax", "4.00"), "Tax", "4.00"),
    (line("Credit", "-3.00"), "Credit", "-3.00"),
    (line("Refund", "-1.50"), "Credit", "-1.50"),
    (line("EdpDiscount", "-0.25"), "Credit", "-0.25"),
    (line("BundledDiscount", "-0.05"), "Credit", "-0.05"),
    (line("SomethingNew", "0.10"), "Adjustment", "0.10"),
]


def test_each_line_item_type_gets_its_charge_category_and_amortised_cost(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [{**r, "identity/LineItemId": str(i)} for i, (r, _, _) in enumerate(SCENARIO)]
    [report] = ingest_paths(con, [str(write(tmp_path / "mixed.csv", rows))])
    got = con.execute(
        "SELECT ChargeCategory, EffectiveCost, BilledCost, CommitmentDiscountId, CommitmentDiscountStatus "
        "FROM line_items ORDER BY ChargePeriodStart, BilledCost"
    ).fetchall()
    expected = sorted((c, Decimal(e), Decimal(r["lineItem/UnblendedCost"])) for r, c, e in SCENARIO)
    assert sorted((g[0], Decimal(g[1]).normalize(), Decimal(g[2]).normalize()) for g in got) == [
        (c, e.normalize(), b.normalize()) for c, e, b in expected
    ]
    assert any("SomethingNew" in w for w in report.warnings)
    used = con.execute("SELECT DISTINCT CommitmentDiscountId FROM line_items WHERE CommitmentDiscountStatus = 'Used'")
    assert {r[0] for r in used.fetchall()} == {"arn:ri", "arn:sp"}
    billed = loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1")
    assert billed == {"EUR": sum(Decimal(r["lineItem/UnblendedCost"]) for r, _, _ in SCENARIO).quantize(CENT)}


# ---- odd and bad input -----------------------------------------------------------------------


def test_empty_records_are_skipped_with_a_reason(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = CUR.read_text(encoding="utf-8")
    blank = "," * (text.splitlines()[0].count(",")) + "\n"
    path = tmp_path / "with-blank.csv"
    path.write_text(text + blank + blank, encoding="utf-8")
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_read == 1283 and report.rows_loaded == 1281
    assert sum(report.skipped.values()) == 2 and "skipped 2" in report.summary()


def test_a_header_with_more_fields_than_its_rows_and_fused_names_is_read(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = CUR.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "wide-header.csv"
    path.write_text("\n".join([lines[0] + ",pricing/OfferingClasspricing/PurchaseOption", *lines[1:]]) + "\n")
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_loaded == 1281
    assert any("pricing/OfferingClasspricing/PurchaseOption" in w for w in report.warnings)


@pytest.mark.slow
def test_an_unreadable_cost_names_file_row_and_column_and_leaves_the_db_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "aws.duckdb"
    assert run_cli("ingest", str(CUR), "--db", str(db)).returncode == 0
    rows = records()
    rows[41]["lineItem/UnblendedCost"] = "12,50"
    bad = write(tmp_path / "bad-cost.csv", rows)
    before = db_fingerprint(db)
    result = run_cli("ingest", str(bad), "--db", str(db))
    assert result.returncode != 0
    [message] = result.stderr.strip().splitlines()
    assert str(bad) in message and "row 42, lineItem/UnblendedCost: '12,50' is not a number" in message
    assert db_fingerprint(db) == before


def test_a_cur_without_its_payer_account_is_refused_by_name(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "bill/PayerAccountId"} for r in records()[:5]]
    with pytest.raises(IngestError, match="missing columns: bill/PayerAccountId"):
        ingest_paths(con, [str(write(tmp_path / "no-payer.csv", rows))])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_a_bad_usage_date_names_the_row(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = records()[:10]
    rows[6]["lineItem/UsageStartDate"] = "sometime"
    with pytest.raises(IngestError, match="row 7, ChargePeriodStart: 'sometime' is not a date/time"):
        ingest_paths(con, [str(write(tmp_path / "bad-date.csv", rows))])


def test_an_earlier_delivery_kept_beside_the_current_one_is_not_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    period = tmp_path / "20231101-20231201"
    for assembly in ("old-assembly", "new-assembly"):
        (period / assembly).mkdir(parents=True)
        shutil.copy(CUR, period / assembly / "cur-00001.csv")
    with (period / "old-assembly" / "cur-00001.csv").open("a") as older:
        older.write("\n")  # other bytes than the current delivery, as an earlier one would have
    manifest(period, ["reports/cur/20231101-20231201/new-assembly/cur-00001.csv"])
    reports = ingest_paths(con, [str(period)])
    assert sorted((Path(r.file).parent.name, r.status) for r in reports) == [
        ("new-assembly", "loaded"),
        ("old-assembly", "skipped"),
    ]
    expected = cents(csv_sum(CUR, "lineItem/UnblendedCost", by="lineItem/CurrencyCode"))
    assert loaded(con, "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY 1") == expected
