"""The Forecast page's data: cached forecasts and budget status (keyed on what is loaded), the
budgets file kept in step with the table, and the page's sections (the budgets editable by admins only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import budgets
from analytics.budgets.status import HEADING_OVER, OVER
from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.forecast import Forecast, forecast
from analytics.forecast.backtest import mean_variance
from analytics.forecast.charts import backtest_chart, forecast_chart
from analytics.forecast.run import NoHistory
from analytics.forecast.totals import PeriodTotal
from analytics.fx import FxTable
from analytics.maturity import Kpi, goals_text, mark
from analytics.schema import EVERYTHING, Filters
from ui import audit, data, queries, read_only
from ui import format as fmt
from ui.cache import cached_fx

__all__ = ["EVERYTHING", "backtest_chart", "forecast_chart", "money_text"]  # for the pages, which import ui only
# Forecasts and backtests cost a second or two and are keyed on what is loaded, so they cannot go
# stale: kept a day instead of an hour, so a quiet hour does not make the next visitor wait.
HEAVY_TTL = 24 * 3600


@cached_fx(max_entries=32, ttl=HEAVY_TTL)
def _forecast(engine: DuckDBEngine, fx: FxTable, where: Filters, currency: str) -> Forecast | str:
    try:
        return forecast(engine, fx, where, currency)
    except NoHistory as exc:
        return str(exc)


def forecast_for(filters: Filters, currency: str) -> Forecast | str:
    """The forecast of the dimension values in `filters` (its dates are ignored: all history is
    used), or why there is none."""
    return _forecast(Filters(where=filters.where), currency)


def budgets_path() -> Path:
    return budgets.default_path()


def sync_budgets() -> str | None:
    """Load data/budgets.csv into the table if it changed; the reason when it cannot be used."""
    path = budgets_path()
    try:
        # Every visit of the Overview and the Forecast asks; a write would copy and republish the
        # store (making every cache cold), so only a changed file opens a writer.
        if not budgets.needs_sync(data.engine(), path, queries.dimensions()):
            return None
        with data.writer(upkeep=True) as cur:
            loaded = budgets.sync(cur, path, queries.dimensions())
    except budgets.BudgetError as exc:
        return str(exc)
    if loaded:
        data.changed()
    return None


def budget_table() -> pd.DataFrame:
    return budgets.read_table(data.engine())


def save_budgets(frame: pd.DataFrame) -> str | None:
    """Write the edited budgets to the file and the table; the reason when a row is wrong."""
    try:
        with data.writer() as cur:
            budgets.save(cur, budgets_path(), frame.dropna(how="all"), queries.dimensions())
    except budgets.BudgetError as exc:
        return str(exc)
    except (TypeError, ValueError) as exc:
        return f"a budget row is incomplete ({exc})"
    audit.record("budgets", {"file": str(budgets_path()), "rows": len(frame.dropna(how="all"))})
    data.changed()
    return None


def budget_problem(problem: str) -> None:
    """The budgets file cannot be used: an admin reads why (the message quotes the file), others are told."""
    st.error("The budgets file cannot be used; the budgets loaded before stay in force.", icon=":material/error:")
    if read_only.can_write():
        st.text(problem)  # quotes the file's text: never rendered as Markdown
    else:
        st.caption("An administrator can see why on this page and fix the file.")


def budget_editor() -> None:
    """The budgets table, edited and saved by an admin; anyone else is told only an admin changes it."""
    if not read_only.can_write():
        read_only.note("change the budgets")
        return
    with st.expander(f"Edit budgets ({budgets_path().name})"):
        edited = st.data_editor(
            budget_table(),
            num_rows="dynamic",
            key="forecast_budgets",
            hide_index=True,
            column_config={"amount": st.column_config.NumberColumn("amount", format=fmt.MONEY_FORMAT)},
        )
        if st.button("Save budgets", key="forecast_save_budgets", icon=":material/save:"):
            error = save_budgets(edited)
            if error:
                st.error("Not saved: a row is not valid.", icon=":material/error:")
                st.text(error)
            else:
                st.success(f"Saved to {budgets_path()}.")


@cached_fx(max_entries=16, ttl=HEAVY_TTL)
def _status(engine: DuckDBEngine, fx: FxTable, table: pd.DataFrame, currency: str, ahead: float | None) -> pd.DataFrame:
    return budgets.budget_status(engine, fx, table, currency, company_ahead=ahead)


def budget_status(currency: str) -> pd.DataFrame:
    """Budget vs actual vs projection per owner for the current month (see analytics.budgets); the
    remaining days come from the company forecast, computed once for this page and the Overview."""
    whole = forecast_for(Filters(), currency)
    ahead = None
    if not isinstance(whole, str):
        month = whole.daily[whole.daily["date"] <= whole.month_end.end]
        ahead = float(month["p50"].sum())
    return _status(budget_table(), currency, ahead)


def interval_methods(result: Forecast) -> str:
    """How the month's and the quarter's intervals were made, said once when they were made alike."""
    month, quarter = result.month_end.method, result.quarter_end.method
    if month == quarter:
        return f"Month and quarter intervals: {month}."
    return f"Month interval: {month}; quarter interval: {quarter}."


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


def shifted(total: PeriodTotal, amount: float) -> PeriodTotal:
    """`total` with `amount` added to every quantile (charges already booked, known exactly)."""
    return dataclasses.replace(
        total, to_date=total.to_date + amount, p10=total.p10 + amount, p50=total.p50 + amount, p90=total.p90 + amount
    )


EXCEEDING = (OVER, HEADING_OVER)  # the budget statuses the Overview counts as over or on course to exceed
VARIANCE_GOALS = goals_text(Kpi.FORECAST_VARIANCE)  # for the page's caption


def accuracy(result: Forecast) -> tuple[float | None, str | None]:
    """Mean forecast variance of the last three full months and its maturity mark."""
    value = mean_variance(result.months)
    return value, mark(Kpi.FORECAST_VARIANCE, value)


def months_table(result: Forecast) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Month": [m.month.strftime("%b %Y") for m in result.months],
            "Forecast on the 1st": [m.forecast for m in result.months],
            "Actual": [m.actual for m in result.months],
            "Variance": [m.variance for m in result.months],
            "Mark": [mark(Kpi.FORECAST_VARIANCE, m.variance) for m in result.months],
        }
    )


def show_budget_status(status: pd.DataFrame, currency: str) -> None:
    """This month's budgets against actual and projected spend, written the house way (ui.format)."""
    shown = status.assign(
        month=pd.to_datetime(status["month"]).dt.strftime("%b %Y"),
        owner_dimension=status["owner_dimension"].map(fmt.label),
    )
    fmt.table(
        fmt.as_percent(shown, ["projected_vs_budget"])[
            ["owner_dimension", "owner", "month", "budget", "actual", "projected", "projected_vs_budget", "status"]
        ],
        {
            "owner_dimension": st.column_config.TextColumn("Owner dimension"),
            "owner": st.column_config.TextColumn("Owner"),
            "month": st.column_config.TextColumn("Month"),
            "budget": fmt.money("Budget", currency),
            "actual": fmt.money("Actual", currency),
            "projected": fmt.money("Projected month end", currency),
            "projected_vs_budget": fmt.percent("Projected / budget"),
            "status": st.column_config.TextColumn("Status"),
        },
        width="content",
    )
