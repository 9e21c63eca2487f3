"""Oracle Cloud legacy cost reports into the store: Σ BilledCost = Σ cost/myCost per currency to the
cent, `tags/<namespace>.<key>` columns as tags, minutes-only times, corrections, bad values refused.
The fixture is written here, in the layout of a real `reports/cost-csv` file (its header names)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.realdata import cents, csv_sum
from tests.store_state import fingerprint

TENANCY = "ocid1.tenancy.oc1..aaaafixturetenancy"
SUBSCRIPTION = "ocid1.organizationssubscription.oc1.eu-frankfurt-1.aaaafixture"
BACKSLASH_TAG = "tags/Lab\\analytics-lab.release"
HEADER = [
    "lineItem/referenceNo",
    "lineItem/tenantId",
    "lineItem/intervalUsageStart",
    "lineItem/intervalUsageEnd",
    "product/service",
    "product/compartmentId",
    "product/compartmentName",
    "product/region",
    "product/availabilityDomain",
    "product/resourceId",
    "usage/billedQuantity",
    "usage/billedQuantityOverage",
    "cost/subscriptionId",
    "cost/productSku",
    "product/Description",
    "cost/unitPrice",
    "cost/unitPriceOverage",
    "cost/myCost",
    "cost/myCostOverage",
    "cost/currencyCode",
    "cost/billingUnitReadable",
    "cost/skuUnitDescription",
    "cost/overageFlag",
    "lineItem/isCorrection",
    "lineItem/backreferenceNo",
    "tags/Oracle-Tags.CreatedBy",
    "tags/Finance.CostCenter",
    BACKSLASH_TAG,
]


def line(reference: str, service: str, start: str, end: str, cost: str, **extra: str) -> dict[str, str]:
    record = dict.fromkeys(HEADER, "")
    record |= {
        "lineItem/referenceNo": reference,
        "lineItem/tenantId": TENANCY,
        "lineItem/intervalUsageStart": start,
        "lineItem/intervalUsageEnd": end,
        "product/service": service,
        "product/compartmentId": "ocid1.compartment.oc1..aaaafixtureapps",
        "product/compartmentName": "apps",
        "product/region": "eu-frankfurt-1",
        "product/resourceId": f"ocid1.{service.lower()}.oc1.eu-frankfurt-1.{reference}",
        "usage/billedQuantity": "1.000000000000000000",
        "cost/subscriptionId": SUBSCRIPTION,
        "cost/productSku": "B00001",
        "product/Description": f"{service.title()} - fixture",
        "cost/unitPrice": cost,
        "cost/myCost": cost,
        "cost/currencyCode": "EUR",
        "cost/skuUnitDescription": "OCPU Per Hour",
        "cost/overageFlag": "false",
        "lineItem/isCorrection": "false",
    }
    return record | extra


def report_rows() -> list[dict[str, str]]:
    return [
        line(
            "r1",
            "COMPUTE",
            "2024-03-01T00:00Z",  # minutes without seconds, as OCI writes the start
            "2024-03-01T01:00:00Z",
            "0.147171330000000000",
            **{"tags/Oracle-Tags.CreatedBy": "default/ana@example.com", BACKSLASH_TAG: "v2"},
        ),
        line("r2", "TELEMETRY", "2024-03-01T00:00Z", "2024-03-01T01:00:00Z", "2.323760000E-9"),
        line(
            "r3",
            "DATABASE",
            "2024-03-01T01:00Z",
            "2024-03-01T02:00:00Z",
            "12.526669890000000000",
            **{"tags/Finance.CostCenter": "607825", "tags/Oracle-Tags.CreatedBy": "default/ana@example.com"},
        ),
        line(
            "r4",
            "DATABASE",
            "2024-03-02T01:00Z",
            "2024-03-02T02:00:00Z",
            "-1.250000000000000000",
            **{"lineItem/isCorrection": "true", "lineItem/backreferenceNo": "r3"},
        ),
        line("r5", "OBJECTSTORE", "2024-03-31T23:00Z", "2024-04-01T00:00:00Z", "0.009914700000000000"),
        line(
            "r6",
            "NETWORK",
            "2024-03-15T10:00Z",
            "2024-03-15T11:00:00Z",
            "3.5",
            **{"cost/currencyCode": "USD", "tags/Finance.CostCenter": "  "},
        ),
    ]


def write_report(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def cost_report(tmp_path: Path) -> Path:
    return write_report(tmp_path / "reports_cost-csv_0000000001.csv", report_rows())


def loaded(con: duckdb.DuckDBPyConnection, column: str = "BilledCost", table: str = "line_items") -> dict[str, Decimal]:
    rows = con.execute(f"SELECT BillingCurrency, sum({column}) FROM {table} GROUP BY 1").fetchall()
    return {currency: Decimal(str(amount)) for currency, amount in rows}


def test_an_oci_cost_report_ties_out_to_my_cost_per_currency(con: duckdb.DuckDBPyConnection, cost_report: Path) -> None:
    [report] = ingest_paths(con, [str(cost_report)])
    assert report.format == "oci"
    assert report.rows_read == report.rows_loaded == 6 and not report.skipped
    expected = csv_sum(cost_report, "cost/myCost", by="cost/currencyCode")
    assert expected == {"EUR": Decimal("11.43375592232376"), "USD": Decimal("3.5")}
    assert cents(loaded(con)) == cents(loaded(con, "BilledCost", "daily_costs")) == cents(expected)
    assert cents(loaded(con, "EffectiveCost")) == cents(expected)
    # 12 decimal places are kept: only the 2.3e-9 line loses digits beyond them.
    assert loaded(con)["EUR"] == Decimal("11.433755922324")


def test_times_without_seconds_and_calendar_month_billing_periods(
    con: duckdb.DuckDBPyConnection, cost_report: Path
) -> None:
    ingest_paths(con, [str(cost_report)])
    first = con.execute(
        "SELECT ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, BillingPeriodEnd FROM line_items "
        "ORDER BY ChargePeriodStart LIMIT 1"
    ).fetchone()
    assert first == (
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 3, 1, 1),
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 4, 1),
    )
    periods = con.execute("SELECT DISTINCT BillingPeriodStart FROM line_items").fetchall()
    assert periods == [(dt.datetime(2024, 3, 1),)]


def test_tag_columns_become_tags_keyed_namespace_dot_key(con: duckdb.DuckDBPyConnection, cost_report: Path) -> None:
    ingest_paths(con, [str(cost_report)])
    tags = dict(
        con.execute(
            "SELECT l.ChargeDescription || '|' || t.TagKey, t.TagValue "
            "FROM line_items l JOIN tag_sets t USING (x_TagSetId)"
        ).fetchall()
    )
    assert tags == {
        "Compute - fixture|Oracle-Tags.CreatedBy": "default/ana@example.com",
        "Compute - fixture|Lab\\analytics-lab.release": "v2",
        "Database - fixture|Oracle-Tags.CreatedBy": "default/ana@example.com",
        "Database - fixture|Finance.CostCenter": "607825",
    }
    untagged = con.execute("SELECT count(*) FROM line_items WHERE x_TagSetId IS NULL").fetchone()
    assert untagged == (4,)  # blank cells are no tag


def test_accounts_services_and_corrections_map_onto_focus(con: duckdb.DuckDBPyConnection, cost_report: Path) -> None:
    [report] = ingest_paths(con, [str(cost_report)])
    rows = con.execute(
        "SELECT DISTINCT ProviderName, BillingAccountId, SubAccountId, ChargeCategory, ChargeFrequency FROM line_items"
    ).fetchall()
    assert rows == [("Oracle", SUBSCRIPTION, TENANCY, "Usage", "Usage-Based")]
    classes = dict(con.execute("SELECT ResourceId, ChargeClass FROM line_items").fetchall())
    assert classes["ocid1.database.oc1.eu-frankfurt-1.r4"] == "Correction"
    assert classes["ocid1.database.oc1.eu-frankfurt-1.r3"] is None
    categories = dict(con.execute("SELECT DISTINCT ServiceName, ServiceCategory FROM line_items").fetchall())
    assert categories == {
        "COMPUTE": "Compute",
        "TELEMETRY": "Management and Governance",
        "DATABASE": "Databases",
        "OBJECTSTORE": "Storage",
        "NETWORK": "Networking",
    }
    assert any("ListCost is not in OCI cost reports" in warning for warning in report.warnings)


def test_overage_cost_is_reported_not_added(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = report_rows()
    rows[0]["cost/myCostOverage"] = "0.5"
    [report] = ingest_paths(con, [str(write_report(tmp_path / "overage.csv", rows))])
    assert any("cost/myCostOverage sums to 0.5" in warning for warning in report.warnings)
    assert cents(loaded(con)) == cents(csv_sum(tmp_path / "overage.csv", "cost/myCost", by="cost/currencyCode"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cost/myCost", "1,25", r"row 3, cost/myCost: '1,25' is not a number"),
        ("cost/myCost", "", r"row 3, cost/myCost: is empty"),
        ("lineItem/intervalUsageStart", "13/45/2024", r"row 3, lineItem/intervalUsageStart: '13/45/2024' is not a"),
        ("usage/billedQuantity", "lots", r"row 3, ConsumedQuantity: 'lots' is not a number"),
    ],
)
def test_an_unreadable_value_names_file_row_and_field_and_changes_nothing(
    con: duckdb.DuckDBPyConnection, cost_report: Path, tmp_path: Path, field: str, value: str, message: str
) -> None:
    ingest_paths(con, [str(cost_report)])
    before = fingerprint(con)
    rows = report_rows()
    rows[2][field] = value
    with pytest.raises(IngestError, match=rf"bad\.csv: {message}"):
        ingest_paths(con, [str(write_report(tmp_path / "bad.csv", rows))])
    assert fingerprint(con) == before


def test_a_report_without_my_cost_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "cost/myCost"} for r in report_rows()]
    with pytest.raises(IngestError, match=r"needs the columns cost/myCost$"):
        ingest_paths(con, [str(write_report(tmp_path / "no-cost.csv", rows))], fmt="oci")


def test_numbered_report_files_loaded_one_call_at_a_time_add_up(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = report_rows()
    first = write_report(tmp_path / "reports_cost-csv_0000000030000001.csv", rows[:3])
    second = write_report(tmp_path / "reports_cost-csv_0000000030000002.csv", rows[3:])
    ingest_paths(con, [str(first)])
    ingest_paths(con, [str(second)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (len(rows),)
    (tmp_path / "again").mkdir()
    again = write_report(tmp_path / "again" / "reports_cost-csv_0000000030000002.csv", rows[3:4])
    [report] = ingest_paths(con, [str(again)])
    assert report.replaced == [f"the earlier copy {second}"]
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (2,)


def test_the_same_report_name_from_another_tenancy_adds_rather_than_replaces(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = report_rows()
    for tenancy in ("a", "b"):
        (tmp_path / tenancy).mkdir()
        other = [{**r, "cost/subscriptionId": f"{SUBSCRIPTION}-{tenancy}"} for r in rows]
        ingest_paths(con, [str(write_report(tmp_path / tenancy / "reports_cost-csv_0000000030000001.csv", other))])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (2 * len(rows),)
