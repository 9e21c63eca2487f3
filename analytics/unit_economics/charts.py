"""Unit-economics charts as values: unit cost over time (gaps left open, targets dashed), the metric
itself, and the waterfall of a change split into "cost grew" and "volume grew"."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import altair as alt
import pandas as pd

from analytics.charts import GROUP, MAX_POINTS, PERIOD, SYMBOLS, color_scale, coverage, styled
from analytics.schema import Grain

UNIT = "unit"  # column names inside chart data (dimension names are not valid field names)
VALUE = "value"
TARGET = "target"
STEP, START, END = "step", "start", "end"
PERIOD_TITLES = {Grain.DAY: "Day (UTC)", Grain.WEEK: "Week from", Grain.MONTH: "Month"}


def unit_text(amount: float, currency: str) -> str:
    """A unit cost: four decimals below one unit of money ($0.0931), two above ($12.40)."""
    decimals = 4 if abs(amount) < 1 else 2
    symbol = SYMBOLS.get(currency)
    body = f"{abs(amount):,.{decimals}f}"
    sign = "-" if round(amount, decimals) < 0 else ""
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def unit_expr(field: str, currency: str) -> str:
    """The Vega expression that formats `datum[field]` like `unit_text`."""
    value = f"datum[{json.dumps(field)}]"
    body = f"(abs({value}) < 1 ? format(abs({value}), ',.4f') : format(abs({value}), ',.2f'))"
    sign = f"({value} < 0 ? '-' : '')"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign} + {json.dumps(symbol, ensure_ascii=False)} + {body}"
    return f"{sign} + {body} + {json.dumps(' ' + currency)}"


def _x(grain: Grain) -> alt.X:
    fmt = "%b %Y" if grain is Grain.MONTH else "%d %b"
    return alt.X(f"{PERIOD}:T", title=None, axis=alt.Axis(format=fmt))


def _period_tooltip(grain: Grain) -> alt.Tooltip:
    fmt = "%b %Y" if grain is Grain.MONTH else "%a %d %b %Y"
    return alt.Tooltip(f"{PERIOD}:T", title=PERIOD_TITLES.get(grain, "Period"), format=fmt)


def unit_cost_over_time(
    frame: pd.DataFrame,
    *,
    grain: Grain,
    currency: str,
    metric: str,
    group_title: str,
    order: Sequence[str],
    colors: Mapping[str, str],
    targets: pd.DataFrame | None = None,
) -> alt.Chart:
    """Unit cost per period and group, as lines that break where a period has no value (a gap is
    not a zero); dashed rules at each group's target. `frame`: period, group, unit (NaN: gap);
    `targets`: group, target."""
    if len(frame) > MAX_POINTS:
        raise ValueError(f"{len(frame):,} points is too many for one chart")
    data = frame[[PERIOD, GROUP, UNIT]].copy()
    data[PERIOD] = pd.to_datetime(data[PERIOD])
    title = f"{currency} per {metric}"
    color = alt.Color(f"{GROUP}:N", title=group_title, scale=color_scale(order, colors), sort=list(order))
    base = alt.Chart(data).transform_calculate(money=unit_expr(UNIT, currency))
    encode = {
        "x": _x(grain),
        "y": alt.Y(f"{UNIT}:Q", title=title),
        "color": color,
        "tooltip": [
            _period_tooltip(grain),
            alt.Tooltip(f"{GROUP}:N", title=group_title),
            alt.Tooltip("money:N", title=title),
        ],
    }
    layers: list[alt.Chart] = [
        base.mark_line(invalid="break-paths-filter-domains").encode(**encode),
        base.mark_point(filled=True, size=28).encode(**encode),
    ]
    if targets is not None and not targets.empty:
        rules = targets[[GROUP, TARGET]].copy()
        layers.append(
            alt.Chart(rules)
            .transform_calculate(money=unit_expr(TARGET, currency))
            .mark_rule(strokeDash=[6, 4], strokeWidth=1.5)
            .encode(
                y=alt.Y(f"{TARGET}:Q"),
                color=color,
                tooltip=[alt.Tooltip(f"{GROUP}:N", title=group_title), alt.Tooltip("money:N", title="Target")],
            )
        )
    return styled(cast(alt.Chart, alt.layer(*layers).properties(height=max(320, 18 * len(order) + 40))))


def metric_over_time(
    frame: pd.DataFrame,
    *,
    grain: Grain,
    metric: str,
    group_title: str | None = None,
    span: tuple[dt.date, dt.date] | None = None,
) -> alt.Chart:
    """The business metric per period (per group when `frame` has one), gaps left open.
    `frame`: period, value (NaN: no value), optional group. A week or month only partly inside
    `span` (the first and last day shown) holds only part of its volume: its point is faint and its
    tooltip says so, so that it does not read as a drop."""
    grouped = group_title is not None and GROUP in frame
    data = frame[[PERIOD, VALUE, *([GROUP] if grouped else [])]].copy()
    data[PERIOD] = pd.to_datetime(data[PERIOD])
    data["coverage"], complete, part = coverage(data[PERIOD], grain, span)
    tooltip = [
        _period_tooltip(grain),
        alt.Tooltip("coverage:N", title="Covers"),
        alt.Tooltip(f"{VALUE}:Q", title=metric, format=",.0f"),
    ]
    encode: dict[str, Any] = {
        "x": _x(grain),
        "y": alt.Y(f"{VALUE}:Q", title=metric, axis=alt.Axis(format="~s")),
        "tooltip": tooltip,
    }
    if grouped:
        encode["color"] = alt.Color(f"{GROUP}:N", title=group_title)
        tooltip.insert(1, alt.Tooltip(f"{GROUP}:N", title=group_title))
    base = alt.Chart(data).encode(**encode)
    line = base.mark_line(invalid="break-paths-filter-domains", color="#5C6370")
    points = base.mark_point(filled=True, color="#5C6370").encode(
        opacity=alt.Opacity(
            "coverage:N", title=None, scale=alt.Scale(domain=[complete, part], range=[1.0, 0.3]), legend=None
        )
    )
    return styled(cast(alt.Chart, alt.layer(line, points).properties(height=240)))


def change_waterfall(
    before: float, cost_part: float, volume_part: float, *, currency: str, metric: str, labels: tuple[str, str]
) -> alt.Chart:
    """Unit cost before -> "cost grew" -> "volume grew" -> after, as a waterfall; the two middle
    steps are the decomposition's parts (they end exactly at the after value)."""
    after = before + cost_part + volume_part
    steps = [
        (labels[0], 0.0, before, "level"),
        ("Cost grew", before, before + cost_part, "up" if cost_part >= 0 else "down"),
        ("Volume grew", before + cost_part, after, "up" if volume_part >= 0 else "down"),
        (labels[1], 0.0, after, "level"),
    ]
    data = pd.DataFrame(steps, columns=[STEP, START, END, "kind"])
    data["amount"] = [before, cost_part, volume_part, after]
    palette = alt.Scale(domain=["level", "up", "down"], range=["#0072B2", "#D55E00", "#009E73"])
    title = f"{currency} per {metric}"
    return styled(
        alt.Chart(data)
        .transform_calculate(money=unit_expr("amount", currency))
        .mark_bar(size=40)
        .encode(
            x=alt.X(f"{STEP}:N", title=None, sort=[s[0] for s in steps], axis=alt.Axis(labelAngle=0, labelLimit=120)),
            y=alt.Y(f"{START}:Q", title=title),
            y2=alt.Y2(f"{END}:Q"),
            color=alt.Color("kind:N", scale=palette, legend=None),
            tooltip=[alt.Tooltip(f"{STEP}:N", title="Step"), alt.Tooltip("money:N", title=title)],
        )
        .properties(height=300)
    )
