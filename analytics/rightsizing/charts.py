"""Rightsizing charts, as values: a resource's utilisation against the target, and how the total
monthly savings moves with headroom and percentile."""

from __future__ import annotations

from typing import cast

import altair as alt
import pandas as pd

from analytics.charts import MAX_POINTS, money_expr, styled

TITLE_PCT = "utilisation, %"


_METRIC_WORDS = {"cpu_pct": "CPU", "mem_pct": "Memory"}


def series_words(series: str) -> str:
    """'cpu_pct p95' as a person reads it: 'CPU p95'."""
    metric, _, stat = series.partition(" ")
    return f"{_METRIC_WORDS.get(metric, metric)} {stat}".strip()


def utilisation_chart(series: pd.DataFrame, target: float, after: float | None) -> alt.Chart:
    """Lines per series (CPU avg, CPU max, Memory max, ...) over time, with the target
    utilisation as a dashed rule and, for a proposal, the projected CPU percentile as a dotted one."""
    if len(series) > MAX_POINTS:  # thin a long fine-grained series to hourly maxima
        series = pd.DataFrame(
            series.assign(timestamp=pd.to_datetime(series["timestamp"]).dt.floor("h"))
            .groupby(["timestamp", "series"], as_index=False)["value"]
            .max()
        )
    series = series.assign(series=series["series"].map(series_words))
    lines = (
        alt.Chart(series)
        .mark_line(strokeWidth=1.2)
        .encode(
            x=alt.X("timestamp:T", title="hour (UTC)", axis=alt.Axis(format="%d %b")),  # not Vega's mixed formats
            y=alt.Y("value:Q", title=TITLE_PCT, scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("series:N", title="Measure"),
            tooltip=[
                alt.Tooltip("timestamp:T", title="hour (UTC)", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("series:N", title="series"),
                alt.Tooltip("value:Q", title="%", format=".1f"),
            ],
        )
    )
    rules = [{"label": f"target {target:.0%}", "value": target * 100}]
    if after is not None:
        rules.append({"label": f"CPU percentile on the new size {after:.0f}%", "value": after})
    rule = (
        alt.Chart(pd.DataFrame(rules))
        .mark_rule(strokeDash=[6, 4], color="#B23A48")
        .encode(y="value:Q", tooltip=[alt.Tooltip("label:N", title="line")])
    )
    # styled configures any top-level chart; a layer is one too
    return styled(cast(alt.Chart, alt.layer(lines, rule).properties(height=260)))


def sensitivity_chart(frame: pd.DataFrame, currency: str, headroom: float, percentile: str) -> alt.Chart:
    """Total monthly savings (y) by headroom (x), one line per CPU percentile; the current choice marked."""
    data = frame.assign(
        money=frame["monthly_savings"],
        chosen=(frame["headroom"].round(3) == round(headroom, 3)) & (frame["percentile"] == percentile),
    )
    base = (
        alt.Chart(data)
        .encode(
            x=alt.X("headroom:Q", title="headroom", axis=alt.Axis(format="%")),
            y=alt.Y("money:Q", title=f"monthly savings, {currency}"),
            color=alt.Color("percentile:N", title="CPU percentile", sort=["p90", "p95", "p99", "p99.5"]),
            tooltip=[
                alt.Tooltip("percentile:N", title="percentile"),
                alt.Tooltip("headroom:Q", title="headroom", format=".0%"),
                alt.Tooltip("text:N", title="monthly savings"),
            ],
        )
        .transform_calculate(text=money_expr("money", currency))
    )
    lines = base.mark_line(point=True)
    mark = base.transform_filter(alt.datum.chosen).mark_point(size=160, filled=False, color="#31333F")
    return styled(cast(alt.Chart, alt.layer(lines, mark).properties(height=220)))
