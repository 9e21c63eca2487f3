"""The anomalies' data for the pages: detection over all history and root causes, cached on what
is loaded; a table and one-line explanations."""

from __future__ import annotations

import dataclasses
import datetime as dt

import altair as alt
import pandas as pd

from analytics.anomalies import Event, charts, explain, find_events
from analytics.anomalies.charts import event_frame
from analytics.anomalies.detect import DEFAULTS
from analytics.anomalies.events import OPEN_DAYS
from analytics.anomalies.rootcause import sentence
from analytics.anomalies.series import daily_matrix
from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from ui.cache import cached_fx
from ui.forecast import HEAVY_TTL

__all__ = ["DEFAULTS", "OPEN_DAYS", "money_text"]  # for the pages, which import ui only
EXPLAINED = 25  # root causes read the line items; the largest events are explained, in impact order


@cached_fx(max_entries=8, ttl=HEAVY_TTL)
def _events(
    engine: DuckDBEngine, fx: FxTable, currency: str, start: dt.date | None, end: dt.date | None
) -> list[Event]:
    return find_events(engine, fx, start, end, currency=currency)


def events(currency: str, start: dt.date | None = None, end: dt.date | None = None) -> list[Event]:
    """Anomaly events overlapping [start, end] (all when not given), largest impact first, without
    root causes."""
    return _events(currency, start, end)


@cached_fx(max_entries=256, ttl=HEAVY_TTL)
def explained(engine: DuckDBEngine, fx: FxTable, event: Event) -> Event:
    """`event` with its root cause."""
    return dataclasses.replace(event, root_cause=explain(engine, fx, event))


def describe(currency: str, start: dt.date, end: dt.date) -> str:
    """What the page watches and the thresholds, in one caption."""
    return (
        f"Effective cost in {currency} per day, without purchases, tax and credits, for every service, account "
        f"(SubAccountName) and owner (the allocation rules' owner dimension, else tag:team); events between "
        f"{start} and {end} (the sidebar's dates; its other filters do not apply). A day is anomalous when it is "
        f"more than {DEFAULTS.z} robust standard deviations "
        f"above the same weekday of the last four weeks, at least {money_text(DEFAULTS.min_abs, currency)} and "
        f"{DEFAULTS.k_rel:.0%} of a typical day's total spend above it, and {DEFAULTS.min_pct:.0%} over it."
    )


def line(event: Event) -> str:
    """The one-line explanation, with the impact per day as money."""
    return sentence(event, money_text(event.impact / event.days, event.currency))


def table(chosen: list[Event]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Start": [e.start for e in chosen],
            "End": [e.end for e in chosen],
            "Open": [e.open for e in chosen],
            "Dimension": [e.dimension for e in chosen],
            "Value": [e.value for e in chosen],
            "Expected": [e.expected for e in chosen],
            "Actual": [e.actual for e in chosen],
            "Impact": [e.impact for e in chosen],
            "Impact %": [e.impact_pct for e in chosen],
            "Root cause": [line(e) if e.root_cause else "" for e in chosen],
            "Also seen in": [", ".join(f"{d}={v}" for d, v in e.also_seen_in) for e in chosen],
        }
    )


def causes_table(event: Event) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Dimension": [c.dimension for c in event.root_cause],
            "Value": [c.value for c in event.root_cause],
            "Expected": [c.expected for c in event.root_cause],
            "Actual": [c.actual for c in event.root_cause],
            "Change": [c.delta for c in event.root_cause],
            "Share of the change": [c.contribution for c in event.root_cause],
        }
    )


@cached_fx(max_entries=64, ttl=HEAVY_TTL)
def _event_series(engine: DuckDBEngine, fx: FxTable, event: Event) -> pd.DataFrame:
    matrix = daily_matrix(engine, fx, event.dimension, event.currency)
    series = matrix[event.value] if event.value in matrix else pd.Series(0.0, index=matrix.index)
    return event_frame(series, event.start, event.end)


def event_chart(event: Event) -> alt.Chart:
    """The event's series, actual against expected, around the event."""
    frame = _event_series(event)
    return charts.event_chart(frame, event.start, event.end, event.currency)
