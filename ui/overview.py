"""The Overview's figures: spend against comparable periods, the KPI tiles with their maturity marks,
the trend by provider and the top movers, all from cached analytics calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analytics import spend_change
from analytics.allocation.coverage import allocated_share
from analytics.anomalies import Event
from analytics.anomalies.rootcause import where
from analytics.charts import GROUP, PERIOD, colors_for, money_text, spend_over_time
from analytics.commitments import Kpis, kpis
from analytics.compare import order as spend_order
from analytics.engine import DuckDBEngine
from analytics.forecast import Forecast
from analytics.formatting import amount_text
from analytics.fx import FxTable
from analytics.labels import short_id
from analytics.maturity import Kpi, goals_text, mark
from analytics.periods import month_start
from analytics.schema import Filters, Grain
from analytics.spend_change import Compared, movers_months
from analytics.spend_change import kpi_window as kpi_window  # the page reads analytics through ui
from analytics.spend_change import spend_tiles as spend_tiles
from ui import anomalies, data, filters, queries
from ui import forecast as fc
from ui import format as fmt
from ui.cache import cached_fx
from ui.forecast import accuracy
from ui.text import plain

OPEN_SHOWN = 3  # open anomalies listed with their root cause
TILE_HEIGHT = 132  # px: the headline tiles, with or without a comparison line


def open_anomalies(currency: str, last: dt.date) -> list[Event]:
    """Anomaly events still open on `last` (seen in its last OPEN_DAYS days), largest impact first."""
    return [e for e in anomalies.events(currency, last - dt.timedelta(days=anomalies.OPEN_DAYS - 1)) if e.open]


def warm() -> None:
    """Compute the Overview's heavy results (forecast with its backtests, budget status, anomaly
    detection and the root causes shown) for USD and the visitor's reporting currency, so the first
    visit after data is loaded finds them cached. Registered in `data.WARM_UP`."""
    span = queries.data_span()
    if span is None:
        return
    view = filters.current()
    for currency in dict.fromkeys(["USD", view.currency if view is not None else "USD"]):
        fc.forecast_for(fc.EVERYTHING, currency)
        fc.budget_status(currency)
        for event in open_anomalies(currency, span[1])[:OPEN_SHOWN]:
            anomalies.explained(event)


# One entry however often this module is re-imported (Streamlit reloads edited modules).
data.WARM_UP[:] = [f for f in data.WARM_UP if getattr(f, "__module__", None) != __name__] + [warm]

# Printed (or saved as PDF) the page must show every tile and chart in full: Streamlit's app shell is
# a 100vh scrolling box (which prints one screenful), its sidebar and toolbar would take paper, and a
# tile's figure is cut with an ellipsis when its column is narrow.
PRINT_CSS = """<style>
@media screen {
  [data-testid="stMainBlockContainer"] { padding-top: 2.5rem !important; }
  [data-testid="stMainBlockContainer"] h1 { font-size: 2.1rem; padding: 0 0 0.25rem 0; }
  [data-testid="stMainBlockContainer"] h3 { padding: 0.25rem 0 0.25rem 0; }
  [data-testid="stAlert"] [data-testid="stMarkdownContainer"] p { font-size: 0.875rem; }
}
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], .stMain,
  [data-testid="stMainBlockContainer"] { height: auto !important; min-height: 0 !important;
    overflow: visible !important; position: static !important; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stAlert"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important; }
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] *, [data-testid="stMetricLabel"],
  [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * { white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; }
  [data-testid="stMetricValue"] { font-size: 1.5rem !important; }
  [data-testid="stMetric"], [data-testid="stVegaLiteChart"], [data-testid="stDataFrame"],
  [data-testid="stHorizontalBlock"] { break-inside: avoid; page-break-inside: avoid; }
  /* A section (heading and what it heads) stays on one page: no heading alone at a page's foot. */
  [class*="st-key-overview-"] { break-inside: avoid; page-break-inside: avoid; }
  [data-testid="stHeading"] { break-after: avoid; page-break-after: avoid; }
  h1 { font-size: 1.8rem !important; padding: 0 !important; }
  h3 { font-size: 1.2rem !important; padding: 0.2rem 0 !important; }
  [data-testid="stVerticalBlock"] { gap: 0.5rem !important; }
  /* Columns stay side by side on paper (Streamlit wraps them when a table or chart drawn for the
     screen is wider than its share of the page). */
  [data-testid="stHorizontalBlock"] { display: flex !important; flex-wrap: nowrap !important; }
  [data-testid="stColumn"] { min-width: 0 !important; width: auto !important; }
  [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"] { max-width: 100% !important;
    overflow: hidden !important; }
}
</style>"""


def print_style() -> None:
    """The Overview's stylesheet: compact on screen (one 1440x900 screen for the headline), paged in print."""
    st.html(PRINT_CSS)


def daily_by_provider(last: dt.date, currency: str) -> pd.DataFrame:
    """All EffectiveCost (every charge category) per UTC day and provider, from the first day of the
    month 13 months before `last`: every tile, comparison and the trend come from this one query."""
    start = month_start(last, 13)
    frame = queries.spend(Filters(start=start, end=last), ("ProviderName",), grain=Grain.DAY, currency=currency).frame
    return frame.assign(**{PERIOD: pd.to_datetime(frame[PERIOD]).dt.date})


def change_delta(tile: Compared, currency: str) -> str | None:
    if tile.previous is None or tile.change is None:
        return None
    return f"{tile.change:+.1%} vs {tile.previous_label} ({money_text(tile.previous, currency, compact=True)})"


@cached_fx(max_entries=8)
def allocated(
    engine: DuckDBEngine, fx: FxTable, start: dt.date, end: dt.date, currency: str
) -> tuple[str | None, float, str]:
    """(owner dimension, % of spend allocated, maturity mark) over [start, end]; see analytics.allocation."""
    share = allocated_share(engine, fx, Filters(start=start, end=end), currency)
    return share.owner_dimension, share.percent, share.mark


@cached_fx(max_entries=8)
def commitments(engine: DuckDBEngine, fx: FxTable, start: dt.date, end: dt.date, currency: str) -> Kpis:
    """Commitment coverage and ESR over [start, end]; see analytics.commitments.kpis."""
    return kpis(engine, start, end, fx, currency)


def trend_chart(daily: pd.DataFrame, last: dt.date, currency: str) -> alt.Chart:
    """Thirteen months (this one included, to date) of spend by provider."""
    frame = spend_change.by_month(daily, "ProviderName", last).rename(columns={"ProviderName": GROUP})
    order = spend_order(frame, GROUP)
    return spend_over_time(
        frame,
        grain=Grain.MONTH,
        currency=currency,
        group_title="Provider",
        metric_title=fmt.label("EffectiveCost"),
        order=order,
        colors=colors_for(order),
        span=(min(daily[PERIOD]), last) if len(daily) else None,
    ).properties(height=200)


def anomaly_line(event: Event) -> tuple[str, str | None]:
    """The one-line root cause in words ('Service BigQuery in account data-prod, resource vm-01:
    +$123.45/day since 3 Oct') and, when a resource id was shortened, the full id for a tooltip."""
    cause = where(event)
    head = f"{fmt.label(event.dimension)} {event.value}"
    if cause.service:
        head += f", service {cause.service}"
    if cause.account:
        head += f" in account {cause.account}"
    full = cause.resource
    if full:
        head += f", resource {short_id(full)}"
    per_day = money_text(event.impact / event.days, event.currency)
    tooltip = f"Resource id: {full}" if full and short_id(full) != full else None
    return f"{head}: +{per_day}/day since {event.start.day} {event.start:%b}", tooltip


def movers(dimension: str, last: dt.date, currency: str, top: int = 5) -> pd.DataFrame:
    """The `top` values of `dimension` whose spend moved most; see analytics.spend_change.movers."""
    start, end = movers_months(last)
    frame = queries.spend(Filters(start=start, end=end), (dimension,), grain=Grain.MONTH, currency=currency).frame
    return spend_change.movers(frame, dimension, last, top)


def movers_table(frame: pd.DataFrame, dimension: str, currency: str) -> Any:
    """`movers` written for people and paper: a static table (it prints whole, unlike a scrolling
    grid), the dimension in words, money to the cent, the change to one decimal, a dash when the
    value had no spend the month before."""
    shown = pd.DataFrame({fmt.label(dimension): frame[dimension].astype(str)})
    for column in frame.columns[1:4]:
        shown[f"{column} ({currency})"] = [amount_text(v, currency) for v in frame[column]]
    shown["Change %"] = [fmt.pct_text(v, signed=True) for v in frame["Change %"]]
    numbers: list[Hashable] = list(shown.columns[1:])
    return shown.style.hide(axis="index").set_properties(subset=numbers, **{"text-align": "right"})


@dataclass(frozen=True)
class Tile:
    """One KPI tile: figure, what it means, its mark, and the page that explains it."""

    label: str
    value: str
    help: str
    caption: str
    page: str
    link: str


def kpi_tiles(
    start: dt.date, end: dt.date, currency: str, result: Forecast | str, open_events: list[Event]
) -> tuple[list[Tile], str | None]:
    """The five KPI tiles (four without a forecast) and the allocation's owner dimension."""
    owner, percent, alloc_mark = allocated(start, end, currency)
    commit = commitments(start, end, currency)
    cov = commit.coverage
    tiles = [
        Tile(
            "Allocated",
            fmt.pct_text(percent / 100, tile=True),
            f"Share of effective cost with an owner after the allocation rules ({goals_text(Kpi.ALLOCATED)})",
            f"Mark: **{alloc_mark}** · by {plain(fmt.label(owner)) if owner else 'no owner rule'}",
            "app_pages/allocation.py",
            "Allocation",
        ),
        Tile(
            "Coverage",
            fmt.pct_text(cov, tile=True),
            f"Eligible on-demand-equivalent usage covered by commitments ({goals_text(Kpi.COVERAGE)})",
            f"Mark: **{mark(Kpi.COVERAGE, cov) or 'no figure'}** · commitments",
            "app_pages/commitments.py",
            "Commitments",
        ),
        Tile(
            "Savings rate (ESR)",
            fmt.pct_text(commit.esr, tile=True),
            "(Contracted − effective) / contracted on eligible usage, unused commitment included",
            "No community mark for ESR",
            "app_pages/commitments.py",
            "Commitments",
        ),
    ]
    if not isinstance(result, str):
        variance, variance_mark = accuracy(result)
        tiles.append(
            Tile(
                "Forecast variance",
                fmt.pct_text(variance, tile=True),
                "Mean |actual − forecast| / forecast of month totals forecast on their 1st "
                f"({goals_text(Kpi.FORECAST_VARIANCE)})",
                f"Mark: **{variance_mark or 'no figure'}** · last 3 months",
                "app_pages/forecast.py",
                "Forecast",
            )
        )
    tiles.append(
        Tile(
            "Open anomalies",
            f"{len(open_events)}",
            "Anomaly events seen in the last 7 days of data",
            f"Impact {money_text(sum(e.impact for e in open_events), currency)}",
            "app_pages/anomalies.py",
            "Anomalies",
        )
    )
    return tiles, owner
