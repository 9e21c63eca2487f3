"""Allocation charts: % of spend allocated by month against the maturity marks, and tag coverage."""

from __future__ import annotations

from typing import cast

import altair as alt
import pandas as pd

from analytics.allocation.coverage import MARKS
from analytics.charts import MUTED, PALETTE, _styled


def _marks() -> alt.LayerChart:
    marks = pd.DataFrame({"mark": [name for name, _, _ in MARKS], "percent": [p for _, p, _ in MARKS]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color=MUTED).encode(y="percent:Q")
    labels = (
        alt.Chart(marks)
        .mark_text(align="left", dx=4, dy=-6, color=MUTED, fontSize=11)
        .encode(y="percent:Q", x=alt.value(0), text="mark:N")
    )
    return rules + labels


def allocated_trend(by_month: pd.DataFrame) -> alt.Chart:
    """% of spend with an owner per month, with the crawl / walk / run marks (a layer, styled like
    every chart; typed as the Chart that _styled takes)."""
    months = pd.to_datetime(by_month["month"])
    data = by_month.assign(label=months.dt.strftime("%b %Y"))
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=alt.X("label:O", title=None, sort=list(data.sort_values("month")["label"]), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("percent:Q", title="% of spend allocated", scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("label:O", title="Month"),
                alt.Tooltip("percent:Q", format=".1f", title="% allocated"),
            ],
        )
    )
    return _styled(cast(alt.Chart, alt.layer(line, _marks()).properties(height=220)))


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
    marks = pd.DataFrame({"mark": [name for name, _, _ in MARKS], "percent": [p for _, p, _ in MARKS]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color=MUTED).encode(x="percent:Q")
    return _styled(cast(alt.Chart, alt.layer(bars, rules).properties(height=max(80, 28 * len(order)))))
