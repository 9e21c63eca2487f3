"""Charts as values: functions that return an `alt.Chart` (never render), one look, money shown
with its currency, stable colours. Frames arrive aggregated (top N + "Other"), so a chart never
carries more than `MAX_POINTS` rows to the browser."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from analytics.compare import NOT_SET, OTHER, UNTAGGED

# Re-exported: charts, tiles and tables write money alike (analytics.formatting).
from analytics.formatting import NO_DECIMALS as NO_DECIMALS
from analytics.formatting import SYMBOLS as SYMBOLS
from analytics.formatting import money_text as money_text
from analytics.schema import Grain

MAX_POINTS = 5000
AREA_FROM_DAYS = 60  # a long daily series reads better as an area; a short or sparse one as bars
GROUP = "group"  # column names inside chart data: dimension names such as tag:team
STACK = "stack"  # are not valid Vega-Lite shorthands, so charts use neutral ones
PERIOD = "period"
COST = "cost"
PICK = "pick"  # name of the point selection on the ranking chart (drill-down)

# Okabe-Ito (without black), then Paul Tol's muted colours: distinguishable with the common
# colour-vision deficiencies. A value keeps the slot of its all-time spend rank.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#332288",
    "#44AA99",
    "#882255",
    "#999933",
    "#F0E442",
    "#AA4499",
)
NEUTRALS: dict[str, str] = {OTHER: "#9E9E9E", UNTAGGED: "#D0D0D0", NOT_SET: "#D0D0D0"}
PROVIDER_COLORS: dict[str, str] = {
    "aws": "#E69F00",
    "amazon web services": "#E69F00",
    "microsoft": "#0072B2",
    "microsoft azure": "#0072B2",
    "azure": "#0072B2",
    "google cloud": "#009E73",
    "google cloud platform": "#009E73",
    "gcp": "#009E73",
    "oracle": "#D55E00",
    "oracle cloud infrastructure": "#D55E00",
    "oci": "#D55E00",
}


def money_expr(field: str, currency: str) -> str:
    """The Vega expression that formats `datum[field]` exactly like `money_text`."""
    decimals = 0 if currency in NO_DECIMALS else 2
    value = f"datum[{json.dumps(field)}]"
    body = f"format(abs({value}), ',.{decimals}f')"
    sign = f"(round({value} * {10**decimals}) < 0 ? '-' : '')"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign} + {json.dumps(symbol, ensure_ascii=False)} + {body}"
    return f"{sign} + {body} + {json.dumps(' ' + currency, ensure_ascii=False)}"


def colors_for(labels: Sequence[str], ranking: Sequence[str] = ()) -> dict[str, str]:
    """A colour per label: greys for "Other" and missing values, the provider's colour for a cloud
    provider, else the palette slot of the label's place in `ranking` (its spend rank over all
    the data), so a value looks the same in every chart. A clash inside one chart moves the
    later label to the next free slot."""
    rank = {value: i for i, value in enumerate(ranking)}
    colors: dict[str, str] = {}
    used: set[str] = set()
    fixed = [lb for lb in labels if lb in NEUTRALS or lb.lower() in PROVIDER_COLORS]
    for lb in fixed:
        colors[lb] = NEUTRALS.get(lb) or PROVIDER_COLORS[lb.lower()]
        used.add(colors[lb])
    others = sorted((lb for lb in labels if lb not in colors), key=lambda lb: (rank.get(lb, len(rank)), lb))
    for position, lb in enumerate(others):
        start = rank.get(lb, len(rank) + position)
        for step in range(len(PALETTE)):
            color = PALETTE[(start + step) % len(PALETTE)]
            if color not in used:
                break
        else:  # more labels than colours: reuse, in rank order
            color = PALETTE[start % len(PALETTE)]
        colors[lb] = color
        used.add(color)
    return colors


def color_scale(domain: Sequence[str], colors: Mapping[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(domain), range=[colors.get(v, NEUTRALS[OTHER]) for v in domain])


FONT = '"Source Sans", "Source Sans Pro", "Helvetica Neue", Arial, sans-serif'  # the app's own font
INK, MUTED, RULE = "#31333F", "#5C6370", "#E3E6EC"


def styled(chart: alt.Chart) -> alt.Chart:
    """The one look of every chart (drawn with theme=None, so Streamlit's theme does not pad and
    clip long legends): the app's font, quiet axes and grid, a compact legend on the right."""
    return (
        chart.configure(font=FONT)
        .configure_axis(
            labelFontSize=12,
            titleFontSize=12,
            titleFontWeight="normal",
            labelColor=MUTED,
            titleColor=MUTED,
            gridColor=RULE,
            gridDash=[2, 3],
            domainColor=RULE,
            tickColor=RULE,
            labelLimit=260,
        )
        .configure_legend(
            orient="right",
            labelFontSize=12,
            titleFontSize=12,
            titleFontWeight="normal",
            labelColor=INK,
            titleColor=MUTED,
            labelLimit=220,
            titleLimit=220,
            symbolType="square",
            symbolSize=100,
            rowPadding=3,
            symbolLimit=0,
        )
        .configure_view(strokeWidth=0)
    )


def _check_size(frame: pd.DataFrame) -> None:
    if len(frame) > MAX_POINTS:
        raise ValueError(f"{len(frame):,} points is too many for one chart; aggregate to {MAX_POINTS:,} or fewer")


def period_end(periods: pd.Series, grain: Grain) -> pd.Series:
    """The exclusive end of each period starting at `periods`, for a bar that spans its period."""
    start = pd.to_datetime(periods)
    if grain is Grain.MONTH:
        return start + pd.offsets.MonthBegin(1)
    return start + pd.Timedelta(days=7 if grain is Grain.WEEK else 1)


def partial_periods(
    starts: pd.Series, ends: pd.Series, grain: Grain, span: tuple[dt.date, dt.date] | None
) -> pd.Series:
    """True for each period (from `starts`, to the exclusive `ends`) only partly inside `span`."""
    if span is None or grain is Grain.DAY:
        return pd.Series(False, index=starts.index)
    first, last = pd.Timestamp(span[0]), pd.Timestamp(span[1]) + pd.Timedelta(days=1)
    return (starts < first) | (ends > last)


def coverage(starts: pd.Series, grain: Grain, span: tuple[dt.date, dt.date] | None) -> tuple[pd.Series, str, str]:
    """Per period starting at `starts`: "Full week" or "Week (partial)" (month, period likewise) as
    it lies wholly or partly inside `span`; and those two labels, for a legend's domain."""
    partial = partial_periods(starts, period_end(starts, grain), grain, span)
    unit = {Grain.MONTH: "month", Grain.WEEK: "week"}.get(grain, "period")
    complete, part = f"Full {unit}", f"{unit.capitalize()} (partial)"
    return partial.map({True: part, False: complete}), complete, part


def fit_grain(grain: Grain, start: dt.date, end: dt.date, series: int) -> Grain:
    """`grain`, or the next coarser one when periods x series would exceed MAX_POINTS."""
    days = (end - start).days + 1
    periods = {Grain.DAY: days, Grain.WEEK: days // 7 + 2, Grain.MONTH: days // 28 + 2}
    ladder = list(periods)
    for candidate in ladder[ladder.index(grain) if grain in periods else -1 :]:
        if periods[candidate] * max(series, 1) <= MAX_POINTS:
            return candidate
    return Grain.MONTH


def spend_over_time(
    frame: pd.DataFrame,
    *,
    grain: Grain,
    currency: str,
    group_title: str,
    metric_title: str,
    order: Sequence[str],
    colors: Mapping[str, str],
    span: tuple[dt.date, dt.date] | None = None,
) -> alt.Chart:
    """Stacked spend per period: an area for a long daily series, else bars spanning each period.
    `frame` columns: period (date), group (text), cost (in `currency`). `span`: the first and last
    day the figures cover; a week or month only partly inside it (this month, to date) is drawn
    lighter and says "(partial)" in its tooltip and in the legend."""
    _check_size(frame)
    data = frame[[PERIOD, GROUP, COST]].copy()
    data[PERIOD] = pd.to_datetime(data[PERIOD])
    data["end"] = period_end(data[PERIOD], grain)
    data["coverage"], complete, part = coverage(data[PERIOD], grain, span)
    partial = data["coverage"] == part
    data["rank"] = data[GROUP].map({v: i for i, v in enumerate(order)})
    date_format = "%b %Y" if grain is Grain.MONTH else "%a %d %b %Y"
    data["when"] = data[PERIOD].dt.strftime(date_format) + partial.map({True: " (partial)", False: ""})
    period_title = {Grain.DAY: "Day (UTC)", Grain.WEEK: "Week from", Grain.MONTH: "Month"}.get(grain, "Period")
    base = alt.Chart(data).transform_calculate(money=money_expr(COST, currency))
    area = grain is Grain.DAY and data[PERIOD].nunique() > AREA_FROM_DAYS
    mark = base.mark_area(opacity=0.9) if area else base.mark_bar(stroke="white", strokeWidth=0.5)
    ticks = {"interval": grain.value, "step": 1} if grain is not Grain.DAY else alt.Undefined
    x = alt.X(
        f"{PERIOD}:T", title=None, axis=alt.Axis(format="%b %Y" if grain is Grain.MONTH else "%d %b", tickCount=ticks)
    )
    encodings: dict[str, object] = {
        "x": x,
        "y": alt.Y(f"sum({COST}):Q", title=f"{metric_title} ({currency})", axis=alt.Axis(format="~s")),
        "color": alt.Color(f"{GROUP}:N", title=group_title, scale=color_scale(order, colors), sort=list(order)),
        "order": alt.Order("rank:Q", sort="ascending"),
        "tooltip": [
            alt.Tooltip("when:N", title=period_title),
            alt.Tooltip(f"{GROUP}:N", title=group_title),
            alt.Tooltip("money:N", title=f"{metric_title} ({currency})"),
        ],
    }
    if not area:
        encodings["x2"] = alt.X2("end:T")
    if partial.any() and not area:
        encodings["opacity"] = alt.Opacity(
            "coverage:N",
            title=None,
            scale=alt.Scale(domain=[complete, part], range=[1.0, 0.4]),
            legend=alt.Legend(symbolFillColor=MUTED, symbolStrokeColor=MUTED),  # no series' colour
        )
    return styled(mark.encode(**encodings).properties(height=max(360, 18 * len(order) + 40)))  # room for the legend


def ranking_bars(
    frame: pd.DataFrame,
    *,
    currency: str,
    group_title: str,
    metric_title: str,
    order: Sequence[str],
    colors: Mapping[str, str],
    stack_title: str | None = None,
    stack_order: Sequence[str] = (),
) -> alt.Chart:
    """Horizontal bars, largest first, one per group (stacked by `stack` when given); clicking a
    bar selects its group through the point selection named PICK. `frame` columns: group,
    optional stack, cost."""
    _check_size(frame)
    stacked = stack_title is not None and STACK in frame
    data = frame[[GROUP, *([STACK] if stacked else []), COST]].copy()
    pick = alt.selection_point(name=PICK, fields=[GROUP], on="click", clear="dblclick")
    colour_field, colour_title, colour_order = (
        (STACK, stack_title, stack_order) if stacked else (GROUP, group_title, order)
    )
    tooltip = [alt.Tooltip(f"{GROUP}:N", title=group_title)]
    if stacked:
        tooltip.append(alt.Tooltip(f"{STACK}:N", title=stack_title))
    tooltip.append(alt.Tooltip("money:N", title=f"{metric_title} ({currency})"))
    if stacked:
        data["rank"] = data[STACK].map({v: i for i, v in enumerate(colour_order)})
    chart = (
        alt.Chart(data)
        .transform_calculate(money=money_expr(COST, currency))
        .mark_bar()
        .encode(
            y=alt.Y(f"{GROUP}:N", title=None, sort=list(order)),
            x=alt.X(f"sum({COST}):Q", title=f"{metric_title} ({currency})", axis=alt.Axis(format="~s", tickCount=8)),
            color=alt.Color(
                f"{colour_field}:N",
                title=colour_title,
                scale=color_scale(colour_order, colors),
                sort=list(colour_order),
                legend=alt.Legend() if stacked else None,
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=tooltip,
            **({"order": alt.Order("rank:Q", sort="ascending")} if stacked else {}),
        )
        .add_params(pick)
        .properties(height=max(120, 30 * len(order) + 40))
    )
    return styled(chart)
