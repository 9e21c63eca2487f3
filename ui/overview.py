"""The Overview's figures: spend against comparable periods, the KPI tiles with their maturity marks,
the trend by provider and the top movers, all from cached analytics calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from analytics.allocation.coverage import allocated_share
from analytics.anomalies import Event
from analytics.charts import COST, GROUP, PERIOD, colors_for, money_text, spend_over_time
from analytics.commitments import Kpis, kpis
from analytics.engine import DuckDBEngine
from analytics.forecast import Forecast
from analytics.fx import FxTable
from analytics.schema import Filters, Grain
from ui import anomalies, data, filters
from ui import forecast as fc
from ui.forecast import _fx_stamp, accuracy
from ui.text import inline_code

OPEN_SHOWN = 3  # open anomalies listed with their root cause


def open_anomalies(currency: str, last: dt.date) -> list[Event]:
    """Anomaly events still open on `last` (seen in its last OPEN_DAYS days), largest impact first."""
    return [e for e in anomalies.events(currency, last - dt.timedelta(days=anomalies.OPEN_DAYS - 1)) if e.open]


def warm() -> None:
    """Compute the Overview's heavy results (forecast with its backtests, budget status, anomaly
    detection and the root causes shown) for USD and the visitor's reporting currency, so the first
    visit after data is loaded finds them cached. Registered in `data.WARM_UP`."""
    span = data.data_span()
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
}
</style>"""


def print_style() -> None:
    """The Overview's print stylesheet (no effect on screen)."""
    st.html(PRINT_CSS)


# algorithms.md §4.3 / §6: commitment coverage targets by maturity (community sample goals).
COVERAGE_MARKS: tuple[tuple[str, float], ...] = (("run", 0.80), ("walk", 0.75), ("crawl", 0.60))


def daily_by_provider(last: dt.date, currency: str) -> pd.DataFrame:
    """All EffectiveCost (every charge category) per UTC day and provider, from the first day of the
    month 13 months before `last`: every tile, comparison and the trend come from this one query."""
    start = month_start(last, 13)
    frame = data.spend(Filters(start=start, end=last), ("ProviderName",), grain=Grain.DAY, currency=currency).frame
    return frame.assign(**{PERIOD: pd.to_datetime(frame[PERIOD]).dt.date})


def _sum(daily: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    return float(daily.loc[(daily[PERIOD] >= start) & (daily[PERIOD] <= end), COST].sum())


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(first: dt.date) -> dt.date:
    return month_start(first, -1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Compared:
    label: str
    value: float
    previous: float | None
    previous_label: str
    note: str | None = None

    @property
    def change(self) -> float | None:
        return (self.value - self.previous) / self.previous if self.previous else None


def spend_tiles(daily: pd.DataFrame, last: dt.date, first: dt.date) -> list[Compared]:
    """Month to date vs the same days of last month; last full month vs the one before and a year ago."""
    this = month_start(last)
    prev = month_start(last, 1)
    same_days = min(prev + dt.timedelta(days=(last - this).days), month_end(prev))
    full = prev if last != month_end(this) else this
    before = month_start(full, 1)
    year_ago = month_start(full, 12)
    full_total = _sum(daily, full, month_end(full))
    year = _sum(daily, year_ago, month_end(year_ago)) if year_ago >= first else None
    year_note = f"{(full_total - year) / year:+.1%} vs {year_ago:%b %Y}" if year else "no data a year before"
    return [
        Compared(
            f"Month to date ({this:%b} 1–{last.day})",
            _sum(daily, this, last),
            _sum(daily, prev, same_days) if prev >= first else None,
            f"{prev:%b} 1–{same_days.day}",
        ),
        Compared(
            f"Last full month ({full:%b %Y})",
            full_total,
            _sum(daily, before, month_end(before)) if before >= first else None,
            f"{before:%b %Y}",
            year_note,
        ),
    ]


def change_delta(tile: Compared, currency: str) -> str | None:
    if tile.previous is None or tile.change is None:
        return None
    return f"{tile.change:+.1%} vs {tile.previous_label} ({money_text(tile.previous, currency, compact=True)})"


def mark(value: float | None, marks: tuple[tuple[str, float], ...]) -> str:
    """The best mark whose target `value` reaches (marks ordered best first)."""
    if value is None:
        return "no figure"
    return next((name for name, target in marks if value >= target), "pre-crawl")


@st.cache_data(ttl=data.TTL, max_entries=8, show_spinner=False)
def _allocated(
    _engine: DuckDBEngine, _fx: FxTable, db: str, stamp: tuple[str, float], filters: Filters, currency: str
) -> tuple[str | None, float, str]:
    share = allocated_share(_engine, _fx, filters, currency)
    return share.owner_dimension, share.percent, share.mark


def allocated(start: dt.date, end: dt.date, currency: str) -> tuple[str | None, float, str]:
    """(owner dimension, % of spend allocated, maturity mark) over [start, end]; see analytics.allocation."""
    table = data.fx()
    return _allocated(data.engine(), table, data.db_key(), _fx_stamp(table), Filters(start=start, end=end), currency)


@st.cache_data(ttl=data.TTL, max_entries=8, show_spinner=False)
def _commitments(
    _engine: DuckDBEngine, _fx: FxTable, db: str, stamp: tuple[str, float], start: dt.date, end: dt.date, currency: str
) -> Kpis:
    return kpis(_engine, start, end, _fx, currency)


def commitments(start: dt.date, end: dt.date, currency: str) -> Kpis:
    """Commitment coverage and ESR over [start, end]; see analytics.commitments.kpis."""
    table = data.fx()
    return _commitments(data.engine(), table, data.db_key(), _fx_stamp(table), start, end, currency)


def trend_chart(daily: pd.DataFrame, last: dt.date, currency: str):  # noqa: ANN201 (an alt.Chart)
    """Thirteen months (this one included, to date) of spend by provider."""
    recent = daily[daily[PERIOD] >= month_start(last, 12)]
    months = pd.to_datetime(recent[PERIOD]).dt.to_period("M").dt.start_time.dt.date
    frame = recent.assign(**{PERIOD: months, GROUP: recent["ProviderName"].fillna("(not set)").astype(str)})
    frame = frame.groupby([PERIOD, GROUP], as_index=False)[COST].sum()
    order = list(frame.groupby(GROUP)[COST].sum().sort_values(ascending=False).index)
    return spend_over_time(
        frame,
        grain=Grain.MONTH,
        currency=currency,
        group_title="Provider",
        metric_title="Effective cost",
        order=order,
        colors=colors_for(order),
    ).properties(height=280)


def movers(dimension: str, last: dt.date, currency: str, top: int = 5) -> pd.DataFrame:
    """The `top` values of `dimension` whose spend changed most (either way) from the month before
    the last full month to the last full month."""
    this = month_start(last)
    full = month_start(last, 1) if last != month_end(this) else this
    before = month_start(full, 1)
    frame = data.spend(
        Filters(start=before, end=month_end(full)), (dimension,), grain=Grain.MONTH, currency=currency
    ).frame
    frame = frame.assign(
        key=frame[dimension].fillna("(not set)").astype(str), month=pd.to_datetime(frame[PERIOD]).dt.date
    )
    by_month = frame.pivot_table(index="key", columns="month", values=COST, aggfunc="sum", fill_value=0.0)
    both = pd.DataFrame(
        {
            "before": by_month.get(before, pd.Series(0.0, index=by_month.index)),
            "after": by_month.get(full, pd.Series(0.0, index=by_month.index)),
        }
    )
    both["change"] = both["after"] - both["before"]
    both["pct"] = both["change"] / both["before"].where(both["before"] != 0)
    both = both.reindex(both["change"].abs().sort_values(ascending=False).index[:top])
    return (
        both.rename_axis(dimension)
        .reset_index()
        .rename(columns={"before": f"{before:%b %Y}", "after": f"{full:%b %Y}", "change": "Change", "pct": "Change %"})
    )


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
            f"{percent:.1f}%",
            "Share of effective cost with an owner after the allocation rules (crawl ≥ 50%, walk ≥ 80%, run > 90%)",
            f"Mark: **{alloc_mark}** · by {inline_code(owner or 'no owner rule')}",
            "app_pages/allocation.py",
            "Allocation",
        ),
        Tile(
            "Coverage",
            "–" if cov is None else f"{cov:.0%}",
            "Eligible on-demand-equivalent usage covered by commitments (crawl 60%, walk 75%, run 80%)",
            f"Mark: **{mark(cov, COVERAGE_MARKS)}** · commitments",
            "app_pages/commitments.py",
            "Commitments",
        ),
        Tile(
            "Savings rate (ESR)",
            "–" if commit.esr is None else f"{commit.esr:.1%}",
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
                "–" if variance is None else f"{variance:.1%}",
                "Mean |actual − forecast| / forecast of month totals forecast on their 1st "
                "(crawl < 20%, walk < 10%, run < 5%)",
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
