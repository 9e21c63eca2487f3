"""The series a forecast is fitted on: daily EffectiveCost in the reporting currency, without the
charges that do not follow usage (purchases, tax, credits), which are kept apart and shown separately."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, data_span, spend
from analytics.schema import Filters, Grain, Metric

# Commitment purchases are lumpy one-off decisions, tax follows the invoice and credits are granted:
# none of them is driven by daily usage, so a usage model would only learn noise from them.
EXCLUDED_CATEGORIES: tuple[str, ...] = ("Purchase", "Tax", "Credit")


@dataclass(frozen=True)
class DailySeries:
    """`usage`: one value per UTC day from the first to the last day with data (0 on empty days).
    `excluded`: per ChargeCategory in EXCLUDED_CATEGORIES and day, what `usage` leaves out."""

    usage: pd.Series
    excluded: pd.DataFrame
    currency: str
    last_day: dt.date | None


def daily_series(engine: Engine, fx: FxTable, filters: Filters, currency: str = "USD") -> DailySeries:
    """Daily EffectiveCost of `filters` (dates ignored: all history up to the last day loaded)."""
    span = data_span(engine)
    if span is None:
        return DailySeries(pd.Series(dtype=float), _empty_excluded(), currency, None)
    scope = Filters(start=span[0], end=span[1], where=filters.where)
    result = spend(engine, fx, scope, ("ChargeCategory",), Metric.EFFECTIVE, Grain.DAY, currency)
    frame = result.frame
    days = pd.date_range(span[0], span[1], freq="D")
    is_excluded = frame["ChargeCategory"].isin(EXCLUDED_CATEGORIES)
    usage = frame[~is_excluded].groupby(PERIOD)[COST].sum()
    usage.index = pd.to_datetime(usage.index)
    usage = usage.reindex(days, fill_value=0.0).astype(float)
    excluded = frame[is_excluded].rename(columns={PERIOD: "day", COST: "cost"})[["ChargeCategory", "day", "cost"]]
    return DailySeries(usage, excluded.reset_index(drop=True), currency, span[1])


def _empty_excluded() -> pd.DataFrame:
    return pd.DataFrame({"ChargeCategory": [], "day": [], "cost": []})
