"""One forecast: daily p10/p50/p90 for the days ahead, month-end and quarter-end totals, and the
backtest scores that say how far to trust it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.engine import Engine
from analytics.forecast.backtest import MonthScore, Scores, daily_backtest, month_scores, total_log_errors, widen
from analytics.forecast.model import MIN_DAYS, fit_predict, run_rate
from analytics.forecast.series import daily_series
from analytics.forecast.totals import PeriodTotal, period_bounds, period_total
from analytics.fx import FxTable
from analytics.schema import EVERYTHING, Filters

DEFAULT_HORIZON = 30
MODEL = "quantile regression: trend + day-of-week + month boundaries (log scale)"
RUN_RATE = "run-rate: average of the last 7 days"


class NoHistory(ValueError):
    """Nothing to forecast: no spend for this scope."""


@dataclass(frozen=True)
class Forecast:
    """Daily EffectiveCost (without purchases, tax and credits) in `currency`."""

    currency: str
    method: str
    note: str | None
    history: pd.Series  # actual daily spend used
    daily: pd.DataFrame  # date, p10, p50, p90 for every day to the end of the quarter (or horizon)
    horizon_days: int
    month_end: PeriodTotal
    quarter_end: PeriodTotal
    backtest: Scores
    months: list[MonthScore] = field(default_factory=list)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)  # ChargeCategory, day, cost

    @property
    def last_day(self) -> dt.date:
        return pd.Timestamp(self.history.index[-1]).date()

    def excluded_to_date(self, start: dt.date) -> dict[str, float]:
        """Purchases, tax and credits booked from `start` to the last day loaded, per category."""
        if self.excluded.empty:
            return {}
        rows = self.excluded[pd.to_datetime(self.excluded["day"]).dt.date >= start]
        return {str(k): float(v) for k, v in rows.groupby("ChargeCategory")["cost"].sum().items()}


def forecast(
    engine: Engine,
    fx: FxTable,
    filters: Filters = EVERYTHING,
    currency: str = "USD",
    horizon_days: int = DEFAULT_HORIZON,
) -> Forecast:
    """Forecast the spend of `filters` (its dimension values; all history is used whatever its dates)."""
    series = daily_series(engine, fx, filters, currency)
    history = _from_first_spend(series.usage)
    if history.empty:
        raise NoHistory("no spend (other than purchases, tax and credits) for this scope")
    last = pd.Timestamp(history.index[-1]).date()
    first_future = last + dt.timedelta(days=1)
    month = period_bounds(first_future, quarter=False)
    quarter = period_bounds(first_future, quarter=True)
    reach = max(horizon_days, (quarter[1] - last).days)
    future = pd.date_range(first_future, periods=reach, freq="D")
    if len(history) < MIN_DAYS:
        level = run_rate(history, future)
        daily = np.column_stack([level, level, level])
        note = (
            f"Only {len(history)} days of history (a model needs {MIN_DAYS}): a run-rate of the last "
            "7 days, without an interval."
        )
        totals = [_run_rate_total(history, level, *bounds) for bounds in (month, quarter)]
        scores = daily_backtest(history)
        method, months = RUN_RATE, []
    else:
        daily = fit_predict(history, future)
        scores = daily_backtest(history)
        daily[:, 0], daily[:, 2] = widen(daily[:, 0], daily[:, 2], scores.widen)
        h_month, h_quarter = (month[1] - last).days, (quarter[1] - last).days
        errors = total_log_errors(history, (h_month, h_quarter))
        totals = [
            period_total(history, daily[:, 1], *month, errors[h_month]),
            period_total(history, daily[:, 1], *quarter, errors[h_quarter]),
        ]
        note, method, months = None, MODEL, month_scores(history)
    frame = pd.DataFrame({"date": future.date, "p10": daily[:, 0], "p50": daily[:, 1], "p90": daily[:, 2]})
    return Forecast(
        currency=currency,
        method=method,
        note=note,
        history=history,
        daily=frame,
        horizon_days=horizon_days,
        month_end=totals[0],
        quarter_end=totals[1],
        backtest=scores,
        months=months,
        excluded=series.excluded,
    )


def _from_first_spend(usage: pd.Series) -> pd.Series:
    """Drop the days before this scope first had spend (a team created last month is not a team
    that spent nothing for a year)."""
    nonzero = np.flatnonzero(usage.to_numpy() != 0)
    return usage.iloc[nonzero[0] :] if len(nonzero) else usage.iloc[0:0]


def _run_rate_total(history: pd.Series, level: np.ndarray, start: dt.date, end: dt.date) -> PeriodTotal:
    to_date = float(history[history.index >= pd.Timestamp(start)].sum())
    remaining = float(level[: max((end - pd.Timestamp(history.index[-1]).date()).days, 0)].sum())
    total = to_date + remaining
    return PeriodTotal(start, end, to_date, total, total, total, "run-rate, no interval")
