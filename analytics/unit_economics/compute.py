"""Unit cost: a cost metric (after allocation, in the reporting currency) divided by a business
metric, per day, week or month, per owner and in total.

Two ways to divide per owner. When the metric has values for the owner dimension itself (active
users per team), each owner's cost is divided by its own value. When it has only company-wide
values (orders), each owner's cost is divided by the company's value: the owner's share of the
cost of one order, and the owners' unit costs add up to the total's.

A period has a unit cost only when every one of its days (inside the view and the cost data) has a
metric value and the sum is above zero; otherwise the unit cost is a gap (None), never a division by
zero nor a ratio of a whole period's cost to part of its volume."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, check_dimension, data_span, spend
from analytics.schema import EVERYTHING, Filters, Grain, Metric
from analytics.unit_economics.metrics import MetricInfo, catalog, check_metric, company_values, values

OWNER = "owner"
VALUE = "value"
DAYS = "days"  # days of the period with a metric value
EXPECTED = "expected_days"  # days of the period inside the view and the cost data
UNIT_COST = "unit_cost"
_NONE = "\x00"  # stands for "not set" while merging: pandas would not match None with None reliably


@dataclass(frozen=True)
class UnitCosts:
    """`frame`: period, owner, cost, value, days, expected_days, unit_cost per owner (empty without
    an owner dimension); `total`: the same without owner, one row per period of the view."""

    frame: pd.DataFrame
    total: pd.DataFrame
    metric: MetricInfo
    by: str | None
    per_owner: bool
    denominator: str
    basis: Metric
    currency: str
    grain: Grain
    start: dt.date | None
    end: dt.date | None
    unconverted: pd.DataFrame


def periods(start: dt.date, end: dt.date, grain: Grain) -> pd.DataFrame:
    """Every period touching [start, end] and how many of its days are inside it."""
    days = pd.date_range(start, end, freq="D")
    if grain is Grain.MONTH:
        first = days.to_period("M").start_time
    elif grain is Grain.WEEK:
        first = days - pd.to_timedelta(days.day_of_week, unit="D")
    else:
        first = days
    counts = pd.Series(1, index=first.date).groupby(level=0).sum()
    return pd.DataFrame({PERIOD: list(counts.index), EXPECTED: counts.to_numpy(dtype="int64")})


def ratio(cost: pd.Series, value: pd.Series, days: pd.Series, expected: pd.Series) -> pd.Series:
    """cost / value where every day has a value and the sum is above zero; NaN (a gap) elsewhere."""
    whole = days.fillna(0).to_numpy() == expected.to_numpy()
    positive = value.fillna(0).to_numpy() > 0
    safe = value.where(positive & whole, np.nan).astype(float)
    return (cost.astype(float) / safe).astype(float)


def _with_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    frame[COST] = frame[COST].fillna(0.0).astype(float)
    frame[UNIT_COST] = ratio(frame[COST], frame[VALUE], frame[DAYS], frame[EXPECTED])
    return frame


def unit_cost(
    engine: Engine,
    fx: FxTable,
    metric: str,
    by: str | None = None,
    grain: Grain = Grain.MONTH,
    filters: Filters = EVERYTHING,
    basis: Metric = Metric.EFFECTIVE,
    currency: str = "USD",
) -> UnitCosts:
    """`basis` cost per unit of `metric`, per `grain` period, per owner of `by` and in total.
    The dimension filters of `filters` narrow the cost (AWS cost per order); its dates the periods."""
    info = check_metric(catalog(engine), metric)
    if by is not None:
        check_dimension(engine, by)
    span = data_span(engine)
    start = max(filters.start or dt.date.min, span[0]) if span else None
    end = min(filters.end or dt.date.max, span[1]) if span else None
    empty = pd.DataFrame(columns=[PERIOD, OWNER, COST, VALUE, DAYS, EXPECTED, UNIT_COST])
    if start is None or end is None or start > end:
        return UnitCosts(
            empty, empty.drop(columns=OWNER), info, by, False, "", basis, currency, grain, start, end, pd.DataFrame()
        )
    window = Filters(start=start, end=end, where=filters.where)
    slots = periods(start, end, grain)
    company, denominator = company_values(engine, info, by, start, end, grain)
    cost = spend(engine, fx, window, (), basis, grain, currency)
    total = slots.merge(cost.frame[[PERIOD, COST]], on=PERIOD, how="left")
    total = _with_ratio(total.merge(company[[PERIOD, VALUE, DAYS]], on=PERIOD, how="left"))
    per_owner = by is not None and by in info.owner_dimensions
    frame = empty
    if by is not None:
        owners = spend(engine, fx, window, (by,), basis, grain, currency).frame
        owners = owners[[by, PERIOD, COST]].rename(columns={by: OWNER})
        owners[OWNER] = owners[OWNER].map(lambda v: _NONE if v is None or v != v else str(v))
        if per_owner:
            own = values(engine, metric, by, start, end, grain).assign(owner=lambda f: f[OWNER].fillna(_NONE))
            frame = owners.merge(own[[PERIOD, OWNER, VALUE, DAYS]], on=[PERIOD, OWNER], how="outer")
        else:
            frame = owners.merge(company[[PERIOD, VALUE, DAYS]], on=PERIOD, how="left")
        frame = _with_ratio(frame.merge(slots, on=PERIOD, how="inner"))
        # pandas 3 keeps text as `str`, where None reads back as NaN: the column is built as objects.
        frame[OWNER] = pd.Series([None if v == _NONE else v for v in frame[OWNER]], index=frame.index, dtype=object)
        frame = frame.sort_values([PERIOD, COST], ascending=[True, False], ignore_index=True)
        frame = frame[[PERIOD, OWNER, COST, VALUE, DAYS, EXPECTED, UNIT_COST]]
    if per_owner:
        denominator = f"each owner's own values of {by}"
    total = total[[PERIOD, COST, VALUE, DAYS, EXPECTED, UNIT_COST]]
    return UnitCosts(
        frame, total, info, by, per_owner, denominator, basis, currency, grain, start, end, cost.unconverted
    )


def unit_costs(
    engine: Engine,
    fx: FxTable,
    metric: str,
    owner_dimension: str,
    months: Sequence[dt.date],
    basis: Metric = Metric.EFFECTIVE,
    currency: str = "USD",
) -> pd.DataFrame:
    """Monthly `basis` cost per unit of `metric` per owner of `owner_dimension`, for the calendar
    months containing the days in `months` (for showback packs). Columns: owner, month (first day),
    cost, value, unit_cost (NaN where the month has a day without a value). Raises UnknownMetric,
    UnknownDimension."""
    firsts = sorted({dt.date(m.year, m.month, 1) for m in months})
    if not firsts:
        return pd.DataFrame(columns=[OWNER, "month", COST, VALUE, UNIT_COST])
    last = firsts[-1]
    end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1) - dt.timedelta(days=1)
    result = unit_cost(engine, fx, metric, owner_dimension, Grain.MONTH, Filters(firsts[0], end), basis, currency)
    frame = result.frame[result.frame[PERIOD].isin(firsts)].rename(columns={PERIOD: "month"})
    return frame[[OWNER, "month", COST, VALUE, UNIT_COST]].reset_index(drop=True)
