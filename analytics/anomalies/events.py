"""Consecutive anomalous days of one series merged into one event, with its impact = actual − expected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.anomalies.detect import DEFAULTS, Scored, Settings, detect
from analytics.anomalies.series import daily_matrix, monitored
from analytics.engine import Engine
from analytics.fx import FxTable

OPEN_DAYS = 7  # an anomaly stays open for a week after it was last seen (Vantage: "Active" 7 days)


@dataclass
class Event:
    """One anomaly of `dimension`=`value` from `start` to `end` (inclusive UTC days); money in `currency`."""

    dimension: str
    value: str
    start: dt.date
    end: dt.date
    expected: float
    actual: float
    max_z: float
    currency: str
    open: bool
    root_cause: list = field(default_factory=list)  # list[rootcause.Cause], filled by explain()
    also_seen_in: list[tuple[str, str]] = field(default_factory=list)

    @property
    def impact(self) -> float:
        return self.actual - self.expected

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def impact_pct(self) -> float | None:
        """Impact / expected; None ("new spend") when nothing was expected."""
        return self.impact / self.expected if self.expected > 0 else None

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "dimension": self.dimension,
            "value": self.value,
            "expected": self.expected,
            "actual": self.actual,
            "impact": self.impact,
            "impact_pct": self.impact_pct,
            "max_z": self.max_z,
            "currency": self.currency,
            "open": self.open,
            "root_cause": [c.as_dict() for c in self.root_cause],
            "also_seen_in": [{"dimension": d, "value": v} for d, v in self.also_seen_in],
        }


def events_of(scored: Scored, dimension: str, currency: str, last_day: dt.date) -> list[Event]:
    """Runs of consecutive flagged days, one event each."""
    out: list[Event] = []
    days = [d.date() for d in pd.DatetimeIndex(scored.flagged.index)]
    for column in scored.flagged.columns:
        flags = scored.flagged[column].to_numpy()
        if not flags.any():
            continue
        edges = np.diff(np.concatenate([[0], flags.astype(int), [0]]))
        for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            rows = slice(int(first), int(stop))
            out.append(
                Event(
                    dimension=dimension,
                    value=str(column),
                    start=days[first],
                    end=days[stop - 1],
                    expected=float(scored.expected[column].iloc[rows].sum()),
                    actual=float(scored.actual[column].iloc[rows].sum()),
                    max_z=float(scored.z[column].iloc[rows].max()),
                    currency=currency,
                    open=(last_day - days[stop - 1]).days < OPEN_DAYS,
                )
            )
    return out


def find_events(
    engine: Engine,
    fx: FxTable,
    start: dt.date | None = None,
    end: dt.date | None = None,
    currency: str = "USD",
    settings: Settings = DEFAULTS,
) -> list[Event]:
    """Events of every monitored dimension that overlap [start, end], largest impact first.

    Detection always runs on the whole history, and the range only chooses which events are listed:
    an event's days, expected and impact must not depend on the page's date window (a baseline read
    from a window-relative start sees other 1sts of the month and other first days of a series, so
    the same BigQuery spike measured $2,173.20 month to date and $2,115.90 over 30 days)."""
    found: list[Event] = []
    for dimension in monitored(engine):
        matrix = daily_matrix(engine, fx, dimension, currency)
        if matrix.empty:
            continue
        last_day = pd.Timestamp(matrix.index[-1]).date()
        found += events_of(detect(matrix, settings), dimension, currency, last_day)
    if start is not None:
        found = [e for e in found if e.end >= start]
    if end is not None:
        found = [e for e in found if e.start <= end]
    return merge_related(sorted(found, key=lambda e: e.impact, reverse=True))


def merge_related(events: list[Event]) -> list[Event]:
    """One incident shows in several monitors (a BigQuery spike is also its account's and its teams').
    An event overlapping in time with one of a more specific dimension (service, then account, then
    owner) and at most 1.5 times its impact is folded into it and listed in `also_seen_in`."""
    rank = {"ServiceName": 0, "SubAccountName": 1}
    ordered = sorted(events, key=lambda e: (rank.get(e.dimension, 2), -e.impact))
    kept: list[Event] = []
    for event in ordered:
        host = next(
            (
                k
                for k in kept
                if k.dimension != event.dimension
                and k.start <= event.end
                and event.start <= k.end
                and event.impact <= 1.5 * k.impact
            ),
            None,
        )
        if host is None:
            kept.append(event)
        elif (event.dimension, event.value) not in host.also_seen_in:
            host.also_seen_in.append((event.dimension, event.value))
    return sorted(kept, key=lambda e: e.impact, reverse=True)
