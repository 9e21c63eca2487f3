"""Charts of a forecast: recent actuals, the daily median and its 80% band; the backtest's held-out
days against what the model said."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analytics.charts import FONT, MUTED, RULE, money_expr
from analytics.forecast.run import Forecast

SHOWN_HISTORY = 120  # days of actuals before the forecast: enough to see the weekly rhythm and trend
ACTUAL, MEDIAN, BAND = "#31333F", "#0072B2", "#9ECAE9"


def _look(chart: alt.LayerChart) -> alt.LayerChart:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelColor=MUTED, titleColor=MUTED, gridColor=RULE, gridDash=[2, 3], domainColor=RULE)
        .configure_legend(orient="top", labelFontSize=12, titleFontSize=12)
        .configure_view(strokeWidth=0)
    )


def _layers(frame: pd.DataFrame, currency: str) -> alt.LayerChart:
    """`frame`: day, actual (NaN when unknown), p10, p50, p90 (NaN on days that are not forecast)."""
    base = alt.Chart(frame).transform_calculate(
        actual_text=money_expr("actual", currency),
        p50_text=money_expr("p50", currency),
        p10_text=money_expr("p10", currency),
        p90_text=money_expr("p90", currency),
    )
    x = alt.X("day:T", title=None, axis=alt.Axis(format="%d %b"))
    y_title = f"Daily spend ({currency})"
    band = base.mark_area(color=BAND, opacity=0.6).encode(
        x=x, y=alt.Y("p10:Q", title=y_title, axis=alt.Axis(format="~s")), y2="p90:Q"
    )
    median = base.mark_line(color=MEDIAN, strokeDash=[5, 3]).encode(x=x, y="p50:Q")
    actual = base.mark_line(color=ACTUAL, strokeWidth=1.5).encode(x=x, y="actual:Q")
    tooltip = [
        alt.Tooltip("day:T", title="Day (UTC)", format="%a %d %b %Y"),
        alt.Tooltip("actual_text:N", title="Actual"),
        alt.Tooltip("p50_text:N", title="Forecast (median)"),
        alt.Tooltip("p10_text:N", title="80% interval from"),
        alt.Tooltip("p90_text:N", title="80% interval to"),
    ]
    hover = base.mark_rule(opacity=0).encode(x=x, tooltip=tooltip)
    return alt.LayerChart(layer=[band, median, actual, hover], height=320)


def forecast_chart(result: Forecast) -> alt.LayerChart:
    """The last SHOWN_HISTORY days of actuals, then the forecast median with its 80% band."""
    history = result.history.iloc[-SHOWN_HISTORY:]
    past = pd.DataFrame({"day": pd.to_datetime(history.index), "actual": history.to_numpy()})
    ahead = result.daily.assign(day=pd.to_datetime(result.daily["date"])).drop(columns="date")
    frame = pd.concat([past, ahead], ignore_index=True)
    return _look(_layers(frame, result.currency))


def backtest_chart(result: Forecast) -> alt.LayerChart:
    """Every held-out day of the backtest: what happened, and what the model had said before it."""
    detail = result.backtest.detail
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(detail["day"]),
            "actual": detail["actual"],
            "p10": detail["p10"],
            "p50": detail["p50"],
            "p90": detail["p90"],
        }
    )
    chart = _layers(frame, result.currency)
    chart.height = 240
    return _look(chart)
