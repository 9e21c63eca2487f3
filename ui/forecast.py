"""The Forecast page's data: cached forecasts and budget status (keyed on what is loaded), the
budgets file kept in step with the table, and the page's sections."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import budgets
from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.forecast import Forecast, forecast
from analytics.forecast.backtest import mean_variance, variance_mark
from analytics.forecast.charts import backtest_chart, forecast_chart
from analytics.forecast.run import NoHistory
from analytics.forecast.totals import PeriodTotal
from analytics.fx import FxTable
from analytics.schema import EVERYTHING, Filters
from ui import data

__all__ = ["EVERYTHING", "backtest_chart", "forecast_chart", "money_text"]  # for the pages, which import ui only
TTL = data.TTL
# Forecasts and backtests cost a second or two and are keyed on what is loaded, so they cannot go
# stale: kept a day instead of an hour, so a quiet hour does not make the next visitor wait.
HEAVY_TTL = 24 * 3600


def _fx_stamp(table: FxTable) -> tuple[str, float]:
    path = Path(table.source)
    return table.source, path.stat().st_mtime if path.exists() else 0.0


@st.cache_data(ttl=HEAVY_TTL, max_entries=32, show_spinner=False)
def _forecast(
    _engine: DuckDBEngine, _fx: FxTable, db: str, stamp: tuple[str, float], where: Filters, currency: str
) -> Forecast | str:
    try:
        return forecast(_engine, _fx, where, currency)
    except NoHistory as exc:
        return str(exc)


def forecast_for(filters: Filters, currency: str) -> Forecast | str:
    """The forecast of the dimension values in `filters` (its dates are ignored: all history is
    used), or why there is none."""
    table = data.fx()
    scope = Filters(where=filters.where)
    return _forecast(data.engine(), table, data.db_key(), _fx_stamp(table), scope, currency)


def budgets_path() -> Path:
    return budgets.default_path()


def sync_budgets() -> str | None:
    """Load data/budgets.csv into the table if it changed; the reason when it cannot be used."""
    path = budgets_path()
    try:
        with data.writer() as cur:
            loaded = budgets.sync(cur, path, data.dimensions())
    except budgets.BudgetError as exc:
        return str(exc)
    if loaded:
        data.changed()
    return None


def budget_table() -> pd.DataFrame:
    cur = data.engine().con.cursor()
    try:
        return budgets.read_table(cur)
    finally:
        cur.close()


def save_budgets(frame: pd.DataFrame) -> str | None:
    """Write the edited budgets to the file and the table; the reason when a row is wrong."""
    try:
        with data.writer() as cur:
            budgets.save(cur, budgets_path(), frame.dropna(how="all"), data.dimensions())
    except budgets.BudgetError as exc:
        return str(exc)
    except (TypeError, ValueError) as exc:
        return f"a budget row is incomplete ({exc})"
    data.changed()
    return None


@st.cache_data(ttl=HEAVY_TTL, max_entries=16, show_spinner=False)
def _status(
    _engine: DuckDBEngine,
    _fx: FxTable,
    db: str,
    stamp: tuple[str, float],
    table: pd.DataFrame,
    currency: str,
    ahead: float | None,
) -> pd.DataFrame:
    return budgets.budget_status(_engine, _fx, table, currency, company_ahead=ahead)


def budget_status(currency: str) -> pd.DataFrame:
    """Budget vs actual vs projection per owner for the current month (see analytics.budgets); the
    remaining days come from the company forecast, computed once for this page and the Overview."""
    fx_table = data.fx()
    whole = forecast_for(Filters(), currency)
    ahead = None
    if not isinstance(whole, str):
        month = whole.daily[whole.daily["date"] <= whole.month_end.end]
        ahead = float(month["p50"].sum())
    return _status(data.engine(), fx_table, data.db_key(), _fx_stamp(fx_table), budget_table(), currency, ahead)


def period_metric(label: str, total: PeriodTotal, currency: str, budget: float | None = None) -> None:
    """One tile: the median total, its 80% interval, and the budget if there is one."""
    p10, p50, p90 = total.p10, total.p50, total.p90
    delta = None
    if budget:
        delta = f"{(p50 - budget) / budget:+.1%} vs budget {money_text(budget, currency, compact=True)}"
    st.metric(
        label,
        money_text(p50, currency, compact=True),
        delta=delta,
        delta_color="inverse",
        help=f"80% interval {money_text(p10, currency)} to {money_text(p90, currency)}",
        border=True,
    )
    st.caption(f"80%: {money_text(p10, currency, compact=True)} – {money_text(p90, currency, compact=True)}")


def period_budget(total: PeriodTotal, currency: str) -> budgets.PeriodBudget | None:
    """The owners' budgets for `total`'s whole month or quarter, in `currency` (None without)."""
    owner = data.allocation().rules.owner_dimension()
    return budgets.period_budget(budget_table(), data.fx(), currency, total.start, total.end, owner)


def period_tile(label: str, total: PeriodTotal, currency: str) -> None:
    """A forecast tile against the period's budget, when the budgets cover the whole period."""
    budget = period_budget(total, currency)
    period_metric(label, total, currency, budget.amount if budget is not None else None)
    if budget is not None:
        st.caption(f"Budget: {budget.owners} owners by {budget.owner_dimension}, {money_text(budget.amount, currency)}")
    else:
        st.caption("No budget for the whole period")


def shifted(total: PeriodTotal, amount: float) -> PeriodTotal:
    """`total` with `amount` added to every quantile (charges already booked, known exactly)."""
    return dataclasses.replace(
        total, to_date=total.to_date + amount, p10=total.p10 + amount, p50=total.p50 + amount, p90=total.p90 + amount
    )


def accuracy(result: Forecast) -> tuple[float | None, str | None]:
    """Mean forecast variance of the last three full months and its maturity mark."""
    value = mean_variance(result.months)
    return value, variance_mark(value)


def months_table(result: Forecast) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Month": [m.month.strftime("%b %Y") for m in result.months],
            "Forecast on the 1st": [m.forecast for m in result.months],
            "Actual": [m.actual for m in result.months],
            "Variance": [m.variance for m in result.months],
            "Mark": [variance_mark(m.variance) for m in result.months],
        }
    )
