"""The Overview's comparisons and top movers, checked against sums taken by hand over the rows."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pandas as pd
import pytest

from analytics.queries import COST, PERIOD
from analytics.spend_change import by_month, kpi_window, movers, spend_tiles

FIRST = dt.date(2025, 1, 1)


def _daily(
    last: dt.date, first: dt.date = FIRST, seed: int = 7
) -> tuple[pd.DataFrame, list[tuple[dt.date, str, Decimal]]]:
    """Spend per day and provider (cents, so Decimal sums are exact) and the same rows as tuples."""
    rnd = random.Random(seed)
    rows = []
    day = first
    while day <= last:
        for provider in ("AWS", "Azure", None):
            rows.append((day, provider, Decimal(rnd.randint(0, 50_000)) / 100))
        day += dt.timedelta(days=1)
    frame = pd.DataFrame(
        {PERIOD: [r[0] for r in rows], "ProviderName": [r[1] for r in rows], COST: [float(r[2]) for r in rows]}
    )
    return frame, rows


def _total(rows: list[tuple[dt.date, str, Decimal]], start: dt.date, end: dt.date) -> Decimal:
    return sum((cost for day, _, cost in rows if start <= day <= end), Decimal(0))


def test_month_to_date_is_compared_with_the_same_days_of_last_month():
    last = dt.date(2026, 3, 17)
    frame, rows = _daily(last)
    to_date, _ = spend_tiles(frame, last, FIRST)
    assert to_date.label == "Month to date (Mar 1–17)" and to_date.previous_label == "Feb 1–17"
    assert round(to_date.value, 2) == float(_total(rows, dt.date(2026, 3, 1), last))
    assert round(to_date.previous or 0, 2) == float(_total(rows, dt.date(2026, 2, 1), dt.date(2026, 2, 17)))
    assert to_date.change == pytest.approx((to_date.value - to_date.previous) / to_date.previous)


def test_on_the_31st_last_month_s_comparison_stops_at_its_own_last_day():
    last = dt.date(2026, 3, 31)
    frame, rows = _daily(last)
    to_date, full = spend_tiles(frame, last, FIRST)
    assert to_date.previous_label == "Feb 1–28"
    assert round(to_date.previous or 0, 2) == float(_total(rows, dt.date(2026, 2, 1), dt.date(2026, 2, 28)))
    # March is complete, so it is the last full month, compared with February.
    assert full.label == "Last full month (Mar 2026)" and full.previous_label == "Feb 2026"
    assert round(full.value, 2) == float(_total(rows, dt.date(2026, 3, 1), last))


def test_the_last_full_month_is_compared_with_the_month_before_and_a_year_before():
    last = dt.date(2026, 3, 17)
    frame, rows = _daily(last)
    _, full = spend_tiles(frame, last, FIRST)
    feb = _total(rows, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    jan = _total(rows, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    year_ago = _total(rows, dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    assert full.label == "Last full month (Feb 2026)"
    assert round(full.value, 2) == float(feb) and round(full.previous or 0, 2) == float(jan)
    assert full.note == f"{float((feb - year_ago) / year_ago):+.1%} vs Feb 2025"


def test_periods_before_the_first_day_of_data_have_no_figure_rather_than_zero():
    first, last = dt.date(2026, 3, 1), dt.date(2026, 3, 17)
    frame, _ = _daily(last, first=first)
    to_date, full = spend_tiles(frame, last, first)
    assert to_date.previous is None and to_date.change is None
    assert full.previous is None and full.note == "no data a year before"


def test_the_trend_sums_each_month_and_provider_and_labels_a_missing_provider():
    last = dt.date(2026, 3, 17)
    frame, rows = _daily(last)
    trend = by_month(frame, "ProviderName", last)
    assert sorted(set(trend[PERIOD])) == [dt.date(2025, m, 1) for m in range(3, 13)] + [
        dt.date(2026, m, 1) for m in (1, 2, 3)
    ]
    assert set(trend["ProviderName"]) == {"AWS", "Azure", "(not set)"}
    for (month, provider), cost in trend.set_index([PERIOD, "ProviderName"])[COST].items():
        wanted = None if provider == "(not set)" else provider
        expected = sum(
            (c for d, p, c in rows if p == wanted and (d.year, d.month) == (month.year, month.month)), Decimal(0)
        )
        assert round(cost, 2) == float(expected)


def _monthly(spend: dict[tuple[dt.date, str | None], float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            PERIOD: [pd.Timestamp(month) for month, _ in spend],
            "tag:team": [team for _, team in spend],
            COST: list(spend.values()),
        }
    )


def test_top_movers_rank_the_largest_changes_either_way_between_the_last_two_full_months():
    feb, mar = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    spend = {
        (feb, "web"): 100.0, (mar, "web"): 130.0,  # +30
        (feb, "ml"): 500.0, (mar, "ml"): 420.0,  # -80
        (feb, "data"): 50.0, (mar, "data"): 51.0,  # +1
        (mar, "new"): 60.0,  # +60, nothing before
        (feb, None): 10.0, (mar, None): 0.0,  # -10, untagged
        (dt.date(2026, 4, 1), "web"): 999.0,  # the month to date: not a full month
    }  # fmt: skip
    table = movers(_monthly(spend), "tag:team", dt.date(2026, 4, 9), top=4)
    assert list(table.columns) == ["tag:team", "Feb 2026", "Mar 2026", "Change", "Change %"]
    assert list(table["tag:team"]) == ["ml", "new", "web", "(untagged)"]
    assert list(table["Change"]) == [-80.0, 60.0, 30.0, -10.0]
    assert list(table["Mar 2026"]) == [420.0, 60.0, 130.0, 0.0]
    assert pd.isna(table["Change %"].iloc[1])  # no spend before: no percentage
    assert table["Change %"].iloc[0] == pytest.approx(-80 / 500)


def test_top_movers_of_a_month_without_spend_are_an_empty_table():
    table = movers(_monthly({}), "tag:team", dt.date(2026, 4, 9))
    assert table.empty


def test_the_kpis_cover_the_month_before_and_this_month_to_date():
    assert kpi_window(dt.date(2026, 1, 9)) == (dt.date(2025, 12, 1), dt.date(2026, 1, 9))
