"""Commitment charts as values (alt.Chart), in the app's one look."""

from __future__ import annotations

from typing import cast

import altair as alt
import pandas as pd

from analytics.charts import money_expr, styled
from analytics.commitments.optimise import MARKER_LABELS

MARKER_COLORS = {
    "lowest": "#009E73",
    "knee": "#E69F00",
    "max": "#0072B2",
    "conservative": "#CC79A7",
    "custom": "#D55E00",
}


def savings_curve(
    curve: pd.DataFrame, markers: dict[str, float], marker_savings: dict[str, float], currency: str
) -> alt.Chart:
    """Net savings per month over hourly commitment levels, with the named levels marked."""
    line_data = curve[["hourly_commitment", "net_savings_monthly", "utilization", "coverage"]].copy()
    base = alt.Chart(line_data).encode(
        x=alt.X("hourly_commitment:Q", title=f"Hourly commitment ({currency}/h)"),
        y=alt.Y("net_savings_monthly:Q", title=f"Net savings per month ({currency})"),
    )
    line = (
        base.mark_line(color="#5C6370")
        .encode(
            tooltip=[
                alt.Tooltip("hourly_commitment:Q", title="Commitment /h", format=",.2f"),
                alt.Tooltip("saving:N", title="Net savings /month"),
                alt.Tooltip("utilization:Q", title="Utilisation", format=".1%"),
                alt.Tooltip("coverage:Q", title="Coverage", format=".1%"),
            ]
        )
        .transform_calculate(saving=money_expr("net_savings_monthly", currency))
    )
    points = pd.DataFrame(
        {
            "marker": [MARKER_LABELS[m] for m in markers],
            "hourly_commitment": list(markers.values()),
            "net_savings_monthly": [marker_savings[m] for m in markers],
        }
    )
    domain = [MARKER_LABELS[m] for m in markers]
    scale = alt.Scale(domain=domain, range=[MARKER_COLORS[m] for m in markers])
    marks = (
        alt.Chart(points)
        .mark_point(size=120, filled=True, opacity=0.9)
        .encode(
            x="hourly_commitment:Q",
            y="net_savings_monthly:Q",
            color=alt.Color("marker:N", scale=scale, title="Level"),
            shape=alt.Shape("marker:N", scale=alt.Scale(domain=domain), title="Level"),
            tooltip=[
                alt.Tooltip("marker:N", title="Level"),
                alt.Tooltip("hourly_commitment:Q", title="Commitment /h", format=",.2f"),
                alt.Tooltip("saving:N", title="Net savings /month"),
            ],
        )
        .transform_calculate(saving=money_expr("net_savings_monthly", currency))
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#9E9E9E", strokeDash=[4, 3]).encode(y="y:Q")
    # a layer takes the same configuration as a chart; styled is typed for the common case
    return styled(cast(alt.Chart, alt.layer(zero, line, marks).properties(height=320)))


def coverage_over_time(frame: pd.DataFrame) -> alt.Chart:
    """Coverage and utilisation per period (first UTC day of each), as two lines."""
    long = frame.melt(
        id_vars=["period"], value_vars=["coverage", "utilization"], var_name="measure", value_name="share"
    )
    long["measure"] = long["measure"].map({"coverage": "Coverage", "utilization": "Utilisation"})
    long["period"] = pd.to_datetime(long["period"])
    chart = (
        alt.Chart(long.dropna())
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=["Coverage", "Utilisation"], range=["#0072B2", "#E69F00"]),
            ),
            tooltip=[
                alt.Tooltip("period:T", title="From"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=240)
    )
    return styled(chart)


def stress_bars(frame: pd.DataFrame, currency: str) -> alt.Chart:
    """Net savings per month at one level when usage drops by 0/10/20/30 %."""
    data = frame.assign(label=frame["drop"].map(lambda d: "as now" if d == 0 else f"usage -{d:.0%}"))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label:N", title=None, sort=list(data["label"]), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("net_savings_monthly:Q", title=f"Net savings per month ({currency})"),
            color=alt.condition("datum.net_savings_monthly < 0", alt.value("#D55E00"), alt.value("#0072B2")),
            tooltip=[alt.Tooltip("label:N", title="Case"), alt.Tooltip("saving:N", title="Net savings /month")],
        )
        .transform_calculate(saving=money_expr("net_savings_monthly", currency))
        .properties(height=220)
    )
    return styled(chart)


def coverage_cliff(now: float, after: float, horizon_months: int) -> alt.Chart:
    """Coverage of the eligible usage today and once the commitments inside the horizon expire."""
    data = pd.DataFrame({"when": ["Today", f"After expiries ({horizon_months} months)"], "coverage": [now, after]})
    chart = (
        alt.Chart(data)
        .mark_bar(size=28)
        .encode(
            y=alt.Y("when:N", title=None, sort=list(data["when"])),
            x=alt.X("coverage:Q", title="Coverage", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.value("#0072B2"),
            tooltip=[alt.Tooltip("when:N", title="When"), alt.Tooltip("coverage:Q", format=".1%")],
        )
        .properties(height=110)
    )
    return styled(chart)
