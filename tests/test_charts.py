"""Charts are values: tested through `chart.to_dict()`, never rendered."""

import datetime as dt

import pandas as pd
import pytest

from analytics import charts
from analytics.charts import (
    MAX_POINTS,
    NEUTRALS,
    PALETTE,
    colors_for,
    fit_grain,
    money_expr,
    money_text,
    ranking_bars,
    spend_over_time,
)
from analytics.compare import NOT_SET, OTHER, UNTAGGED
from analytics.schema import Grain


def series(periods=3, groups=("a", "b", OTHER)):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(periods)]
    rows = [(d, g, float(i + 1)) for d in days for i, g in enumerate(groups)]
    return pd.DataFrame(rows, columns=["period", "group", "cost"])


def time_chart(frame, grain=Grain.DAY, currency="USD"):
    order = list(dict.fromkeys(frame["group"]))
    return spend_over_time(
        frame,
        grain=grain,
        currency=currency,
        group_title="tag:team",
        metric_title="EffectiveCost",
        order=order,
        colors=colors_for(order),
    )


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1234.5, "USD", "$1,234.50"),
        (-1234.5, "USD", "-$1,234.50"),
        (-0.001, "USD", "$0.00"),
        (1234567.891, "EUR", "€1,234,567.89"),
        (1234.6, "JPY", "¥1,235"),
        (-42.0, "CAD", "-42.00 CAD"),
    ],
)
def test_money_text_always_shows_the_currency_thousands_and_the_sign(amount, currency, text):
    assert money_text(amount, currency) == text


def test_money_text_compact_is_short_for_tiles():
    assert money_text(1_240_000, "USD", compact=True) == "$1.24M"
    assert money_text(-2_500, "GBP", compact=True) == "-£2.50K"
    assert money_text(999, "USD", compact=True) == "$999.00"


def test_money_expr_is_a_vega_expression_for_the_same_format():
    assert money_expr("cost", "USD") == (
        "(round(datum[\"cost\"] * 100) < 0 ? '-' : '') + \"$\" + format(abs(datum[\"cost\"]), ',.2f')"
    )
    assert money_expr("cost", "NOK").endswith('+ " NOK"')


def test_other_and_missing_values_are_always_neutral_greys():
    colors = colors_for(["x", OTHER, UNTAGGED, NOT_SET])
    assert colors[OTHER] == NEUTRALS[OTHER]
    assert colors[UNTAGGED] == colors[NOT_SET] == NEUTRALS[UNTAGGED]
    assert colors["x"] in PALETTE


def test_providers_have_their_own_colour_whatever_else_is_on_the_chart():
    assert colors_for(["AWS"])["AWS"] == colors_for(["Microsoft", "AWS", "Google Cloud"])["AWS"]
    three = colors_for(["AWS", "Microsoft", "Google Cloud"])
    assert len(set(three.values())) == 3


def test_a_value_keeps_its_colour_across_charts_with_different_neighbours():
    ranking = ["checkout", "payments", "search", "ml"]
    alone = colors_for(["search"], ranking)
    with_others = colors_for(["ml", "search", "checkout"], ranking)
    assert alone["search"] == with_others["search"] == PALETTE[2]


def test_colours_inside_one_chart_are_distinct_up_to_the_palette_size():
    labels = [f"v{i}" for i in range(len(PALETTE))]
    ranking = labels[::-1] + [f"w{i}" for i in range(len(PALETTE))]
    assert len(set(colors_for(labels, ranking).values())) == len(PALETTE)


def test_a_long_daily_series_is_a_stacked_area_and_other_series_bars_spanning_their_period():
    assert time_chart(series(periods=90)).to_dict()["mark"]["type"] == "area"
    short = time_chart(series(periods=20)).to_dict()
    assert short["mark"]["type"] == "bar" and short["encoding"]["x2"]["field"] == "end"
    weekly = time_chart(series(), grain=Grain.WEEK).to_dict()
    assert weekly["mark"]["type"] == "bar"
    assert weekly["encoding"]["x2"]["field"] == "end"


def test_time_chart_names_the_metric_and_currency_and_formats_money_in_tooltips():
    spec = time_chart(series(), currency="EUR").to_dict()
    assert spec["encoding"]["y"]["title"] == "EffectiveCost (EUR)"
    tooltip = {t["title"]: t for t in spec["encoding"]["tooltip"]}
    assert tooltip["EffectiveCost (EUR)"]["field"] == "money"
    assert "€" in spec["transform"][0]["calculate"]
    assert spec["encoding"]["color"]["title"] == "tag:team"


def test_time_chart_colours_follow_the_given_order_with_other_in_grey():
    spec = time_chart(series()).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["a", "b", OTHER]
    assert scale["range"][-1] == NEUTRALS[OTHER]


def test_a_chart_refuses_more_points_than_a_browser_should_draw():
    with pytest.raises(ValueError, match="too many for one chart"):
        time_chart(series(periods=MAX_POINTS // 2 + 1, groups=("a", "b")))


def test_fit_grain_steps_up_only_when_the_points_would_not_fit():
    start = dt.date(2025, 1, 1)
    assert fit_grain(Grain.DAY, start, dt.date(2025, 3, 31), 11) is Grain.DAY
    assert fit_grain(Grain.DAY, start, dt.date(2026, 6, 30), 21) is Grain.WEEK
    assert fit_grain(Grain.MONTH, start, dt.date(2026, 6, 30), 21) is Grain.MONTH
    assert fit_grain(Grain.WEEK, start, dt.date(2125, 1, 1), 21) is Grain.MONTH


def test_ranking_bars_carry_a_point_selection_on_the_group_for_drill_down():
    frame = pd.DataFrame({"group": ["a", "b", OTHER], "cost": [3.0, 2.0, 1.0]})
    spec = ranking_bars(
        frame,
        currency="USD",
        group_title="ServiceName",
        metric_title="BilledCost",
        order=["a", "b", OTHER],
        colors=colors_for(["a", "b", OTHER]),
    ).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert params[charts.PICK]["select"]["fields"] == ["group"]
    assert spec["encoding"]["y"]["sort"] == ["a", "b", OTHER]
    assert spec["encoding"]["x"]["title"] == "BilledCost (USD)"
    assert spec["encoding"]["color"]["legend"] is None


def test_ranking_bars_stack_by_a_second_dimension_with_a_legend():
    frame = pd.DataFrame({"group": ["a", "a", "b"], "stack": ["eu", "us", "eu"], "cost": [3.0, 2.0, 1.0]})
    spec = ranking_bars(
        frame,
        currency="USD",
        group_title="ServiceName",
        metric_title="EffectiveCost",
        order=["a", "b"],
        colors=colors_for(["eu", "us"]),
        stack_title="RegionId",
        stack_order=["eu", "us"],
    ).to_dict()
    assert spec["encoding"]["color"]["field"] == "stack"
    assert spec["encoding"]["color"]["title"] == "RegionId"
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == ["ServiceName", "RegionId", "EffectiveCost (USD)"]


def test_data_values_travel_as_data_not_as_markup():
    frame = pd.DataFrame({"group": ["<img src=x onerror=alert(1)>", "**bold**"], "cost": [1.0, 2.0]})
    chart = ranking_bars(
        frame,
        currency="USD",
        group_title="tag:owner",
        metric_title="EffectiveCost",
        order=list(frame["group"]),
        colors=colors_for(list(frame["group"])),
    )
    spec = chart.to_dict()
    assert "usermeta" not in spec
    values = next(iter(spec["datasets"].values()))
    assert {v["group"] for v in values} == set(frame["group"])


def test_every_chart_carries_the_one_theme_and_room_for_its_legend():
    few = time_chart(series()).to_dict()
    many = time_chart(series(groups=tuple(f"g{i}" for i in range(25)))).to_dict()
    ranking = ranking_bars(
        pd.DataFrame({"group": ["a"], "cost": [1.0]}),
        currency="USD",
        group_title="ServiceName",
        metric_title="EffectiveCost",
        order=["a"],
        colors=colors_for(["a"]),
    ).to_dict()
    for spec in (few, many, ranking):
        assert spec["config"]["font"] == charts.FONT
        assert spec["config"]["legend"]["orient"] == "right"
    assert many["height"] > few["height"] >= 360


def test_the_metric_chart_marks_a_week_only_partly_shown_so_it_does_not_read_as_a_drop() -> None:
    from analytics.unit_economics.charts import metric_over_time

    weeks = pd.to_datetime(["2026-08-31", "2026-09-07", "2026-09-14"])
    frame = pd.DataFrame({"period": weeks, "value": [30_000.0, 190_000.0, 185_000.0]})
    spec = metric_over_time(frame, grain=Grain.WEEK, metric="orders", span=(dt.date(2026, 9, 5), dt.date(2026, 9, 20)))
    rows = next(iter(spec.to_dict()["datasets"].values()))
    assert [r["coverage"] for r in rows] == ["Week (partial)", "Full week", "Full week"]
    [points] = [layer for layer in spec.to_dict()["layer"] if layer["mark"]["type"] == "point"]
    assert points["encoding"]["opacity"]["scale"] == {"domain": ["Full week", "Week (partial)"], "range": [1.0, 0.3]}
