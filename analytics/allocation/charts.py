"""Allocation charts: % of spend allocated by month against the maturity marks, and tag coverage."""

from __future__ import annotations

import datetime as dt
from typing import cast

import altair as alt
import pandas as pd

from analytics.charts import MUTED, PALETTE, styled
from analytics.maturity import GOALS, Kpi


def _goals() -> pd.DataFrame:
    """The allocation goals in percent, the charts' unit."""
    goals = GOALS[Kpi.ALLOCATED]
    return pd.DataFrame({"mark": [g.mark for g in goals], "percent": [100 * g.target for g in goals]})


def _marks() -> alt.LayerChart:
    marks = _goals()
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color=MUTED).encode(y="percent:Q")
    labels = (
        alt.Chart(marks)
        .mark_text(align="left", dx=4, dy=-6, color=MUTED, fontSize=11)
        .encode(y="percent:Q", x=alt.value(0), text="mark:N")
    )
    return rules + labels


PARTIAL_ON_ITS_OWN_LINE = (
    "indexof(datum.value, ' (partial)') >= 0 ? [replace(datum.value, ' (partial)', ''), '(partial)'] : datum.value"
)


def allocated_trend(by_month: pd.DataFrame, last_day: dt.date | None = None) -> alt.Chart:
    """% of spend with an owner per month, with the crawl / walk / run marks (a layer, styled like
    every chart; typed as the Chart that styled takes). A month that runs past `last_day` (the last
    day with data) is labelled "(partial)"."""
    months = pd.to_datetime(by_month["month"])
    partial = (months + pd.offsets.MonthBegin(1) > pd.Timestamp(last_day) + pd.Timedelta(days=1)) if last_day else False
    data = by_month.assign(
        label=months.dt.strftime("%b %Y")
        + pd.Series(partial, index=by_month.index).map({True: " (partial)", False: ""})
    )
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=alt.X(
                "label:O",
                title=None,
                sort=list(data.sort_values("month")["label"]),
                # "(partial)" on a line of its own: on one line it ran into the month before ("Nov 2026Dec 2026 ...")
                axis=alt.Axis(labelAngle=0, labelExpr=PARTIAL_ON_ITS_OWN_LINE),
            ),
            y=alt.Y("percent:Q", title="% of spend allocated", scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("label:O", title="Month"),
                alt.Tooltip("percent:Q", format=".1f", title="% allocated"),
            ],
        )
    )
    return styled(cast(alt.Chart, alt.layer(line, _marks()).properties(height=220)))


def coverage_bars(coverage: pd.DataFrame) -> alt.Chart:
    """Cost-weighted coverage per tag key, highest first."""
    order = list(coverage.sort_values("percent", ascending=False)["key"])
    bars = (
        alt.Chart(coverage)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("key:N", sort=order, title=None),
            x=alt.X("percent:Q", title="% of spend carrying the tag", scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("key:N", title="Tag key"), alt.Tooltip("percent:Q", format=".1f", title="%")],
        )
    )
    rules = alt.Chart(_goals()).mark_rule(strokeDash=[4, 4], color=MUTED).encode(x="percent:Q")
    return styled(cast(alt.Chart, alt.layer(bars, rules).properties(height=max(80, 28 * len(order)))))
