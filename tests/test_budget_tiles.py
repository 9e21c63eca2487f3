"""Forecast against budget, like with like: the budgeted owners' forecast against their own budgets
(with the part of spend they cover), the company's against a company total budget; checked against
sums computed independently by SQL on the raw line items and Decimal sums of the budget rows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pandas as pd
import pytest

from analytics.budgets import budget_status, read_table
from analytics.budgets.coverage import company_budget, owners_forecast
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.store import connect

AHEAD = 12_345.67  # the company's usage forecast for the rest of the period (an input here)
FX = load_fx(DEFAULT_FX_PATH)

# Independent of the code under test: raw line items, raw team tags, the FX file's rates as of each day.
RAW = """
WITH rates AS (SELECT valid_from, currency, usd_per_unit FROM read_csv(?, header = true,
               columns = {'valid_from': 'DATE', 'currency': 'VARCHAR', 'usd_per_unit': 'DOUBLE'})),
items AS (SELECT li.*, CAST(li.ChargePeriodStart AS DATE) AS day FROM line_items li
          WHERE li.ChargePeriodStart >= ? AND li.ChargePeriodStart < ?)
SELECT t.TagValue AS team, i.ChargeCategory AS category,
       sum(CAST(i.EffectiveCost AS DOUBLE) * CASE WHEN i.BillingCurrency = 'USD' THEN 1 ELSE r.usd_per_unit END)
FROM items i
LEFT JOIN tag_sets t ON t.x_TagSetId = i.x_TagSetId AND t.TagKey = 'team'
ASOF LEFT JOIN rates r ON r.currency = i.BillingCurrency AND i.day >= r.valid_from
GROUP BY ALL
"""


@pytest.fixture(scope="module")
def con(sample_copy):
    """A copy: the app tests below hold the session sample open read-write in this process."""
    connection = connect(sample_copy, read_only=True)
    yield connection
    connection.close()


def _last(con) -> dt.date:
    """The last day with charges, from the raw line items."""
    return con.execute("SELECT max(CAST(ChargePeriodStart AS DATE)) FROM line_items").fetchall()[0][0]


def _raw(con, first: dt.date, last: dt.date) -> list[tuple[str | None, str, float]]:
    return con.execute(RAW, [str(DEFAULT_FX_PATH), first, last + dt.timedelta(days=1)]).fetchall()


@pytest.mark.parametrize(
    ("start", "end"), [(dt.date(2026, 6, 1), dt.date(2026, 6, 30)), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))]
)
def test_the_budgeted_owners_forecast_is_held_against_their_own_budgets(con, start, end):
    budgets = read_table(DuckDBEngine(con))
    view = owners_forecast(DuckDBEngine(con), FX, budgets, "USD", start, end, AHEAD, "tag:team")
    assert view is not None and view.owner_dimension == "tag:team"
    rows = con.execute(
        "SELECT owner, CAST(amount AS VARCHAR) FROM budgets WHERE owner_dimension = 'tag:team' "
        "AND currency = 'USD' AND month BETWEEN ? AND ?",
        [start, end],
    ).fetchall()
    teams = {owner for owner, _ in rows}
    assert view.owners == len(teams) == 12
    assert Decimal(repr(view.budget)).quantize(Decimal("0.01")) == sum(Decimal(a) for _, a in rows)
    last = _last(con)
    period = _raw(con, start, last)
    actual = sum(v for team, _, v in period if team in teams)
    company = sum(v for _, _, v in period)
    assert view.actual == pytest.approx(actual, abs=0.005)
    assert view.company_actual == pytest.approx(company, abs=0.005)
    assert 0 < view.share < 1 and view.share == pytest.approx(actual / company)
    recent = [
        (t, c, v) for t, c, v in _raw(con, last - dt.timedelta(days=27), last) if c not in ("Purchase", "Tax", "Credit")
    ]
    share = sum(v for t, _, v in recent if t in teams) / sum(v for _, _, v in recent)
    assert view.projected == pytest.approx(actual + AHEAD * share, abs=0.01)
    assert view.variance == pytest.approx(view.projected / view.budget - 1)


def test_the_month_figure_is_the_sum_of_the_per_owner_projections_so_nothing_contradicts(con):
    budgets = read_table(DuckDBEngine(con))
    engine = DuckDBEngine(con)
    view = owners_forecast(engine, FX, budgets, "USD", dt.date(2026, 6, 1), dt.date(2026, 6, 30), AHEAD, "tag:team")
    status = budget_status(engine, FX, budgets, "USD", company_ahead=AHEAD)
    status = status[status["owner_dimension"] == "tag:team"]
    assert view is not None
    assert view.projected == pytest.approx(float(status["projected"].sum()), abs=0.01)
    assert view.budget == pytest.approx(float(status["budget"].sum()), abs=0.01)


def test_a_company_total_budget_covers_every_month_of_the_period_or_none(con):
    months = [dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
    table = pd.DataFrame(
        {
            "owner_dimension": ["company"] * 3 + ["tag:team"],
            "owner": ["total"] * 3 + ["ml"],
            "month": months + [months[0]],
            "amount": [100_000.0, 90_000.0, 80_000.0, 5.0],
            "currency": ["USD", "EUR", "USD", "USD"],
        }
    )
    eur = FX.daily_factors("USD", months[1], months[1])
    rate = float(eur.loc[eur["currency"] == "EUR", "factor"].iloc[0])
    assert company_budget(table, FX, "USD", months[0], dt.date(2026, 6, 30)) == pytest.approx(180_000 + 90_000 * rate)
    assert company_budget(table, FX, "USD", months[2], dt.date(2026, 6, 30)) == 80_000.0
    assert company_budget(table.iloc[1:], FX, "USD", months[0], dt.date(2026, 6, 30)) is None  # April missing
    # The company rows are never mistaken for an owner dimension's budgets.
    assert (
        owners_forecast(DuckDBEngine(con), FX, table, "USD", months[0], months[0] + dt.timedelta(days=29), 0.0)
        is not None
    )
    only_company = table.iloc[:3]
    assert owners_forecast(DuckDBEngine(con), FX, only_company, "USD", months[0], dt.date(2026, 4, 30), 0.0) is None


HEADER = "owner_dimension,owner,month,amount,currency\n"


def _overview(budgets_csv: str, tmp_path, monkeypatch) -> tuple[list[str], list[str], list[str]]:
    from tests.app_fixtures import new_app

    path = tmp_path / "budgets.csv"
    path.write_text(HEADER + budgets_csv)
    monkeypatch.setenv("FINOPS_BUDGETS", str(path))
    at = new_app(page=None).run()  # the landing page: the Overview
    assert not at.exception, [e.value for e in at.exception]
    tiles = [m for m in at.metric if m.label.startswith("Forecast, ")]
    assert len(tiles) == 2, [m.label for m in at.metric]
    return [str(m.proto.delta) for m in tiles], [c.value for c in at.caption], [m.value for m in at.markdown]


def test_the_overview_tiles_never_hold_the_company_forecast_against_owner_budgets(app_db, tmp_path, monkeypatch):
    deltas, captions, lines = _overview("", tmp_path, monkeypatch)  # the sample's team budgets, no company total
    assert not any("budget" in d for d in deltas), deltas
    owners = [c for c in captions if c.startswith("Budgeted owners (12 teams, ")]
    assert len(owners) == 2 and all("% of spend)" in c for c in owners), captions
    month = re.search(r"\): (\S+) against (\S+) \(([+-]\d+\.\d)%\)", owners[0])
    line = next(v for v in lines if v.startswith("Budgeted owners this month (12 teams, "))
    full = re.search(r"projected \*\*(\S+)\*\* against budgets of \*\*(\S+)\*\* \(([+-]\d+\.\d)%\)", line)
    assert month and full and month.group(3) == full.group(3)  # one figure, on the tile and in the line


def test_with_a_company_total_budget_the_company_forecast_is_held_against_it(app_db, tmp_path, monkeypatch):
    rows = "".join(f"company,total,2026-{m:02d},{amount},USD\n" for m, amount in ((4, 60000), (5, 60000), (6, 70000)))
    deltas, captions, _ = _overview(rows, tmp_path, monkeypatch)
    assert "vs budget $70.00K" in deltas[0] and "vs budget $190.00K" in deltas[1], deltas
    assert "Against the company's total budget of $70,000.00." in captions
