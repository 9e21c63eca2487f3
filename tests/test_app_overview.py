"""The Overview (the landing page), Forecast and Anomalies pages through AppTest on the session's sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_fixtures import new_app
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
    assert [s.value for s in at.subheader][:1] == ["Key performance indicators"]


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


def test_the_anomalies_page_explains_the_sample_companys_open_anomaly(
    company_db: Path,  # noqa: F811
    budgets_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = budgets_file.parent / "company.duckdb"
    shutil.copy(company_db, copy)  # the app opens its database read-write
    monkeypatch.setenv("FINOPS_DB", str(copy))
    at = new_app({"period": "last_90_days"}, page="app_pages/anomalies.py").run()
    assert not at.exception, [e.value for e in at.exception]
    events = at.dataframe[0].value
    bigquery = events[(events["Dimension"] == "ServiceName") & (events["Value"] == "BigQuery")]
    assert len(bigquery) == 1 and bool(bigquery["Open"].iloc[0])
    assert "in account data-prod, resource //bigquery.googleapis.com/" in bigquery["Root cause"].iloc[0]
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert any(t.value.startswith("ServiceName=BigQuery in account data-prod") for t in at.text)
