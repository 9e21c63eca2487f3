"""The Overview's forecast tiles against budget, like with like (see analytics.budgets.coverage):
the company's forecast is compared with a company total budget only; the budgeted owners' own
forecast with their budgets, saying what they cover. One figure per period, used by the tile and
the line under the tiles, so the page never shows two numbers that contradict each other."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.budgets.coverage import OwnersForecast, company_budget, owners_forecast
from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.forecast import Forecast
from analytics.forecast.totals import PeriodTotal
from analytics.fx import FxTable
from ui import data
from ui import forecast as fc
from ui.cache import cached_fx


@cached_fx(max_entries=16, ttl=fc.HEAVY_TTL)
def _owners(
    engine: DuckDBEngine,
    fx: FxTable,
    table: pd.DataFrame,
    currency: str,
    start: dt.date,
    end: dt.date,
    ahead: float,
    owner: str | None,
) -> OwnersForecast | None:
    return owners_forecast(engine, fx, table, currency, start, end, ahead, owner)


def owners_view(result: Forecast, period: PeriodTotal, currency: str) -> OwnersForecast | None:
    """The budgeted owners' forecast for `period`, with the company's usage forecast for its days ahead."""
    ahead = float(result.daily.loc[result.daily["date"] <= period.end, "p50"].sum())
    owner = data.allocation().rules.owner_dimension()
    return _owners(fc.budget_table(), currency, period.start, period.end, ahead, owner)


def owners_word(dimension: str, count: int) -> str:
    """'12 teams' for tag:team, '3 business units' for alloc:business_unit, else '4 owners by X'."""
    if dimension.startswith(("tag:", "alloc:")):
        noun = dimension.split(":", 1)[1].replace("_", " ").replace("-", " ")
        return f"{count} {noun}{'' if count == 1 or noun.endswith('s') else 's'}"
    return f"{count} owner{'' if count == 1 else 's'} by {dimension}"


def covered(view: OwnersForecast) -> str:
    """'12 teams, 89 % of spend'."""
    return f"{owners_word(view.owner_dimension, view.owners)}, {view.share:.0%} of spend"


def forecast_tile(label: str, total: PeriodTotal, result: Forecast, currency: str) -> None:
    """The company's forecast; a budget delta only against a company total budget; below it, the
    budgeted owners' forecast against their own budgets."""
    whole = company_budget(fc.budget_table(), data.fx(), currency, total.start, total.end)
    fc.period_metric(label, total, currency, whole)
    if whole is not None:
        st.caption(f"Against the company's total budget of {money_text(whole, currency)}.")
    view = owners_view(result, total, currency)
    if view is None:
        st.caption("No owner budgets for the whole period.")
        return
    st.caption(
        f"Budgeted owners ({covered(view)}): {money_text(view.projected, currency, compact=True)} against "
        f"{money_text(view.budget, currency, compact=True)} ({view.variance:+.1%})."
    )


def month_line(result: Forecast, status: pd.DataFrame, currency: str) -> str | None:
    """The line under the tiles: this month's budgeted owners, the same figure as the month tile's."""
    view = owners_view(result, result.month_end, currency)
    if view is None:
        return None
    mine = status[status["owner_dimension"] == view.owner_dimension]
    heading = int(mine["status"].isin(fc.EXCEEDING).sum())
    return (
        f"Budgeted owners this month ({covered(view)}): projected **{money_text(view.projected, currency)}** "
        f"against budgets of **{money_text(view.budget, currency)}** ({view.variance:+.1%}); **{heading}** of "
        f"{len(mine)} over or on course to exceed."
    )
