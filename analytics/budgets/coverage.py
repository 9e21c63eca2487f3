"""Forecast against budget, like with like. Budgets usually cover some owners only (the 12 teams),
so the company's forecast is never held against them: the budgeted owners' own forecast is, and
what they cover is said ("12 teams, 89 % of spend"). When the company has a total budget (rows
for owner_dimension `company` in the budgets file), the company's forecast is held against it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from analytics.budgets.file import COMPANY_DIMENSION
from analytics.budgets.period import converted_total, months_between, period_budget
from analytics.budgets.status import SHARE_DAYS
from analytics.engine import Engine
from analytics.forecast.series import EXCLUDED_CATEGORIES
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, data_span, spend
from analytics.schema import Filters, Grain, Metric


@dataclass(frozen=True)
class OwnersForecast:
    """The budgeted owners of one dimension over [start, end], in the reporting currency (EffectiveCost).
    `projected` = their spend to date + their share of the company's usage over the last SHARE_DAYS
    days times the company's usage forecast for the remaining days: the method of budget_status, so
    that its per-owner projections add up to this figure."""

    start: dt.date
    end: dt.date
    owner_dimension: str
    owners: int
    budget: float
    actual: float  # the budgeted owners' spend to date in the period
    projected: float
    company_actual: float  # everyone's spend to date in the period

    @property
    def share(self) -> float:
        """The budgeted owners' part of the company's spend to date in the period."""
        return self.actual / self.company_actual if self.company_actual > 0 else 0.0

    @property
    def variance(self) -> float:
        """Projected against budget: +0.013 is 1.3 % over."""
        return self.projected / self.budget - 1 if self.budget > 0 else math.nan


def owners_forecast(
    engine: Engine,
    fx: FxTable,
    budgets: pd.DataFrame,
    currency: str,
    start: dt.date,
    end: dt.date,
    ahead: float,
    owner_dimension: str | None = None,
) -> OwnersForecast | None:
    """`ahead`: the company's usage forecast (median) for the days after the data up to `end`. None
    without budgets for every month of the period (see period_budget for the dimension chosen)."""
    by_owner = budgets[budgets["owner_dimension"] != COMPANY_DIMENSION]
    chosen = period_budget(by_owner, fx, currency, start, end, owner_dimension)
    span = data_span(engine)
    if chosen is None or span is None:
        return None
    dimension, last = chosen.owner_dimension, span[1]
    months = set(months_between(start, end))
    rows = by_owner[by_owner["owner_dimension"] == dimension]
    owners = set(rows.loc[pd.to_datetime(rows["month"]).dt.date.isin(months), "owner"].astype(str))
    since = min(start, last - dt.timedelta(days=SHARE_DAYS - 1))
    if since > last:  # the period has not started: no spend to date, no recent spend to share
        return OwnersForecast(start, end, dimension, len(owners), chosen.amount, 0.0, 0.0, 0.0)
    filters = Filters(start=since, end=min(end, last))
    frame = spend(engine, fx, filters, (dimension, "ChargeCategory"), Metric.EFFECTIVE, Grain.DAY, currency).frame
    day = pd.to_datetime(frame[PERIOD])
    mine = frame[dimension].isin(owners)
    in_period = day >= pd.Timestamp(start)
    usage = (day > pd.Timestamp(last - dt.timedelta(days=SHARE_DAYS))) & ~frame["ChargeCategory"].isin(
        EXCLUDED_CATEGORIES
    )
    company_usage = float(frame.loc[usage, COST].sum())
    share = float(frame.loc[usage & mine, COST].sum()) / company_usage if company_usage > 0 else 0.0
    actual = float(frame.loc[in_period & mine, COST].sum())
    return OwnersForecast(
        start=start,
        end=end,
        owner_dimension=dimension,
        owners=len(owners),
        budget=chosen.amount,
        actual=actual,
        projected=actual + ahead * share,
        company_actual=float(frame.loc[in_period, COST].sum()),
    )


def company_budget(budgets: pd.DataFrame, fx: FxTable, currency: str, start: dt.date, end: dt.date) -> float | None:
    """The company's total budget for [start, end] in `currency`: None unless every month has one
    (and its currency a rate), as a quarter with one month budgeted is not a quarter's budget."""
    rows = budgets[budgets["owner_dimension"] == COMPANY_DIMENSION]
    months = months_between(start, end)
    return converted_total(rows[pd.to_datetime(rows["month"]).dt.date.isin(months)], fx, currency, months)
