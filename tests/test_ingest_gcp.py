"""Google Cloud billing exports into the store: Σ BilledCost = Σ cost + Σ credits per currency to the
cent, as CSV with dotted names and as newline-delimited JSON; labels become tags; bad values refused."""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.realdata import REALDATA, cents, read_rows, write_rows
from tests.store_state import fingerprint

GCP_EXPORT = REALDATA / "gcp" / "billing-export-resource-2022-08.csv"
ARRAYS = ("credits", "labels", "project.labels", "system_labels")
NUMBERS = ("cost", "currency_conversion_rate", "usage.amount", "usage.amount_in_pricing_units")
# Python literals, as koku's CSV writes them (single quotes, None).
FREE_TRIAL = "[{'name': 'FreeTrial:Credit-0123', 'amount': -5e-06, 'full_name': None, 'id': 'c1', 'type': 'PROMOTION'}]"
TWO_CREDITS = (
    "[{'name': 'FreeTrial:Credit-0123', 'amount': -0.004, 'full_name': None, 'id': 'c1', 'type': 'PROMOTION'}, "
    "{'name': 'Sustained usage discount', 'amount': -1.25, 'full_name': None, 'id': 'c2', "
    "'type': 'SUSTAINED_USAGE_DISCOUNT'}]"
)


def cost_plus_credits(path: Path) -> dict[str, Decimal]:
    """The provider's own total, computed independently: Σ cost + Σ credits.amount per currency."""
    totals: dict[str, Decimal] = {}
    for record in read_rows(path):
        credits = ast.literal_eval(record["credits"]) if record["credits"] else []
        amount = Decimal(record["cost"]) + sum((Decimal(str(c["amount"])) for c in credits), Decimal(0))
        totals[record["currency"]] = totals.get(record["currency"], Decimal(0)) + amount
    return totals


def loaded(con: duckdb.DuckDBPyConnection, column: str = "BilledCost", table: str = "line_items") -> dict[str, Decimal]:
    rows = con.execute(f"SELECT BillingCurrency, sum({column}) FROM {table} GROUP BY 1").fetchall()
    return {currency: Decimal(str(amount)) for currency, amount in rows}


@pytest.fixture
def credited_export(tmp_path: Path) -> Path:
    """The real export's rows with credits, labels, a second currency, tax and a commitment fee."""
    rows = read_rows(GCP_EXPORT)
    rows[0] |= {
        "cost": "12.3456789",
        "credits": TWO_CREDITS,
        "labels": "[{'key': 'team', 'value': 'data'}, {'key': 'env', 'value': 'prod'}]",
        "project.labels": "[{'key': 'env', 'value': 'shared'}]",
        "system_labels": "[{'key': 'compute.googleapis.com/machine_spec', 'value': 'e2-medium'}]",
    }
    rows[1] |= {"cost": "0.00001", "credits": FREE_TRIAL}
    rows[2] |= {
        "currency": "EUR",
        "cost": "7.5",
        "credits": '[{"name": "CUD", "amount": -2.5, "type": "COMMITTED_USAGE_DISCOUNT"}]',
    }
    rows[3] |= {"cost_type": "tax", "cost": "1.99", "sku.description": "Tax"}
    rows[4] |= {"cost": "30", "sku.description": "Commitment v1: Cpu in Americas for 1 Year"}
    rows[5] |= {"cost": "1.5E+2", "labels": "[{'key': 'team', 'value': 'web'}]"}
    return write_rows(tmp_path / "gcp-credited.csv", rows)


def to_json_lines(csv_path: Path, out: Path) -> Path:
    """The same rows as BigQuery writes them as JSON: nested objects, arrays, numbers, nulls left out."""
    lines = []
    for record in read_rows(csv_path):
        nested: dict[str, Any] = {}
        for key, text in record.items():
            if text == "":
                continue
            value: Any = text
            if key in ARRAYS:
                value = ast.literal_eval(text)
            elif key in NUMBERS:
                value = float(text)
            elif key.endswith("_time"):
                value = text.replace("+00:00", " UTC")
            parent, _, child = key.partition(".")
            if child:
                nested.setdefault(parent, {})[child] = value
            else:
                nested[key] = value
        lines.append(json.dumps(nested))
    text = "\n".join(lines) + "\n"
    if out.name.endswith(".gz"):
        out.write_bytes(gzip.compress(text.encode()))
    else:
        out.write_text(text)
    return out


def tags_of(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {
        (k, v)
        for k, v in con.execute(
            "SELECT DISTINCT t.TagKey, t.TagValue FROM line_items l JOIN tag_sets t USING (x_TagSetId)"
        ).fetchall()
    }


def test_the_real_gcp_export_ties_out_to_cost_plus_credits_to_the_cent(con: duckdb.DuckDBPyConnection) -> None:
    [report] = ingest_paths(con, [str(GCP_EXPORT)])
    assert report.format == "gcp"
    assert report.rows_read == report.rows_loaded == 9 and not report.skipped
    expected = cost_plus_credits(GCP_EXPORT)
    assert loaded(con) == expected  # exact: Σ = 0.000012 USD
    for column in ("BilledCost", "EffectiveCost"):
        assert cents(loaded(con, column)) == cents(loaded(con, column, "daily_costs")) == cents(expected)


def test_credits_are_netted_into_billed_and_effective_cost_per_currency(
    con: duckdb.DuckDBPyConnection, credited_export: Path
) -> None:
    [report] = ingest_paths(con, [str(credited_export)])
    expected = cost_plus_credits(credited_export)
    assert expected == {"USD": Decimal("193.0816959"), "EUR": Decimal("5.0")}
    assert loaded(con) == loaded(con, "EffectiveCost") == expected
    assert cents(loaded(con, "BilledCost", "daily_costs")) == cents(expected)
    # ContractedCost is the cost before credits.
    assert loaded(con, "ContractedCost") == {"USD": Decimal("194.3357009"), "EUR": Decimal("7.5")}
    assert any("credits written as Python literals" in fix for fix in report.fixes)


def test_labels_become_tags_with_project_and_system_labels_prefixed(
    con: duckdb.DuckDBPyConnection, credited_export: Path
) -> None:
    [report] = ingest_paths(con, [str(credited_export)])
    assert tags_of(con) == {
        ("team", "data"),
        ("env", "prod"),
        ("project:env", "shared"),
        ("system:compute.googleapis.com/machine_spec", "e2-medium"),
        ("team", "web"),
    }
    by_team = dict(
        con.execute(
            "SELECT t.TagValue, sum(r.BilledCost) FROM daily_costs r "
            "LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team' "
            "WHERE r.BillingCurrency = 'USD' GROUP BY 1"
        ).fetchall()
    )
    assert Decimal(str(by_team["data"])) == Decimal("12.3456789") - Decimal("1.254")
    assert Decimal(str(by_team["web"])) == Decimal(150)
    assert any("labels written as Python literals" in fix for fix in report.fixes)


@pytest.mark.parametrize("name", ["export.json", "export.jsonl.gz"])
def test_a_json_lines_copy_gives_the_same_totals_and_tags(
    con: duckdb.DuckDBPyConnection, credited_export: Path, tmp_path: Path, name: str
) -> None:
    json_path = to_json_lines(credited_export, tmp_path / name)
    [report] = ingest_paths(con, [str(json_path)])
    assert report.format == "gcp"
    assert report.rows_read == report.rows_loaded == 9
    assert loaded(con) == cost_plus_credits(credited_export)
    assert ("system:compute.googleapis.com/machine_spec", "e2-medium") in tags_of(con)
    starts = con.execute("SELECT min(ChargePeriodStart), max(ChargePeriodEnd) FROM line_items").fetchone()
    assert starts == (dt.datetime(2022, 8, 1, 3), dt.datetime(2022, 8, 1, 8))


def test_the_real_export_as_json_lines_ties_out_too(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    [report] = ingest_paths(con, [str(to_json_lines(GCP_EXPORT, tmp_path / "real.ndjson"))])
    assert report.rows_loaded == 9
    assert loaded(con) == cost_plus_credits(GCP_EXPORT)


def test_cost_types_periods_and_projects_map_onto_focus(con: duckdb.DuckDBPyConnection, credited_export: Path) -> None:
    [report] = ingest_paths(con, [str(credited_export)])
    categories = dict(
        con.execute("SELECT ChargeDescription, ChargeCategory || '/' || ChargeFrequency FROM line_items").fetchall()
    )
    assert categories["Tax"] == "Tax/One-Time"
    assert categories["Commitment v1: Cpu in Americas for 1 Year"] == "Purchase/Recurring"
    assert categories["Network Internet Egress from Americas to China"] == "Usage/Usage-Based"
    row = con.execute(
        "SELECT DISTINCT BillingPeriodStart, BillingPeriodEnd, ProviderName, SubAccountId, SubAccountName, "
        "ServiceName, ServiceCategory, RegionId, ResourceName FROM line_items"
    ).fetchall()
    assert row == [
        (
            dt.datetime(2022, 8, 1),
            dt.datetime(2022, 9, 1),
            "Google Cloud",
            "cloud-billing-292519",
            "cm_example",
            "Compute Engine",
            "Compute",
            "us-central1",
            "instance-1",
        )
    ]
    assert report.billing_periods == ["2022-08"]
    assert any("no cost_at_list" in warning for warning in report.warnings)


def test_the_standard_export_without_resource_fields_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if not k.startswith("resource.")} for r in read_rows(GCP_EXPORT)]
    [report] = ingest_paths(con, [str(write_rows(tmp_path / "standard.csv", rows))])
    assert report.format == "gcp" and report.rows_loaded == 9
    assert con.execute("SELECT count(*) FROM line_items WHERE ResourceId IS NULL").fetchone() == (9,)


def broken(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    rows[index] |= changes
    return rows


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credits", "[{'name': 'x', 'amount': }]", r"row 3, credits: .* is not readable \(neither JSON nor"),
        ("credits", "[{'name': 'x', 'amount': None}]", r"row 3, credits: .*no numeric amount"),
        ("labels", "[{'value': 'orphan'}]", r"row 3, labels: .*a label has no key"),
        ("cost", "12,5", r"row 3, cost: '12,5' is not a number"),
        ("invoice.month", "2022-08", r"row 3, invoice.month: '2022-08' is not a month \(YYYYMM\)"),
        ("usage_start_time", "yesterday", r"row 3, ChargePeriodStart: 'yesterday' is not a date/time"),
    ],
)
def test_an_unreadable_value_names_file_row_and_field_and_changes_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, field: str, value: str, message: str
) -> None:
    ingest_paths(con, [str(GCP_EXPORT)])
    before = fingerprint(con)
    bad = write_rows(tmp_path / "bad.csv", broken(read_rows(GCP_EXPORT), 2, **{field: value}))
    with pytest.raises(IngestError, match=rf"bad\.csv: {message}"):
        ingest_paths(con, [str(bad)])
    assert fingerprint(con) == before


def test_a_malformed_json_line_is_refused_naming_the_line(
    con: duckdb.DuckDBPyConnection, credited_export: Path, tmp_path: Path
) -> None:
    json_path = to_json_lines(credited_export, tmp_path / "export.json")
    lines = json_path.read_text().splitlines()
    lines[3] = lines[3][:40]
    json_path.write_text("\n".join(lines) + "\n")
    before = fingerprint(con)
    with pytest.raises(IngestError, match=r"export\.json: not readable newline-delimited JSON .*line 4"):
        ingest_paths(con, [str(json_path)])
    assert fingerprint(con) == before


def test_a_file_without_the_cost_field_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "cost"} for r in read_rows(GCP_EXPORT)]
    with pytest.raises(IngestError, match=r"no-cost\.csv: a Google Cloud billing export needs the fields cost$"):
        ingest_paths(con, [str(write_rows(tmp_path / "no-cost.csv", rows))], fmt="gcp")


def test_a_folder_scan_finds_json_lines_exports(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    to_json_lines(GCP_EXPORT, folder / "2022-08.ndjson")
    [report] = ingest_paths(con, [str(folder)])
    assert report.format == "gcp" and report.rows_loaded == 9
