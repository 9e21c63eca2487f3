"""The Data page and the app's first start, through AppTest."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics.store import connect, get_meta
from tests.app_fixtures import new_app


def test_the_data_page_lists_what_is_loaded_and_the_rates_in_use(app: AppTest) -> None:
    app.switch_page("app_pages/data.py").run()
    assert not app.exception
    sources = app.dataframe[0].value
    assert list(sources.columns) == [
        "Source",
        "Format",
        "Rows",
        "Billing periods",
        "BilledCost",
        "Ingested at (UTC)",
        "Fixes and warnings",
    ]
    assert set(sources["Format"]) == {"sample"}
    assert sources["Rows"].sum() > 10_000
    assert sources["BilledCost"].str.contains("USD").any() and sources["BilledCost"].str.contains("EUR").any()
    rates = app.dataframe[1].value
    assert {"Valid from", "Currency", "USD per unit"} <= set(rates.columns)
    assert any("fx_rates.csv" in c.value for c in app.caption)
    assert any("python -m analytics ingest" in c.value for c in app.code)


def test_the_sidebar_filters_stay_when_moving_between_pages(app: AppTest) -> None:
    app.multiselect(key="filters_provider").set_value(["AWS"]).run()
    app.switch_page("app_pages/data.py").run()
    assert app.multiselect(key="filters_provider").value == ["AWS"]
    app.switch_page("app_pages/explore.py").run()
    assert not app.exception
    assert app.multiselect(key="filters_provider").value == ["AWS"]


def test_explore_comes_back_as_it_was_left(app: AppTest) -> None:
    app.selectbox(key="explore_group_by").set_value("RegionId").run()
    app.switch_page("app_pages/data.py").run()
    app.switch_page("app_pages/explore.py").run()
    assert app.selectbox(key="explore_group_by").value == "RegionId"


def test_first_start_builds_the_sample_with_progress_then_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "fresh" / "finops.duckdb"
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setattr("ui.data.FIRST_START_ROWS", 3_000)
    monkeypatch.setattr("ui.data.FIRST_START_MONTHS", 1)
    at = new_app().run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    status = at.get("status")[0]  # the build showed its progress, and says when it is done
    assert status.label == "Sample dataset ready"
    assert [p.value for p in at.get("progress")] == [100]
    assert any("sample data" in i.value for i in at.info)
    assert at.metric[0].value.startswith("$")
    con = connect(db, read_only=True)
    try:
        assert get_meta(con, "sample_as_of") is not None
    finally:
        con.close()


def test_a_database_that_is_not_ours_is_refused_not_written_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.close()
    monkeypatch.setenv("FINOPS_DB", str(db))
    at = new_app().run()
    assert not at.exception
    assert "not a FinOps Lens database" in at.error[0].value
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == [
            "invoices"
        ]
    finally:
        con.close()


def test_a_sample_build_that_was_cut_short_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analytics.sample import build_sample

    db = tmp_path / "cut.duckdb"
    con = connect(db)
    build_sample(con, rows=2_000, months=1, seed=3)
    con.execute("DELETE FROM meta WHERE key = 'sample_as_of'")  # as if the build stopped before its end
    con.close()
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setattr("ui.data.FIRST_START_ROWS", 2_000)
    monkeypatch.setattr("ui.data.FIRST_START_MONTHS", 1)
    at = new_app().run(timeout=300)
    assert not at.exception
    assert at.get("status")[0].label == "Sample dataset ready"
    assert any("sample data" in i.value for i in at.info)
