"""The frames, charts and table behind the Explore page, for one choice of controls and sidebar view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from analytics import charts
from analytics.charts import money_text
from analytics.compare import fill_periods, labelled, missing_label, order, ranking_table, to_csv, top_n
from analytics.formatting import PERCENT_FORMAT, SIGNED_PERCENT_FORMAT, money_format
from analytics.periods import describe_range, period_starts
from analytics.queries import PERIOD, SpendResult
from analytics.schema import Filters, Grain
from ui import format as fmt
from ui import queries
from ui.explore import Choice
from ui.filters import View
from ui.text import inline_code


@dataclass(frozen=True)
class Figures:
    """Everything the page shows for one choice and view, in the reporting currency."""

    series: SpendResult  # per group_by and period
    now: pd.DataFrame  # per keys, labelled
    before: pd.DataFrame  # per keys over the previous period of the same length, labelled
    table: pd.DataFrame  # ranking_table(now, before)
    total: float
    previous_total: float
    previous: Filters | None
    grain: Grain  # the grain actually drawn (coarser than asked when it would be too many points)


def figures(choice: Choice, view: View) -> Figures:
    """Run the (cached) queries for one view and shape them for the charts and the table."""
    filters = view.filters
    grain = charts.fit_grain(choice.grain, view.start, view.end, choice.top + 1)
    series = queries.spend(filters, (choice.group_by,), choice.metric, grain, view.currency)
    if choice.group_by2:
        now = queries.spend(filters, choice.keys, choice.metric, Grain.NONE, view.currency).frame
    else:
        now = series.frame.groupby(choice.group_by, dropna=False)[["cost", "shared"]].sum().reset_index()
    previous = filters.shifted_back()
    before = (
        queries.spend(previous, choice.keys, choice.metric, Grain.NONE, view.currency).frame
        if previous is not None
        else pd.DataFrame({**{k: [] for k in choice.keys}, "cost": []})
    )
    now, before = labelled(now, choice.keys), labelled(before, choice.keys)
    table = ranking_table(now, before, choice.keys)
    return Figures(
        series=series,
        now=now,
        before=before,
        table=table,
        total=float(now["cost"].sum()),
        previous_total=float(before["cost"].sum()),
        previous=previous,
        grain=grain,
    )


def colour_ranking(dimension: str) -> list[str]:
    """The dimension's values by all-time spend, as labels: the order that fixes their colours."""
    return [missing_label(dimension) if v is None else v for v in queries.dimension_values(dimension)]


def covered(view: View) -> tuple[dt.date, dt.date]:
    """The days the chart's figures cover: the chosen dates, cut to the days with data."""
    span = queries.data_span()
    if span is None:
        return view.start, view.end
    return max(view.start, span[0]), min(view.end, span[1])


def time_chart(choice: Choice, fig: Figures, view: View) -> charts.alt.Chart:
    frame = labelled(fig.series.frame, [choice.group_by])
    frame = top_n(frame, choice.group_by, choice.top).rename(columns={choice.group_by: charts.GROUP})
    frame = fill_periods(frame, period_starts(view.start, view.end, fig.grain.value), charts.GROUP, PERIOD)
    shown = order(frame, charts.GROUP)
    return charts.spend_over_time(
        frame,
        grain=fig.grain,
        currency=view.currency,
        group_title=fmt.label(choice.group_by),
        metric_title=fmt.label(choice.metric.value),
        order=shown,
        colors=charts.colors_for(shown, colour_ranking(choice.group_by)),
        span=covered(view),
    )


def ranking_chart(choice: Choice, fig: Figures, view: View) -> charts.alt.Chart:
    frame = top_n(fig.now, choice.group_by, choice.top)
    if choice.group_by2:
        frame = top_n(frame, choice.group_by2, choice.top)
    frame = frame.rename(
        columns={choice.group_by: charts.GROUP, **({choice.group_by2: charts.STACK} if choice.group_by2 else {})}
    )
    shown = order(frame, charts.GROUP)
    stack_shown = order(frame, charts.STACK) if choice.group_by2 else []
    colour_dim, colour_labels = (choice.group_by2, stack_shown) if choice.group_by2 else (choice.group_by, shown)
    return charts.ranking_bars(
        frame,
        currency=view.currency,
        group_title=fmt.label(choice.group_by),
        metric_title=fmt.label(choice.metric.value),
        order=shown,
        colors=charts.colors_for(colour_labels, colour_ranking(colour_dim)),
        stack_title=choice.group_by2,
        stack_order=stack_shown,
    )


NEW_SPEND = "A dash: no spend in the previous period, so no percentage"


def table_for_display(choice: Choice, table: pd.DataFrame, currency: str) -> tuple[pd.DataFrame, dict]:
    """The ranking table as shown and downloaded: money to the cent under headers that name the
    currency, shares and changes in percent (no "-0.00" for a change that rounds to nothing)."""
    money = {"total": f"Total ({currency})", "previous": f"Previous ({currency})", "change": f"Change ({currency})"}
    if "shared" in table:  # shared costs stay visible as such, never hidden inside direct spend
        money["shared"] = f"Of which shared ({currency})"
    shown = table.rename(columns={**money, "share": "Share %", "change_pct": "Change %"})
    for name in money.values():
        shown[name] = shown[name].round(2) + 0.0
    for name in ("Share %", "Change %"):
        shown[name] = (shown[name] * 100).round(2) + 0.0
    number = st.column_config.NumberColumn
    config = {
        **{name: number(name, format=money_format(currency)) for name in money.values()},
        "Share %": number("Share %", format=PERCENT_FORMAT, width="small"),
        "Change %": number("Change %", format=SIGNED_PERCENT_FORMAT, width="small", help=NEW_SPEND),
        **{k: st.column_config.TextColumn(k, width="medium") for k in choice.keys},
    }
    return shown, config


def unconverted_warning(result: SpendResult) -> None:
    for row in result.unconverted.to_dict("records"):
        st.warning(
            f"{int(row['rows']):,} line items billed in {inline_code(row['currency'])} "
            f"({float(row['amount']):,.2f} {inline_code(row['currency'])}) have no exchange rate to "
            f"{result.currency} for their dates and are **left out of every total**. Add rates for that "
            "currency to the exchange-rate table (see the Data page).",
            icon=":material/currency_exchange:",
        )


def file_name(choice: Choice, view: View) -> str:
    keys = "_".join(k.replace(":", "-") for k in choice.keys)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in keys)
    return f"finops-lens_{choice.metric.value}_by_{safe}_{view.start:%Y%m%d}-{view.end:%Y%m%d}.csv"


def caption(choice: Choice, view: View) -> str:
    """Which metric, currency and days the page shows."""
    return f"{choice.metric.label}, in {view.currency}, {describe_range(view.start, view.end)}."


def is_empty(fig: Figures) -> bool:
    return fig.now.empty or not fig.now["cost"].abs().sum()


def kpis(choice: Choice, fig: Figures, view: View) -> None:
    """Total (with its change), the previous period's total, and the daily average."""
    days = period_days(view)
    partial = previous_is_partial(fig, view)
    cols = st.columns(3)
    cols[0].metric(
        f"Total {fmt.in_sentence(choice.metric.value)}",
        money_text(fig.total, view.currency),
        delta=None if partial else change_text(fig.total - fig.previous_total, fig.previous_total, view.currency, days),
        delta_color="inverse",
    )
    cols[1].metric(
        f"Previous {days} days" + (" (partial data)" if partial else ""),
        money_text(fig.previous_total, view.currency) if fig.previous_total else "no spend",
        help="The period of the same length just before this one.",
    )
    cols[2].metric("Daily average", money_text(fig.total / days, view.currency))
    if partial:
        st.caption("No change is shown: the previous period starts before the first day with data.")


def csv_bytes(table: pd.DataFrame) -> bytes:
    return to_csv(table)


def previous_is_partial(fig: Figures, view: View) -> bool:
    """True when the comparison period reaches back before the first day with data."""
    return fig.previous is not None and fig.previous.start is not None and fig.previous.start < view.first_day


def period_days(view: View) -> int:
    return (view.end - view.start).days + 1


def change_text(change: float, previous: float, currency: str, days: int) -> str | None:
    """'+$1,234.00 (+5.2%) vs previous 30 days', or None when there was nothing before."""
    if not previous:
        return None
    amount = money_text(change, currency)
    return f"{'' if amount.startswith('-') else '+'}{amount} ({change / abs(previous):+.1%}) vs previous {days} days"
