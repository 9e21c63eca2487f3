"""Azure cost details into the store: every header generation, totals to the cent against independent
sums, and the actual + amortized views of one period combined without counting anything twice."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.realdata import REALDATA, cents, csv_sum

AZURE = REALDATA / "azure"
CAD = AZURE / "ea-actual-anonymous-cad.csv"
ACTUAL = AZURE / "ea-actual-small.csv"
AMORTIZED = AZURE / "ea-amortized-small.csv"
FIXTURES = Path(__file__).parent / "data" / "azure"
CENT = Decimal("0.01")


def sums(
    con: duckdb.DuckDBPyConnection, column: str, table: str = "line_items", exact: bool = False
) -> dict[str, Decimal]:
    rows = con.execute(f"SELECT BillingCurrency, sum({column}) FROM {table} GROUP BY 1").fetchall()
    return {
        currency: Decimal(str(amount)).normalize() if exact else Decimal(str(amount)).quantize(CENT)
        for currency, amount in rows
    }


def count(con: duckdb.DuckDBPyConnection, sql: str = "SELECT count(*) FROM line_items") -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize(
    ("path", "cost", "currency"),
    [(CAD, "CostInBillingCurrency", "BillingCurrencyCode"), (ACTUAL, "Cost", "BillingCurrency")],
)
def test_a_real_actual_export_ties_out_to_its_cost_in_billing_currency(
    con: duckdb.DuckDBPyConnection, path: Path, cost: str, currency: str
) -> None:
    [report] = ingest_paths(con, [str(path)])
    expected = cents(csv_sum(path, cost, by=currency))
    assert report.format == "azure"
    assert sums(con, "BilledCost") == sums(con, "BilledCost", "daily_costs") == expected
    assert report.rows_loaded == report.rows_read == count(con)
    assert any("actual cost" in fix for fix in report.fixes)


def test_the_cad_file_totals_are_the_ones_computed_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(CAD)])
    assert sums(con, "BilledCost") == {"CAD": Decimal("1.26")}
    assert count(con) == 27


@pytest.mark.parametrize("order", [(ACTUAL, AMORTIZED), (AMORTIZED, ACTUAL)])
def test_actual_and_amortized_of_one_period_give_billed_from_one_and_effective_from_the_other(
    con: duckdb.DuckDBPyConnection, order: tuple[Path, Path]
) -> None:
    for path in order:
        ingest_paths(con, [str(path)])
    billed, effective = csv_sum(ACTUAL, "Cost", by="BillingCurrency"), csv_sum(AMORTIZED, "Cost", by="BillingCurrency")
    assert (
        sums(con, "BilledCost") == sums(con, "BilledCost", "daily_costs") == cents(billed) == {"USD": Decimal("8.55")}
    )
    assert sums(con, "EffectiveCost") == sums(con, "EffectiveCost", "daily_costs") == cents(effective)
    assert cents(effective) == {"USD": Decimal("16.30")}
    # 10 charges are in both files, 1 purchase only in the actual, 18 rows only in the amortized.
    labels = dict(con.execute("SELECT x_SourceFormat, count(*) FROM line_items GROUP BY 1").fetchall())
    assert labels == {"azure-actual+amortized": 10, "azure-actual": 1, "azure-amortized": 18}


def test_both_views_in_one_batch_are_combined_too(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    for path in (ACTUAL, AMORTIZED):
        shutil.copy(path, tmp_path / path.name)
    ingest_paths(con, [str(tmp_path)])
    assert sums(con, "BilledCost") == {"USD": Decimal("8.55")}
    assert sums(con, "EffectiveCost") == {"USD": Decimal("16.30")}
    assert count(con) == 29


def test_the_purchase_is_billed_and_the_reservation_usage_carries_its_amortised_cost(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ingest_paths(con, [str(ACTUAL), str(AMORTIZED)])
    purchase = con.execute(
        "SELECT BilledCost, EffectiveCost, CommitmentDiscountType FROM line_items WHERE ChargeCategory = 'Purchase'"
    ).fetchall()
    assert [(float(b), float(e), t) for b, e, t in purchase] == [(3.25, 0.0, "Reservation")]
    used = con.execute(
        "SELECT CommitmentDiscountType, CommitmentDiscountCategory, sum(BilledCost), sum(EffectiveCost) "
        "FROM line_items WHERE CommitmentDiscountStatus = 'Used' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [(t, c, float(b)) for t, c, b, _ in used] == [("Reservation", "Usage", 0.0), ("Savings Plan", "Spend", 0.0)]
    assert all(e > 0 for *_, e in used)


def test_an_amortized_export_alone_bills_nothing_for_covered_usage(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(AMORTIZED)])
    covered = count(con, "SELECT count(*) FROM line_items WHERE PricingCategory = 'Committed' AND BilledCost = 0")
    assert covered == 2
    assert sums(con, "EffectiveCost") == cents(csv_sum(AMORTIZED, "Cost", by="BillingCurrency"))
    assert any("amortized view only" in warning for warning in report.warnings)


@pytest.mark.slow
def test_the_same_files_again_change_nothing(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(ACTUAL)])
    ingest_paths(con, [str(AMORTIZED)])
    before = (sums(con, "BilledCost"), sums(con, "EffectiveCost"), count(con))
    for path in (AMORTIZED, ACTUAL, AMORTIZED):
        ingest_paths(con, [str(path)])
        assert (sums(con, "BilledCost"), sums(con, "EffectiveCost"), count(con)) == before
    [again] = ingest_paths(con, [str(CAD)])
    [same] = ingest_paths(con, [str(CAD)])
    assert again.status == "loaded" and same.status == "unchanged"


@pytest.mark.slow
def test_a_newer_delivery_of_the_actual_view_replaces_the_older_one(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest_paths(con, [str(ACTUAL), str(AMORTIZED)])
    newer = tmp_path / "actual-newer.csv"
    lines = ACTUAL.read_text(encoding="utf-8-sig").splitlines()
    newer.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # the last row was re-rated away
    ingest_paths(con, [str(newer)])
    assert sums(con, "BilledCost") == cents(csv_sum(newer, "Cost", by="BillingCurrency"))
    assert sums(con, "EffectiveCost") == {"USD": Decimal("16.30")}


def test_azure_tags_without_braces_are_parsed(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(ACTUAL)])
    assert any("outer braces" in fix for fix in report.fixes)
    tags = dict(
        con.execute(
            "SELECT t.TagValue, count(*) FROM line_items l JOIN tag_sets t USING (x_TagSetId) "
            "WHERE t.TagKey = 'env' GROUP BY 1"
        ).fetchall()
    )
    with ACTUAL.open(encoding="utf-8-sig", newline="") as handle:
        expected = sum('"env": "prod"' in record["Tags"] for record in csv.DictReader(handle))
    assert tags == {"prod": expected} and expected == 5


def test_the_mapping_uses_microsofts_tables_for_service_region_and_unit(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(CAD)])
    row = con.execute(
        "SELECT ServiceName, ServiceCategory, RegionId, RegionName, PricingUnit, PricingQuantity, ProviderName, "
        "CAST(ChargePeriodStart AS DATE)::VARCHAR, CAST(ChargePeriodEnd AS DATE)::VARCHAR, "
        "CAST(BillingPeriodEnd AS DATE)::VARCHAR "
        "FROM line_items WHERE SkuMeter = 'Class 2 Operations'"
    ).fetchone()
    assert row is not None
    assert row[:5] == ("Storage Accounts", "Storage", "centralus", "Central US", "Units")
    assert row[5] == pytest.approx(129.0)  # 0.0129 of "10K"
    assert row[6:] == ("Microsoft", "2023-09-02", "2023-09-03", "2023-10-01")
    assert count(con, "SELECT count(*) FROM line_items WHERE PricingCategory = 'Dynamic'") == 3  # Spot


@pytest.mark.parametrize(
    ("name", "generation", "expected", "rows"),
    [
        ("v1-pascal.csv", "v1 PascalCase", {"USD": Decimal("3.875")}, 3),  # 1.25 + 2.50 + 0.125
        ("v1-camel.csv", "v1 camelCase", {"EUR": Decimal("15.565")}, 3),  # 10.00 + 0.01 + 5.555
        ("v2-camel-mca.csv", "v2 camelCase MCA", {"EUR": Decimal("3.63")}, 3),  # 1.10 + 2.20 + 0.33 tax
    ],
)
def test_every_header_generation_is_detected_and_ties_out(
    con: duckdb.DuckDBPyConnection, name: str, generation: str, expected: dict[str, Decimal], rows: int
) -> None:
    [report] = ingest_paths(con, [str(FIXTURES / name)])
    assert report.format == "azure"
    assert any(generation in fix for fix in report.fixes)
    assert sums(con, "BilledCost", exact=True) == sums(con, "EffectiveCost", exact=True) == expected
    assert report.rows_read == report.rows_loaded == rows


def test_v1_takes_its_billing_period_from_the_month_and_its_account_from_the_subscription(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ingest_paths(con, [str(FIXTURES / "v1-camel.csv")])
    periods = con.execute(
        "SELECT DISTINCT CAST(BillingPeriodStart AS DATE)::VARCHAR, CAST(BillingPeriodEnd AS DATE)::VARCHAR, "
        "BillingAccountId, "
        "BillingAccountType FROM line_items"
    ).fetchall()
    assert periods == [("2019-08-01", "2019-09-01", "11111111-2222-3333-4444-555555555555", "Subscription")]


def test_mca_bills_per_billing_profile_and_maps_tax(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [str(FIXTURES / "v2-camel-mca.csv")])
    accounts = con.execute("SELECT DISTINCT BillingAccountId, BillingAccountType FROM line_items").fetchall()
    assert accounts == [("NF5V-BI6B-BG7-PGB", "Billing Profile")]
    categories = dict(con.execute("SELECT ChargeCategory, count(*) FROM line_items GROUP BY 1").fetchall())
    assert categories == {"Usage": 2, "Tax": 1}
    list_cost = con.execute("SELECT sum(ListCost) FROM line_items").fetchone()
    assert list_cost is not None and Decimal(str(list_cost[0])).quantize(CENT) == Decimal("3.93")


def test_an_unreadable_date_names_the_row_and_leaves_the_store_as_it_was(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "v1-pascal.csv").read_text().replace("2019-07-29 00:00:00", "29th of July")
    bad.write_text(text)
    with pytest.raises(IngestError, match="row 2, ChargePeriodStart: '29th of July'"):
        ingest_paths(con, [str(bad)])
    assert count(con) == 0
