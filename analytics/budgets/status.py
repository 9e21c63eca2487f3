"""Budget vs actual vs month-end projection per owner, with those on course to exceed flagged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.engine import Engine
from analytics.forecast.model import MIN_DAYS, fit_predict, run_rate
from analytics.forecast.series import EXCLUDED_CATEGORIES, daily_series
from analytics.forecast.totals import period_bounds
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, UnknownDimension, check_dimension, data_span, spend
from analytics.schema import EVERYTHING, Filters, Grain, Metric

SHARE_DAYS = 28
OVER = "over budget"
HEADING_OVER = "on course to exceed"
ON_TRACK = "on track"
NO_BUDGET = "no budget"


def budget_status(
    engine: Engine,
    fx: FxTable,
    budgets: pd.DataFrame,
    currency: str = "USD",
    month: dt.date | None = None,
    company_ahead: float | None = None,
) -> pd.DataFrame:
    """One row per owner with a budget in `month` (default: the month of the first day not loaded):
    budget, actual (all EffectiveCost, as budgets are set), projection = actual + the owner's share
    of the forecast for the remaining days, status.

    The remaining days are forecast once, top-down: the whole company's usage (the forecast model's
    median; purchases, tax and credits are not extrapolated) times the owner's share of usage over
    the last SHARE_DAYS days. One model fit for every owner, and a share moves with a team's step
    changes as soon as they happen, where a per-team fit on a noisy small series would lag.
    `company_ahead`: that forecast, when the caller already has it (the current month only)."""
    span = data_span(engine)
    if span is None or budgets.empty:
        return _empty()
    last = span[1]
    start, end = period_bounds(month or last + dt.timedelta(days=1), quarter=False)
    chosen = budgets[pd.to_datetime(budgets["month"]).dt.date == start]
    remaining = pd.date_range(last + dt.timedelta(days=1), end, freq="D") if last < end else pd.DatetimeIndex([])
    if company_ahead is None or month is not None:
        company_ahead = _company_ahead(engine, fx, currency, remaining) if len(chosen) else 0.0
    ahead = company_ahead
    rows = []
    for dimension, group in chosen.groupby("owner_dimension"):
        try:
            check_dimension(engine, str(dimension))
        except UnknownDimension:
            continue  # a budget for a tag nobody uses: shown by the editor, not projectable
        rows += _rows(engine, fx, str(dimension), group, currency, (start, end, last), ahead)
    return pd.DataFrame(rows, columns=_empty().columns) if rows else _empty()


def _company_ahead(engine: Engine, fx: FxTable, currency: str, remaining: pd.DatetimeIndex) -> float:
    """Usage forecast (median) of everything for the `remaining` days."""
    if len(remaining) == 0:
        return 0.0
    usage = daily_series(engine, fx, EVERYTHING, currency).usage
    nonzero = np.flatnonzero(usage.to_numpy() != 0)
    history = usage.iloc[nonzero[0] :] if len(nonzero) else usage.iloc[0:0]
    if history.empty:
        return 0.0
    if len(history) < MIN_DAYS:
        return float(run_rate(history, remaining).sum())
    return float(fit_predict(history, remaining, quantiles=(0.5,))[:, 0].sum())


def _rows(
    engine: Engine,
    fx: FxTable,
    dimension: str,
    group: pd.DataFrame,
    currency: str,
    dates: tuple[dt.date, dt.date, dt.date],
    company_ahead: float,
) -> list[dict[str, object]]:
    start, end, last = dates
    since = min(start, last - dt.timedelta(days=SHARE_DAYS - 1))
    # One query for every owner and everyone else: its unfiltered sum is the company's usage.
    filters = Filters(start=since, end=min(end, last))
    frame = spend(engine, fx, filters, (dimension, "ChargeCategory"), Metric.EFFECTIVE, Grain.DAY, currency).frame
    recent = pd.to_datetime(frame[PERIOD]) > pd.Timestamp(last - dt.timedelta(days=SHARE_DAYS))
    usage_rows = frame[recent & ~frame["ChargeCategory"].isin(EXCLUDED_CATEGORIES)]
    company_usage = float(usage_rows[COST].sum())
    usage = usage_rows.groupby(dimension)[COST].sum()
    factors = budget_factors(fx, currency, start)
    out: list[dict[str, object]] = []
    for record in group.itertuples(index=False):
        mine = frame[frame[dimension] == record.owner]
        actual = float(mine.loc[pd.to_datetime(mine[PERIOD]) >= pd.Timestamp(start), COST].sum())
        share = float(usage.get(record.owner, 0.0)) / company_usage if company_usage > 0 else 0.0
        budget = float(str(record.amount)) * factors.get(str(record.currency), np.nan)
        projected = actual + company_ahead * share
        out.append(
            {
                "owner_dimension": dimension,
                "owner": record.owner,
                "month": start,
                "budget": budget,
                "actual": actual,
                "projected": projected,
                "used": actual / budget if budget > 0 else None,
                "projected_vs_budget": projected / budget if budget > 0 else None,
                "status": _status(budget, actual, projected),
            }
        )
    return sorted(out, key=lambda r: -float(str(r["projected_vs_budget"] or 0.0)))


def _status(budget: float, actual: float, projected: float) -> str:
    if budget != budget:  # NaN: no FX rate for the budget's currency
        return NO_BUDGET
    if actual > budget:
        return OVER
    return HEADING_OVER if projected > budget else ON_TRACK


def budget_factors(fx: FxTable, currency: str, month: dt.date) -> dict[str, float]:
    """Budgets are converted at the rate of the month's first day."""
    table = fx.daily_factors(currency, month, month)
    return {str(c): float(f) for c, f in zip(table["currency"], table["factor"], strict=True)}


def _empty() -> pd.DataFrame:
    columns = [
        "owner_dimension",
        "owner",
        "month",
        "budget",
        "actual",
        "projected",
        "used",
        "projected_vs_budget",
        "status",
    ]
    return pd.DataFrame({c: [] for c in columns})
