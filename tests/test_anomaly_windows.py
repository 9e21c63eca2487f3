"""The same anomaly has the same figures whatever the page's date window: detection runs on the
whole history and the window only chooses which events are listed, so the Overview's open-anomaly
impact is the sum of the open events any window lists."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from analytics.anomalies import find_events
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.store import connect
from tests.store_state import copy_store
from tests.test_forecast_company import company_db  # noqa: F401

pytestmark = pytest.mark.slow  # a sample of their own, or the 13-month company


def _figures(event) -> tuple[float, float, float]:  # noqa: ANN001
    return event.expected, event.actual, event.max_z


def test_an_events_figures_do_not_depend_on_the_date_window(company_db: Path) -> None:  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        engine, fx = DuckDBEngine(con), load_fx()
        last = con.execute("SELECT max(CAST(ChargePeriodStart AS DATE)) FROM line_items").fetchall()[0][0]
        # Month to date, the last 30 and 90 days (the Anomalies page's windows), and the Overview's week.
        windows = [last.replace(day=1), last - dt.timedelta(days=29), last - dt.timedelta(days=89)]
        found = [find_events(engine, fx, start, last) for start in windows]
        week = find_events(engine, fx, last - dt.timedelta(days=6), last)
    finally:
        con.close()
    by_key = [{(e.dimension, e.value, e.start, e.end): e for e in events} for events in found]
    shared = set(by_key[0]) & set(by_key[1]) & set(by_key[2])
    assert shared, "the windows have events in common"
    for key in shared:
        figures = {_figures(events[key]) for events in by_key}
        assert len(figures) == 1, (key, figures)  # exactly the same numbers, not merely close
    open_sums = [round(sum(e.impact for e in events if e.open), 2) for events in (*found, week)]
    assert open_sums[0] > 0 and len(set(open_sums)) == 1, open_sums
    open_keys = [{(e.dimension, e.value, e.start) for e in events if e.open} for events in (*found, week)]
    assert all(keys == open_keys[0] for keys in open_keys)


def test_the_overviews_open_impact_is_the_sum_of_the_open_events_every_window_lists(
    company_db: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.app_fixtures import new_app

    copy = tmp_path / "company.duckdb"
    copy_store(company_db, copy)  # the app opens its database read-write
    (tmp_path / "budgets.csv").write_text("owner_dimension,owner,month,amount,currency\n")
    monkeypatch.setenv("FINOPS_DB", str(copy))
    monkeypatch.setenv("FINOPS_BUDGETS", str(tmp_path / "budgets.csv"))
    at = new_app(page=None).run()
    assert not at.exception, [e.value for e in at.exception]
    impact = next(c.value for c in at.caption if c.value.startswith("Impact $"))
    overview = Decimal(impact.removeprefix("Impact $").replace(",", ""))
    assert overview > 0
    sums, bigquery = set(), set()
    for period in ("month_to_date", "last_30_days", "last_90_days"):
        page = new_app({"period": period}, page="app_pages/anomalies.py").run()
        assert not page.exception, [e.value for e in page.exception]
        events = page.dataframe[0].value
        opened = events[events["Open"].astype(bool)]
        sums.add(sum(Decimal(repr(float(v))) for v in opened["Impact"]).quantize(Decimal("0.01"), ROUND_HALF_UP))
        rows = events[(events["Dimension"] == "ServiceName") & (events["Value"] == "BigQuery")]
        bigquery.add(round(float(rows["Impact"].iloc[0]), 2))
    assert sums == {overview}, (sums, overview)
    assert len(bigquery) == 1, bigquery  # the same incident, the same impact, whatever the window
