"""The budget a month-end or quarter-end forecast is held against: the owners' budgets summed."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from analytics.budgets.status import budget_factors
from analytics.fx import FxTable


@dataclass(frozen=True)
class PeriodBudget:
    """`amount` in the reporting currency: the budgets of every owner of `owner_dimension` for the
    months from `start` to `end`, each converted at the rate of its month's first day."""

    owner_dimension: str
    owners: int
    amount: float


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [d.date() for d in pd.date_range(start.replace(day=1), end, freq="MS")]


def period_budget(
    budgets: pd.DataFrame, fx: FxTable, currency: str, start: dt.date, end: dt.date, owner_dimension: str | None
) -> PeriodBudget | None:
    """The budget of [start, end] for one owner dimension: `owner_dimension` when it has budgets
    (the allocation's owner), else the one with the most budgeted money (summing two dimensions would
    count the same dollar twice). None unless every month of the period has budgets: a quarter with
    one month budgeted is not a quarter's budget. None too when a budget's currency has no rate."""
    months = months_between(start, end)
    rows = budgets[pd.to_datetime(budgets["month"]).dt.date.isin(months)]
    if rows.empty:
        return None
    dimensions = list(rows.groupby("owner_dimension")["amount"].sum().sort_values(ascending=False).index)
    dimension = str(owner_dimension if owner_dimension in dimensions else dimensions[0])
    chosen = rows[rows["owner_dimension"] == dimension]
    total = converted_total(chosen, fx, currency, months)
    return None if total is None else PeriodBudget(dimension, int(chosen["owner"].nunique()), total)


def converted_total(rows: pd.DataFrame, fx: FxTable, currency: str, months: list[dt.date]) -> float | None:
    """The budget rows' amounts summed in `currency`, each at its month's rate: None unless every one
    of `months` has a row, or when a budget's currency has no rate."""
    if set(pd.to_datetime(rows["month"]).dt.date) != set(months):
        return None
    total = 0.0
    for month, group in rows.groupby(pd.to_datetime(rows["month"]).dt.date):
        factors = budget_factors(fx, currency, month)
        for amount, code in zip(group["amount"], group["currency"], strict=True):
            if math.isnan(factors.get(str(code), math.nan)):
                return None  # no rate (missing or NaN) for this budget's currency
            total += float(amount) * factors[str(code)]
    return total
