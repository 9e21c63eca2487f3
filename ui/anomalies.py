"""The anomalies' data for the pages: detection over all history and root causes, cached on what
is loaded; a table and one-line explanations."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from analytics.anomalies import Event, explain, find_events
from analytics.anomalies.rootcause import sentence
from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from ui import data
from ui.forecast import HEAVY_TTL, _fx_stamp

EXPLAINED = 25  # root causes read the line items; the largest events are explained, in impact order


@st.cache_data(ttl=HEAVY_TTL, max_entries=8, show_spinner=False)
def _events(
    _engine: DuckDBEngine,
    _fx: FxTable,
    db: str,
    stamp: tuple[str, float],
    currency: str,
    start: dt.date | None,
    end: dt.date | None,
) -> list[Event]:
    return find_events(_engine, _fx, start, end, currency=currency)


@st.cache_data(ttl=HEAVY_TTL, max_entries=256, show_spinner=False)
def _explained(_engine: DuckDBEngine, _fx: FxTable, db: str, stamp: tuple[str, float], event: Event) -> Event:
    return dataclasses.replace(event, root_cause=explain(_engine, _fx, event))


def events(currency: str, start: dt.date | None = None, end: dt.date | None = None) -> list[Event]:
    """Anomaly events overlapping [start, end] (all when not given), largest impact first, without
    root causes."""
    table = data.fx()
    return _events(data.engine(), table, data.db_key(), _fx_stamp(table), currency, start, end)


def explained(event: Event) -> Event:
    """`event` with its root cause."""
    table = data.fx()
    return _explained(data.engine(), table, data.db_key(), _fx_stamp(table), event)


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
