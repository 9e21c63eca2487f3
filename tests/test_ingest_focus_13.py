"""FOCUS 1.3 and 1.4 Cost and Usage files: exact totals, what the app calls the provider, the seller
and the host as dimensions, the 1.3 columns kept as they arrive, and the sample's marketplace SaaS."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.ingest.focus_providers import version
from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from analytics.queries import dimensions, spend
from analytics.schema import Filters, Metric
from analytics.store import connect
from tests.focus_rows import row, write_csv
from tests.sample_cache import cached_sample
from ui import explore

FIXTURES = Path(__file__).parent / "data" / "focus13"
KINDS = ("csv", "csv.gz", "parquet")
KEPT_AS_GIVEN = (
    "ContractApplied",
    "AllocatedMethodId",
    "AllocatedMethodDetails",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
)


def fixture_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def csv_totals(name: str, column: str, by: tuple[str, ...] = ("BillingCurrency",)) -> dict[tuple[str, ...], Decimal]:
    """Σ `column` per `by` values, read with the csv module and summed as Decimal (empty -> None key)."""
    sums: dict[tuple[str, ...], Decimal] = {}
    for r in fixture_rows(name):
        key = tuple(r[b] or "" for b in by)
        sums[key] = sums.get(key, Decimal(0)) + Decimal(r[column])
    return sums


def stored_totals(con: duckdb.DuckDBPyConnection, column: str, table: str) -> dict[tuple[str, ...], Decimal]:
    found = con.execute(f"SELECT BillingCurrency, sum({column}) FROM {table} GROUP BY 1").fetchall()
    return {(currency,): Decimal(str(total)) for currency, total in found}


@pytest.mark.parametrize("name", ["focus13", "focus14"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_focus_13_or_14_file_loads_with_billed_and_effective_cost_exact_per_currency(
    con: duckdb.DuckDBPyConnection, name: str, kind: str
) -> None:
    [report] = ingest_paths(con, [str(FIXTURES / f"{name}.{kind}")])
    rows = len(fixture_rows(name))
    assert (report.status, report.format, report.rows_read, report.rows_loaded) == ("loaded", "focus", rows, rows)
    for column in ("BilledCost", "EffectiveCost"):
        expected = csv_totals(name, column)
        assert len(expected) == 2  # USD and EUR
        assert stored_totals(con, column, "line_items") == expected
        assert stored_totals(con, column, "daily_costs") == expected


def test_the_version_is_read_from_the_columns() -> None:
    assert version(["ProviderName", "BilledCost"]) == "1.0-1.2"
    assert version(["ProviderName", "ServiceProviderName", "HostProviderName"]) == "1.3"
    assert version(["Provider", "allocatedtags"]) == "1.3"
    assert version(["ServiceProviderName", "HostProviderName"]) == "1.4"
    assert version(["ProviderName", "ServiceProviderName", "InvoiceDetailId"]) == "1.4"


def test_a_focus_14_file_takes_its_service_provider_as_provider_and_names_the_columns_not_stored(
    con: duckdb.DuckDBPyConnection,
) -> None:
    [report] = ingest_paths(con, [str(FIXTURES / "focus14.csv")])
    assert "ProviderName taken from ServiceProviderName (FOCUS 1.4 has no ProviderName)" in report.fixes
    assert (
        "FOCUS 1.4 columns not stored by this version: CommitmentProgramEligibilityDetails, InvoiceDetailId, TagDetails"
        in report.warnings
    )
    assert not any("neither FOCUS" in w for w in report.warnings)
    expected = csv_totals("focus14", "BilledCost", by=("ServiceProviderName",))
    found = con.execute("SELECT ProviderName, sum(BilledCost) FROM daily_costs GROUP BY 1").fetchall()
    assert {(p,): Decimal(str(t)) for p, t in found} == expected
    assert ("Houndly, Inc.",) in expected  # the marketplace row is under its seller in 1.4


# (the file's provider columns) -> the app's ProviderName
PROVIDER_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "service provider only (1.4)": ({"ServiceProviderName": "Houndly, Inc."}, "Houndly, Inc."),
    "service provider and host only (1.4)": (
        {"ServiceProviderName": "Houndly, Inc.", "HostProviderName": "AWS"},
        "Houndly, Inc.",
    ),
    "provider and a different service provider (1.3)": (
        {"ProviderName": "AWS", "ServiceProviderName": "Houndly, Inc."},
        "AWS",
    ),
    "deprecated provider only (1.2)": ({"ProviderName": "AWS"}, "AWS"),
    "deprecated provider and publisher only (1.2)": ({"ProviderName": "AWS", "PublisherName": "Houndly, Inc."}, "AWS"),
    "all four present and conflicting (1.3)": (
        {
            "ProviderName": "AWS",
            "PublisherName": "Someone Else",
            "ServiceProviderName": "Houndly, Inc.",
            "HostProviderName": "Google Cloud",
        },
        "AWS",
    ),
    "provider empty on the row (1.3)": (
        {"ProviderName": None, "ServiceProviderName": "Houndly, Inc.", "HostProviderName": "AWS"},
        "Houndly, Inc.",
    ),
}


@pytest.mark.parametrize("case", PROVIDER_CASES)
def test_the_provider_follows_the_documented_rule_and_the_other_provider_columns_are_kept_as_given(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    columns, provider = PROVIDER_CASES[case]
    record = {k: v for k, v in row().items() if k != "ProviderName"} | columns
    [report] = ingest_paths(con, [str(write_csv(tmp_path / "f.csv", [record]))])
    stored = con.execute(
        "SELECT ProviderName, ServiceProviderName, HostProviderName, PublisherName FROM line_items"
    ).fetchone()
    given = tuple(columns.get(c) for c in ("ServiceProviderName", "HostProviderName", "PublisherName"))
    assert stored == (provider, *given)
    rollup = con.execute("SELECT DISTINCT ProviderName FROM daily_costs").fetchall()
    assert rollup == [(provider,)]
    differs = [w for w in report.warnings if w.startswith("ServiceProviderName differs from ProviderName")]
    conflicting = bool(columns.get("ProviderName")) and columns.get("ServiceProviderName") not in (None, provider)
    assert len(differs) == (1 if conflicting else 0)
    if conflicting:
        assert "on 1 rows" in differs[0]


@pytest.mark.parametrize("kind", KINDS)
def test_contract_applied_and_the_allocated_columns_are_stored_as_given(
    con: duckdb.DuckDBPyConnection, kind: str
) -> None:
    ingest_paths(con, [str(FIXTURES / f"focus13.{kind}")])
    expected = sorted((tuple(r[c] or None for c in KEPT_AS_GIVEN) for r in fixture_rows("focus13")), key=str)
    stored = sorted(con.execute(f"SELECT {', '.join(KEPT_AS_GIVEN)} FROM line_items").fetchall(), key=str)
    assert stored == expected
    assert sum(1 for r in expected if r[1] is not None) == 2  # the split rows are in the fixture
    assert sum(1 for r in expected if r[0] is not None) == 1


@pytest.mark.parametrize("also_dropped", [(), ("PublisherName",)])
def test_a_13_file_with_a_host_but_no_service_provider_nor_provider_is_refused_and_the_store_is_unchanged(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, also_dropped: tuple[str, ...]
) -> None:
    ingest_paths(con, [str(FIXTURES / "focus13.csv")])
    before = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchall()
    sources = con.execute("SELECT count(*) FROM sources").fetchall()
    dropped = ("ServiceProviderName", "ProviderName", *also_dropped)
    rows = [{k: v for k, v in r.items() if k not in dropped} for r in fixture_rows("focus13")]
    assert "HostProviderName" in rows[0]
    bad = write_csv(tmp_path / "bad13.csv", rows)
    with pytest.raises(IngestError) as caught:
        ingest_paths(con, [str(bad)])
    message = str(caught.value)
    assert message == f"{bad}: not a FOCUS file, missing mandatory columns: ServiceProviderName"
    assert "\n" not in message
    assert con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchall() == before
    assert con.execute("SELECT count(*) FROM sources").fetchall() == sources


def test_an_older_file_without_any_provider_column_is_still_told_it_lacks_provider_name(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    record = {k: v for k, v in row().items() if k != "ProviderName"}
    with pytest.raises(IngestError, match="missing mandatory columns: ProviderName$"):
        ingest_paths(con, [str(write_csv(tmp_path / "old.csv", [record]))])


def test_service_and_host_provider_are_dimensions_that_group_and_filter_from_the_line_items(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ingest_paths(con, [str(FIXTURES / "focus13.parquet")])
    engine = DuckDBEngine(con)
    assert {"ServiceProviderName", "HostProviderName"} <= set(dimensions(engine))
    usd = Filters.of(where={"BillingCurrency": ["USD"]})
    result = spend(engine, load_fx(), usd, ["ServiceProviderName", "HostProviderName"], Metric.BILLED)
    found = {
        (r["ServiceProviderName"], r["HostProviderName"] if isinstance(r["HostProviderName"], str) else ""): Decimal(
            str(r["cost"])
        ).quantize(Decimal("0.01"))
        for r in result.frame.to_dict("records")
    }
    expected = {
        (s, h): t.quantize(Decimal("0.01"))
        for (c, s, h), t in csv_totals(
            "focus13", "BilledCost", ("BillingCurrency", "ServiceProviderName", "HostProviderName")
        ).items()
        if c == "USD"
    }
    assert found == expected
    assert ("Houndly, Inc.", "AWS") in found and ("AWS", "") in found
    seller = Filters.of(where={"ServiceProviderName": ["Houndly, Inc."]})
    only = spend(engine, load_fx(), seller, ["ProviderName"], Metric.BILLED).frame
    assert list(only["ProviderName"]) == ["AWS"]
    assert Decimal(str(only["cost"].iloc[0])).quantize(Decimal("0.01")) == Decimal("148.80")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build tests/test_sample.py reads (the same cache key)."""
    path = tmp_path_factory.mktemp("sample13") / "t.duckdb"
    con = connect(cached_sample("sample-tests", path, rows=60_000, months=2, seed=42, as_of=dt.date(2026, 6, 15)))
    yield con
    con.close()


def test_the_sample_sells_a_marketplace_saas_hosted_on_aws_and_leaves_no_host_on_support_and_tax(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    pairs = dict(
        sample.execute(
            "SELECT ServiceProviderName, list(DISTINCT HostProviderName) FROM line_items "
            "WHERE ServiceProviderName <> ProviderName GROUP BY 1"
        ).fetchall()
    )
    assert pairs == {"Houndly, Inc.": ["AWS"]}
    assert sample.execute(
        "SELECT DISTINCT ProviderName, InvoiceIssuerName, PublisherName FROM line_items "
        "WHERE ServiceProviderName = 'Houndly, Inc.'"
    ).fetchall() == [("AWS", "Amazon Web Services, Inc.", "Houndly, Inc.")]
    hostless = sample.execute(
        "SELECT DISTINCT CASE WHEN ChargeCategory = 'Tax' THEN 'Tax' ELSE ServiceName END FROM line_items "
        "WHERE HostProviderName IS NULL ORDER BY 1"
    ).fetchall()
    assert hostless == [("AWS Support (Business)",), ("Tax",)]
    assert not sample.execute("SELECT count(*) FROM line_items WHERE HostProviderName = 'Not Applicable'").fetchall()[
        0
    ][0]


def test_explore_groups_the_sample_by_service_provider_then_host_provider(app: AppTest) -> None:
    before = app.metric[0].value
    app.selectbox(key=explore.GROUP_BY).set_value("ServiceProviderName")
    app.selectbox(key=explore.GROUP_BY2).set_value("HostProviderName").run()
    assert not app.exception and not app.error
    shown = app.dataframe[0].value
    pairs = set(zip(shown["ServiceProviderName"], shown["HostProviderName"], strict=True))
    assert ("Houndly, Inc.", "AWS") in pairs and ("AWS", "AWS") in pairs
    assert app.metric[0].value == before  # another cut of the same total
    assert app.query_params["group_by"] == "ServiceProviderName"
