"""Which periods of a unit-cost run read as figures: those with a unit cost, and the whole ones
(every day of the period in the view). Also the unit's name on the Overview's tile and the stamp
that tells caches the metrics changed."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.engine import DuckDBEngine
from analytics.schema import Grain, Metric
from analytics.unit_economics.compute import EXPECTED, PERIOD, UNIT_COST, UnitCosts
from analytics.unit_economics.metrics import MetricInfo, stamp
from analytics.unit_economics.metrics_ingest import load_metrics
from analytics.unit_economics.periods import complete, full_length, latest_full, whole
from analytics.unit_economics.tile import unit_name

NAN = math.nan


def _run(grain: Grain, rows: list[tuple[dt.date, int, float]]) -> UnitCosts:
    total = pd.DataFrame(rows, columns=[PERIOD, EXPECTED, UNIT_COST])
    info = MetricInfo("orders", (None,), rows[0][0], rows[-1][0])
    return UnitCosts(
        pd.DataFrame(), total, info, None, False, "orders", Metric.EFFECTIVE, "USD", grain, None, None, pd.DataFrame()
    )


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2100])
def test_a_whole_month_has_as_many_days_as_the_calendar_says(year: int) -> None:
    for month in range(1, 13):
        assert full_length(dt.date(year, month, 1), Grain.MONTH) == calendar.monthrange(year, month)[1]
    assert full_length(dt.date(year, 3, 2), Grain.WEEK) == 7 and full_length(dt.date(year, 3, 2), Grain.DAY) == 1


def test_a_month_to_date_and_a_month_without_a_unit_cost_are_not_the_latest_full_month() -> None:
    run = _run(
        Grain.MONTH,
        [
            (dt.date(2026, 2, 1), 20, 0.5),  # cut by the view's start
            (dt.date(2026, 3, 1), 31, 0.4),
            (dt.date(2026, 4, 1), 30, 0.45),
            (dt.date(2026, 5, 1), 31, NAN),  # a day without the metric
            (dt.date(2026, 6, 1), 15, 0.3),  # to date
        ],
    )
    assert complete(run) == [dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 6, 1)]
    assert whole(run) == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    assert latest_full(run) == dt.date(2026, 4, 1)


def test_weeks_cut_by_the_view_are_left_out_and_a_view_with_no_whole_period_has_none() -> None:
    run = _run(Grain.WEEK, [(dt.date(2026, 6, 1), 7, 1.0), (dt.date(2026, 6, 8), 7, 1.1), (dt.date(2026, 6, 15), 2, 1)])
    assert whole(run) == [dt.date(2026, 6, 1), dt.date(2026, 6, 8)] and latest_full(run) == dt.date(2026, 6, 8)
    assert latest_full(_run(Grain.MONTH, [(dt.date(2026, 6, 1), 15, 0.3)])) is None


@pytest.mark.parametrize(
    ("metric", "unit"),
    [
        ("orders", "order"),
        ("active_users", "active user"),
        ("sessions", "session"),
        ("status", "status"),
        ("bus", "bus"),
        ("gross_revenue", "gross revenue"),
        ("checkouts_processed", "checkouts processed"),
        ("analysis", "analysis"),
        ("address", "address"),
    ],
)
def test_the_tile_names_one_unit_of_a_metric_without_mangling_words_that_only_end_in_s(metric: str, unit: str) -> None:
    assert unit_name(metric) == unit


def test_the_metrics_stamp_changes_when_metrics_are_loaded_and_only_then(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    engine = DuckDBEngine(con)
    empty = stamp(engine)
    load_metrics(con, "orders.csv", b"date,metric,value\n2026-06-01,orders,10\n2026-06-02,orders,12\n")
    first = stamp(engine)
    assert first != empty and stamp(engine) == first
    load_metrics(con, "orders.csv", b"date,metric,value\n2026-06-01,orders,10\n2026-06-02,orders,13\n")
    assert stamp(engine) not in (empty, first)
