"""The chart of one anomaly: the series' daily spend against what was expected, the event shaded."""

from __future__ import annotations

import datetime as dt
from typing import cast

import altair as alt
import pandas as pd

from analytics.anomalies.detect import expected_values
from analytics.charts import MUTED, PALETTE, money_expr, styled

WEEKS_BEFORE = 8


def event_frame(series: pd.Series, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Days from 8 weeks before the event to a week after it: actual and expected spend (expected as
    the detector saw it, from the days before each day)."""
    days = pd.DatetimeIndex(series.index)
    expected = expected_values(series.to_numpy(dtype=float)[:, None], days)[:, 0]
    frame = pd.DataFrame({"day": days, "actual": series.to_numpy(dtype=float), "expected": expected})
    first = pd.Timestamp(start) - pd.Timedelta(weeks=WEEKS_BEFORE)
    last = pd.Timestamp(end) + pd.Timedelta(days=7)
    return frame[(frame["day"] >= first) & (frame["day"] <= last)].reset_index(drop=True)


def event_chart(frame: pd.DataFrame, start: dt.date, end: dt.date, currency: str) -> alt.Chart:
    """Actual (solid) and expected (dashed) spend per day, the event's days shaded."""
    long = frame.melt(id_vars="day", value_vars=["actual", "expected"], var_name="series", value_name="cost")
    lines = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            # One date format on the axis: Vega's default mixes "Wed 07", "Oct 11" and "December".
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b")),
            y=alt.Y(
                "cost:Q", title=f"Spend per day ({currency})", axis=alt.Axis(labelExpr=money_expr("value", currency))
            ),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["actual", "expected"], range=[PALETTE[0], MUTED]),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=["actual", "expected"], range=[[1, 0], [4, 3]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("day:T", format="%a %d %b %Y"),
                alt.Tooltip("series:N"),
                alt.Tooltip("cost:Q", format=",.2f"),
            ],
        )
    )
    span = pd.DataFrame({"start": [pd.Timestamp(start)], "end": [pd.Timestamp(end) + pd.Timedelta(hours=23)]})
    shade = alt.Chart(span).mark_rect(color="#D55E00", opacity=0.12).encode(x="start:T", x2="end:T")
    return styled(cast(alt.Chart, alt.layer(shade, lines).properties(height=240)))
