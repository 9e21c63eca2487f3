"""The Overview (the landing page), Forecast and Anomalies pages through AppTest on the session's sample."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.charts import money_text
from analytics.store import generation, reader
from tests.app_fixtures import PROJECT, new_app
from tests.store_state import copy_store
from tests.test_forecast_company import company_db  # noqa: F401

HEADER = "owner_dimension,owner,month,amount,currency\n"


@pytest.fixture
def budgets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "budgets.csv"
    path.write_text(HEADER)
    monkeypatch.setenv("FINOPS_BUDGETS", str(path))
    return path


def _run(page: str | None = None) -> AppTest:
    at = new_app(page=page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_opens_on_the_overview_with_its_kpi_tiles(app_db: Path, budgets_file: Path) -> None:
    at = _run()
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Month to date") for label in labels)
    assert any(label.startswith("Forecast, month end") for label in labels)
    for kpi in ("Allocated", "Coverage", "Savings rate (ESR)", "Forecast variance", "Open anomalies"):
        assert kpi in labels
    assert any(label.startswith("Cost per order, ") for label in labels)  # the metric is "orders"
    # The trend first (one screen with the tiles), then what moved, in words, then the KPIs.
    headings = [s.value for s in at.subheader]
    assert headings[:4] == [
        "Spend by provider, 13 months",
        "Biggest open anomalies",
        "Top movers: Team",  # tag:team: the tests run without allocation rules
        "Top movers: Service",
    ]
    assert "Key performance indicators" in headings
    assert not any(":" in h.split("Top movers: ")[-1] or "EffectiveCost" in h for h in headings)


def test_the_forecast_page_shows_totals_scores_and_budgets(app_db: Path, budgets_file: Path) -> None:
    at = _run("app_pages/forecast.py")
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Month end") for label in labels)
    assert "WAPE (model)" in labels and "80% interval covered" in labels
    assert len(at.dataframe) >= 2  # the scored months and the budget status


def test_a_bad_budgets_file_is_reported_with_its_line_and_the_page_still_works(
    app_db: Path, budgets_file: Path
) -> None:
    budgets_file.write_text(HEADER + "tag:team,ml,2026-06,lots,USD\n")
    at = _run("app_pages/forecast.py")
    assert at.error and any("line 2, amount: 'lots' is not a number" in t.value for t in at.text)


def test_visiting_the_overview_and_the_forecast_publishes_no_new_generation(
    app_db: Path, budgets_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write copies the store and publishes a generation, which empties every session's caches:
    # an unchanged budgets file must not cost a visit one.
    db = tmp_path / "store"
    copy_store(app_db, db)
    monkeypatch.setenv("FINOPS_DB", str(db))
    budgets_file.write_text(HEADER + "tag:team,ml,2026-11,8000,USD\n")
    at = _run()  # loads the budgets file: one write
    before = generation(db)
    at.run()
    _run("app_pages/forecast.py")
    assert not at.exception and generation(db) == before


def test_the_forecast_follows_the_sidebar_filters(app_db: Path, budgets_file: Path) -> None:
    at = _run("app_pages/forecast.py")
    everything = next(m.value for m in at.metric if m.label.startswith("Month end"))
    at.multiselect(key="filters_provider").set_value(["AWS"]).run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label.startswith("Month end")) != everything


def test_a_small_company_without_anomalies_is_told_so(app_db: Path, budgets_file: Path) -> None:
    at = _run("app_pages/anomalies.py")
    assert at.title[0].value == "Anomalies"
    assert "No anomalies" in at.success[0].value  # its injected spikes are under the $50 gate


@pytest.mark.slow
def test_the_anomalies_page_explains_the_sample_companys_open_anomaly(
    company_db: Path,  # noqa: F811
    budgets_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = budgets_file.parent / "company.duckdb"
    copy_store(company_db, copy)  # the app opens its database read-write
    monkeypatch.setenv("FINOPS_DB", str(copy))
    at = new_app({"period": "last_90_days"}, page="app_pages/anomalies.py").run()
    assert not at.exception, [e.value for e in at.exception]
    events = at.dataframe[0].value
    bigquery = events[(events["Dimension"] == "ServiceName") & (events["Value"] == "BigQuery")]
    assert len(bigquery) == 1 and bool(bigquery["Open"].iloc[0])
    assert "in account data-prod, resource //bigquery.googleapis.com/" in bigquery["Root cause"].iloc[0]
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    # In words on the Overview, the resource by its name, its full id on hover.
    line = next(t for t in at.text if t.value.startswith("Service BigQuery in account data-prod, resource "))
    assert "//bigquery.googleapis.com/" not in line.value and "//bigquery.googleapis.com/" in line.proto.help


def _usd(con, start, end) -> float:  # noqa: ANN001
    """All EffectiveCost from `start` to `end` (UTC days, inclusive) in USD, straight from line_items:
    each row converted at the rate in force on its day (the latest `valid_from` on or before it)."""
    row = con.execute(
        """
        WITH rates AS (
            SELECT CAST(valid_from AS DATE) AS valid_from, currency, usd_per_unit FROM read_csv_auto(?)
            UNION ALL SELECT DATE '1970-01-01', 'USD', 1.0
        ), items AS (
            SELECT CAST(ChargePeriodStart AS DATE) AS day, BillingCurrency, EffectiveCost FROM line_items
            WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
        )
        SELECT sum(i.EffectiveCost * r.usd_per_unit)
        FROM items i ASOF JOIN rates r ON i.BillingCurrency = r.currency AND i.day >= r.valid_from
        """,
        [str(PROJECT / "data" / "fx_rates.csv"), start, end + dt.timedelta(days=1)],
    ).fetchone()
    return float(row[0] or 0.0)


@pytest.mark.slow
def test_the_overview_spend_tiles_reconcile_with_the_line_items(
    company_db: Path,  # noqa: F811
    budgets_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = budgets_file.parent / "company.duckdb"
    copy_store(company_db, copy)
    monkeypatch.setenv("FINOPS_DB", str(copy))
    con = reader(company_db)
    try:
        last = con.execute("SELECT CAST(max(ChargePeriodStart) AS DATE) FROM line_items").fetchone()[0]
        this = last.replace(day=1)
        prev = (this - dt.timedelta(days=1)).replace(day=1)
        before = (prev - dt.timedelta(days=1)).replace(day=1)
        year_ago = prev.replace(year=prev.year - 1)
        month_to_date, same_days = _usd(con, this, last), _usd(con, prev, prev.replace(day=last.day))
        full, previous = _usd(con, prev, this - dt.timedelta(days=1)), _usd(con, before, prev - dt.timedelta(days=1))
        year = _usd(con, year_ago, year_ago.replace(month=year_ago.month % 12 + 1) - dt.timedelta(days=1))
    finally:
        con.close()
    assert last.day < 28 and last != (this.replace(month=this.month % 12 + 1) - dt.timedelta(days=1))
    at = _run()
    tiles = {m.label.split(" (")[0]: m for m in at.metric}
    compact = lambda value: money_text(value, "USD", compact=True)  # noqa: E731 (the tiles' precision)
    mtd = tiles["Month to date"]
    assert mtd.value == compact(month_to_date)
    assert (
        mtd.delta == f"{(month_to_date - same_days) / same_days:+.1%} vs {prev:%b} 1–{last.day} ({compact(same_days)})"
    )
    last_month = tiles["Last full month"]
    assert last_month.label == f"Last full month ({prev:%b %Y})"
    assert last_month.value == compact(full)
    assert last_month.delta == f"{(full - previous) / previous:+.1%} vs {before:%b %Y} ({compact(previous)})"
    assert f"{(full - year) / year:+.1%} vs {year_ago:%b %Y}" in [c.value for c in at.caption]


def test_the_overview_writes_tile_percentages_whole_and_its_movers_in_words(app_db: Path, budgets_file: Path) -> None:
    at = _run()
    tiles = {m.label: m.value for m in at.metric}
    for kpi in ("Allocated", "Coverage", "Savings rate (ESR)", "Forecast variance"):
        assert re.fullmatch(r"-?\d+%|—", tiles[kpi]), (kpi, tiles[kpi])  # 0 decimals on a tile
    for table in at.table:  # top movers: a static table written by analytics.formatting
        frame = table.value
        assert not any(":" in str(c) or str(c) in ("ServiceName", "tag:team") for c in frame.columns)
        for column in [c for c in frame.columns if c.endswith("(USD)")]:
            assert all(re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}", v) for v in frame[column]), column
        assert all(re.fullmatch(r"[+-]\d+\.\d%|—", v) for v in frame["Change %"])
