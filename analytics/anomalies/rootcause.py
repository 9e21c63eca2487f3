"""Root cause of an anomaly (algorithms.md §5.3, delta decomposition): each dimension value's
actual minus expected over the event, drilled down service → account → region → SKU → resource,
plus the tag values behind it. Expected per value is share-based: its share of its parent's spend over
the 28 days before the event, times its parent's expected total (the event's, at the first level).

A value absent from the baseline (a brand-new resource, account or SKU) is expected at 0, so its whole
spend is change. A level whose change is spread (none of its values carries half) is skipped rather
than ending the drill, since the next level down may still concentrate it; and when one resource
carries most of the change, a level that would split that resource (its SKUs) is passed over, so
the drill reaches the resource with all of its change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.anomalies.events import Event
from analytics.anomalies.series import NOT_SET
from analytics.engine import Engine
from analytics.forecast.series import EXCLUDED_CATEGORIES
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, spend, tag_keys
from analytics.schema import Filters, Grain, Metric

PATH: tuple[str, ...] = ("ServiceName", "SubAccountName", "RegionId", "SkuId", "ResourceId")
RESOURCE = PATH[-1]
TOP_TAGS = 3  # tag keys examined, the most used by spend first
BASELINE_DAYS = 28
EXPLAINS = 0.5  # drill into a child only while it explains at least half of its parent's change
# A change spread over a few resources (three log groups left at debug level) still names the
# largest one, with its share, when it carries at least a quarter of its parent's change.
LEAF_EXPLAINS = 0.25


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


def _deltas(frame: pd.DataFrame, keys: list[str], expected: float) -> pd.DataFrame:
    """Per value of `keys`: actual in the window, expected = its share of `frame`'s baseline × `expected`
    (the expected total of what `frame` holds: the event's, or the parent value's one level up)."""
    filled = frame.assign(**{k: frame[k].fillna(NOT_SET).astype(str) for k in keys})
    actual = filled[filled["window"]].groupby(keys)[COST].sum()
    base = filled[~filled["window"]].groupby(keys)[COST].sum()
    table = pd.concat([actual.rename("actual"), base.rename("base")], axis=1).fillna(0.0)
    total_base = float(table["base"].sum())
    table["expected"] = table["base"] / total_base * expected if total_base > 0 else 0.0
    table["delta"] = table["actual"] - table["expected"]
    return table.sort_values("delta", ascending=False)


def _dominant_resource(frame: pd.DataFrame, parent_delta: float, parent_expected: float) -> pd.DataFrame | None:
    """The rows of the one resource that carries at least half of the parent's change, if there is one."""
    table = _deltas(frame, [RESOURCE], parent_expected)
    if table.empty or str(table.index[0]) == NOT_SET or table.iloc[0]["delta"] < EXPLAINS * parent_delta:
        return None
    rows = frame[frame[RESOURCE].fillna(NOT_SET).astype(str) == str(table.index[0])]
    return rows[rows["window"]]


def _next_step(
    frame: pd.DataFrame, remaining: list[str], parent_delta: float, parent_expected: float
) -> tuple[str, str, pd.Series] | None:
    """The first dimension down the path whose top value carries enough of the parent's change, that
    value and its row; None when no level below concentrates it. When one resource carries most of
    the change, a level that would split it (its spend under several SKUs) is passed over, so the
    resource is reached whole."""
    dominant = _dominant_resource(frame, parent_delta, parent_expected)
    for dimension in remaining:
        if dominant is not None and dimension != RESOURCE and dominant[dimension].nunique(dropna=False) > 1:
            continue
        table = _deltas(frame, [dimension], parent_expected)
        if table.empty:
            continue
        row = table.iloc[0]
        if row["delta"] >= (LEAF_EXPLAINS if dimension == RESOURCE else EXPLAINS) * parent_delta:
            return dimension, str(table.index[0]), row
    return None


def explain(engine: Engine, fx: FxTable, event: Event) -> list[Cause]:
    """The drill-down path and the tag values that carry the change, largest contribution first.
    One query on the line items (by every dimension at once); the rest is arithmetic on its result."""
    change = event.impact
    if change == 0:
        return []
    tags = tuple(t for t in (f"tag:{k}" for k in tag_keys(engine)) if t != event.dimension)[:TOP_TAGS]
    whole = _frame(engine, fx, event, (*PATH, *tags))
    causes: list[Cause] = []
    frame = whole
    parent_delta, parent_expected = change, event.expected
    remaining = list(PATH)
    while remaining and not frame.empty:
        step = _next_step(frame, remaining, parent_delta, parent_expected)
        if step is None:
            break
        dimension, value, row = step
        causes.append(Cause(dimension, value, float(row["actual"]), float(row["expected"]), row["delta"] / change))
        frame = frame[frame[dimension].fillna(NOT_SET).astype(str) == value]
        parent_delta, parent_expected = float(row["delta"]), float(row["expected"])
        remaining = remaining[remaining.index(dimension) + 1 :]
    for tag in tags:
        table = _deltas(whole, [tag], event.expected)
        if table.empty:
            continue
        value, row = str(table.index[0]), table.iloc[0]
        if row["delta"] >= EXPLAINS * change:
            causes.append(Cause(tag, value, float(row["actual"]), float(row["expected"]), row["delta"] / change))
    return sorted(causes, key=lambda c: c.contribution, reverse=True)


@dataclass(frozen=True)
class Where:
    """What the root cause adds to an event's own dimension: its service and account (unless the
    event is one of those already) and the resource, each None when the drill did not reach it."""

    service: str | None
    account: str | None
    resource: str | None


def where(event: Event) -> Where:
    found = {c.dimension: str(c.value) for c in event.root_cause}
    return Where(
        service=found.get("ServiceName") if event.dimension != "ServiceName" else None,
        account=found.get("SubAccountName") if event.dimension != "SubAccountName" else None,
        resource=found.get("ResourceId"),
    )


def sentence(event: Event, money: str) -> str:
    """One line such as `ServiceName=X in account Y, resource Z: +$1,234/day since 3 Oct`; `money` is
    the formatted impact per day."""
    cause = where(event)
    head = f"{event.dimension}={event.value}"
    if cause.service:
        head += f", ServiceName={cause.service}"
    if cause.account:
        head += f" in account {cause.account}"
    if cause.resource:
        head += f", resource {cause.resource}"
    since = f"{event.start.day} {event.start:%b}"
    return f"{head}: +{money}/day since {since}"
