"""Root cause of an anomaly (algorithms.md §5.3, delta decomposition): each dimension value's
actual minus expected over the event, drilled down service → account → region → SKU → resource,
plus the tag values behind it. Expected per value is share-based: its share of the series over the
28 days before the event, times the event's expected total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.anomalies.events import Event
from analytics.anomalies.series import NOT_SET
from analytics.engine import Engine
from analytics.forecast.series import EXCLUDED_CATEGORIES
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, check_dimension, spend
from analytics.schema import Filters, Grain, Metric

PATH: tuple[str, ...] = ("ServiceName", "SubAccountName", "RegionId", "SkuId", "ResourceId")
TAGS: tuple[str, ...] = ("tag:team", "tag:env", "tag:app")
BASELINE_DAYS = 28
EXPLAINS = 0.5  # drill into a child only while it explains at least half of its parent's change


@dataclass(frozen=True)
class Cause:
    """One dimension value's part of the change: `contribution` = its delta / the event's delta."""

    dimension: str
    value: str
    actual: float
    expected: float
    contribution: float

    @property
    def delta(self) -> float:
        return self.actual - self.expected

    def as_dict(self) -> dict[str, object]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "contribution": self.contribution,
            "actual": self.actual,
            "expected": self.expected,
            "delta": self.delta,
        }


def _frame(engine: Engine, fx: FxTable, event: Event, group_by: tuple[str, ...]) -> pd.DataFrame:
    """Spend of the event's series by `group_by`, with a `window` flag: in the event or in the baseline."""
    scope = {event.dimension: [None if event.value == NOT_SET else event.value]}
    first = event.start - dt.timedelta(days=BASELINE_DAYS)
    filters = Filters.of(first, event.end, scope)
    frame = spend(engine, fx, filters, (*group_by, "ChargeCategory"), Metric.EFFECTIVE, Grain.DAY, event.currency).frame
    frame = frame[~frame["ChargeCategory"].isin(EXCLUDED_CATEGORIES)]
    return frame.assign(window=frame[PERIOD] >= event.start)


def _deltas(frame: pd.DataFrame, keys: list[str], event: Event) -> pd.DataFrame:
    """Per value of `keys`: actual in the window, expected = baseline share × the event's expected."""
    filled = frame.assign(**{k: frame[k].fillna(NOT_SET).astype(str) for k in keys})
    actual = filled[filled["window"]].groupby(keys)[COST].sum()
    base = filled[~filled["window"]].groupby(keys)[COST].sum()
    table = pd.concat([actual.rename("actual"), base.rename("base")], axis=1).fillna(0.0)
    total_base = float(table["base"].sum())
    table["expected"] = table["base"] / total_base * event.expected if total_base > 0 else 0.0
    table["delta"] = table["actual"] - table["expected"]
    return table.sort_values("delta", ascending=False)


def explain(engine: Engine, fx: FxTable, event: Event) -> list[Cause]:
    """The drill-down path and the tag values that carry the change, largest contribution first.
    One query on the line items (by every dimension at once); the rest is arithmetic on its result."""
    change = event.impact
    if change == 0:
        return []
    tags = tuple(t for t in TAGS if t != event.dimension and _exists(engine, t))
    whole = _frame(engine, fx, event, (*PATH, *tags))
    causes: list[Cause] = []
    frame = whole
    parent_delta = change
    for dimension in PATH:
        if frame.empty:
            break
        table = _deltas(frame, [dimension], event)
        value, row = str(table.index[0]), table.iloc[0]
        if row["delta"] < EXPLAINS * parent_delta:
            break
        causes.append(Cause(dimension, value, float(row["actual"]), float(row["expected"]), row["delta"] / change))
        frame = frame[frame[dimension].fillna(NOT_SET).astype(str) == value]
        parent_delta = float(row["delta"])
    for tag in tags:
        table = _deltas(whole, [tag], event)
        if table.empty:
            continue
        value, row = str(table.index[0]), table.iloc[0]
        if row["delta"] >= EXPLAINS * change:
            causes.append(Cause(tag, value, float(row["actual"]), float(row["expected"]), row["delta"] / change))
    return sorted(causes, key=lambda c: c.contribution, reverse=True)


def _exists(engine: Engine, dimension: str) -> bool:
    try:
        check_dimension(engine, dimension)
    except ValueError:
        return False
    return True


def sentence(event: Event, money: str) -> str:
    """One line such as `ServiceName=X in account Y, resource Z: +$1,234/day since 3 Oct`; `money` is
    the formatted impact per day."""
    found = {c.dimension: c.value for c in event.root_cause}
    head = f"{event.dimension}={event.value}"
    if "ServiceName" in found and event.dimension != "ServiceName":
        head += f", ServiceName={found['ServiceName']}"
    if "SubAccountName" in found and event.dimension != "SubAccountName":
        head += f" in account {found['SubAccountName']}"
    if "ResourceId" in found:
        head += f", resource {found['ResourceId']}"
    since = f"{event.start.day} {event.start:%b}"
    return f"{head}: +{money}/day since {since}"
