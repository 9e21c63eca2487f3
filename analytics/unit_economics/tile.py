"""The Overview's unit-cost tile: last full month's total unit cost of the default metric, and its
change from the month before."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from analytics.engine import Engine
from analytics.fx import FxTable
from analytics.periods import last_full_month, month_end, month_start
from analytics.queries import PERIOD, data_span
from analytics.schema import Filters, Grain, Metric
from analytics.unit_economics.compute import UNIT_COST, unit_cost
from analytics.unit_economics.metrics import catalog, default_metric


@dataclass(frozen=True)
class UnitTile:
    metric: str
    month: dt.date  # first day of the last full month
    unit_cost: float | None  # None: the month has a day without a metric value
    previous: float | None
    basis: Metric
    currency: str

    @property
    def change(self) -> float | None:
        """Relative change from the month before (0.05 = 5% dearer per unit)."""
        if self.unit_cost is None or not self.previous:
            return None
        return (self.unit_cost - self.previous) / self.previous


def unit_name(metric: str) -> str:
    """One unit of a metric named as a count: "order" from "orders", "active user" from "active_users".
    Only a plain plural "s" is dropped ("sessions" -> "session", never "status" or "bus" -> "statu", "bu");
    a word it cannot read stays as it is."""
    *head, noun = metric.replace("_", " ").split(" ")
    if len(noun) > 3 and noun.endswith("s") and not noun.endswith(("ss", "us", "is")):
        noun = noun[:-1]
    return " ".join([*head, noun])


def last_full_month_unit_cost(
    engine: Engine, fx: FxTable, metric: str | None = None, basis: Metric = Metric.EFFECTIVE, currency: str = "USD"
) -> UnitTile | None:
    """Total `basis` cost per unit of `metric` (default: orders, else the first metric) in the last
    full UTC month of the cost data and the month before; None without metrics or a full month."""
    found = catalog(engine)
    name = metric or default_metric(found)
    span = data_span(engine)
    if name is None or span is None:
        return None
    last = span[1]
    month = last_full_month(last)
    if month < month_start(span[0]):
        return None
    before = month_start(month, 1)
    end = month_end(month)
    total = unit_cost(engine, fx, name, None, Grain.MONTH, Filters(before, end), basis, currency).total
    by_month = {row[PERIOD]: row[UNIT_COST] for _, row in total.iterrows()}

    def figure(day: dt.date) -> float | None:
        value = by_month.get(day)
        return None if value is None or math.isnan(value) else float(value)

    return UnitTile(name, month, figure(month), figure(before) if before >= span[0] else None, basis, currency)
