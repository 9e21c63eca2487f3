"""Words for people (analytics.labels, with allocation.yaml's `labels:`) and one way to write
numbers (analytics.formatting), and monthly charts that mark the month still running as partial."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from analytics.allocation.rules import RulesError, parse_rules
from analytics.charts import COST, GROUP, PERIOD, spend_over_time
from analytics.formatting import DASH, amount_text, money_text, pct_text
from analytics.labels import in_sentence, label, short_id
from analytics.schema import Grain


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("ServiceName", "Service"),
        ("SubAccountName", "Account"),
        ("EffectiveCost", "Cost (amortised)"),
        ("alloc:business_unit", "Business unit"),
        ("tag:team", "Team"),
        ("tag:cost-center", "Cost center"),
        ("tag:CostCenter", "CostCenter"),
        ("x_unknown", "x_unknown"),
    ],
)
def test_technical_names_are_shown_in_words(name: str, shown: str) -> None:
    assert label(name) == shown


def test_a_label_inside_a_sentence_starts_in_lower_case_except_an_acronym() -> None:
    assert f"Total {in_sentence('EffectiveCost')}" == "Total cost (amortised)"
    assert in_sentence("SkuId") == "SKU"


def test_allocation_yaml_labels_override_the_words_of_any_dimension() -> None:
    rules = parse_rules('labels:\n  alloc:business_unit: "Division"\n  ServiceName: Product\n')
    overrides = dict(rules.labels)
    assert label("alloc:business_unit", overrides) == "Division"
    assert label("ServiceName", overrides) == "Product"
    assert label("tag:team", overrides) == "Team"
    assert rules.fingerprint() == parse_rules("").fingerprint()  # words only: nothing to re-apply


@pytest.mark.parametrize("value", ["12", "[a, b]", "", "yes"])
def test_a_label_that_is_not_a_text_is_refused_with_its_line(value: str) -> None:
    text = f"owner: tag:team\nlabels:\n  tag:team: Team\n  alloc:bu: {value}\n"
    with pytest.raises(RulesError, match=r"^allocation.yaml, line 4: the label of 'alloc:bu' must be a non-empty text"):
        parse_rules(text, "allocation.yaml")


def test_an_azure_resource_path_is_shortened_to_its_last_segment() -> None:
    full = "/subscriptions/1234/resourceGroups/rg-data/providers/Microsoft.Compute/virtualMachines/vm-etl-01"
    assert short_id(full) == "vm-etl-01"
    assert short_id("i-0abc") == "i-0abc"


@pytest.mark.parametrize(
    ("amount", "currency", "compact", "text"),
    [(199015.75, "USD", False, "$199,015.75"), (199015.75, "USD", True, "$199.02K"), (-3.5, "EUR", False, "-€3.50")],
)
def test_money_has_its_separator_decimals_and_currency(amount: float, currency: str, compact: bool, text: str) -> None:
    assert money_text(amount, currency, compact=compact) == text


def test_percentages_have_one_decimal_or_none_on_a_tile_and_missing_is_a_dash() -> None:
    assert pct_text(1.0206) == "102.1%"
    assert pct_text(0.0195, tile=True) == "2%"
    assert pct_text(0.013, signed=True) == "+1.3%"
    assert pct_text(None) == DASH and pct_text(math.nan) == DASH and money_text(None, "USD") == DASH


def test_a_table_amount_has_its_separator_and_decimals_and_never_minus_zero() -> None:
    assert amount_text(199015.754, "USD") == "199,015.75"
    assert amount_text(-0.001, "USD") == "0.00"
    assert amount_text(1234.5, "JPY") == "1,234"  # no minor unit (banker's rounding of .5, as Python rounds)
    assert amount_text(None, "USD") == DASH


def _monthly(last: dt.date) -> pd.DataFrame:
    months = pd.date_range("2026-03-01", periods=4, freq="MS")
    return pd.DataFrame({PERIOD: months, GROUP: "AWS", COST: [10.0, 20.0, 30.0, 5.0]})


def test_the_month_still_running_is_drawn_lighter_and_called_partial() -> None:
    last = dt.date(2026, 6, 14)
    chart = spend_over_time(
        _monthly(last), grain=Grain.MONTH, currency="USD", group_title="Provider", metric_title="Cost",
        order=["AWS"], colors={"AWS": "#E69F00"}, span=(dt.date(2026, 3, 1), last),
    )  # fmt: skip
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    partial = [r for r in rows if r["coverage"] == "Month (partial)"]
    assert [r["when"] for r in partial] == ["Jun 2026 (partial)"]
    assert spec["encoding"]["opacity"]["scale"] == {"domain": ["Full month", "Month (partial)"], "range": [1.0, 0.4]}
    assert any(t["field"] == "when" for t in spec["encoding"]["tooltip"])


def test_a_month_fully_covered_is_not_marked_partial() -> None:
    chart = spend_over_time(
        _monthly(dt.date(2026, 6, 30)), grain=Grain.MONTH, currency="USD", group_title="Provider",
        metric_title="Cost", order=["AWS"], colors={}, span=(dt.date(2026, 3, 1), dt.date(2026, 6, 30)),
    )  # fmt: skip
    spec = chart.to_dict()
    assert "opacity" not in spec["encoding"]
    assert all(not r["when"].endswith("(partial)") for r in next(iter(spec["datasets"].values())))


def test_the_allocation_trend_labels_the_month_still_running_partial() -> None:
    from analytics.allocation.charts import allocated_trend

    by_month = pd.DataFrame({"month": pd.date_range("2026-04-01", periods=3, freq="MS"), "percent": [90.0, 91.0, 92.0]})
    spec = allocated_trend(by_month, dt.date(2026, 6, 14)).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["label"] for r in rows] == ["Apr 2026", "May 2026", "Jun 2026 (partial)"]
    spec = allocated_trend(by_month, dt.date(2026, 6, 30)).to_dict()
    assert [r["label"] for r in next(iter(spec["datasets"].values()))][-1] == "Jun 2026"


def test_the_allocation_trend_puts_partial_on_a_line_of_its_own_so_it_does_not_run_into_the_month_before() -> None:
    from analytics.allocation.charts import allocated_trend

    by_month = pd.DataFrame({"month": pd.date_range("2025-11-01", periods=14, freq="MS"), "percent": [90.0] * 14})
    spec = allocated_trend(by_month, dt.date(2026, 12, 3)).to_dict()
    expr = spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    # A Vega label given as an array is drawn one element per line.
    assert "[replace(datum.value, ' (partial)', ''), '(partial)']" in expr


def test_daily_and_hourly_charts_write_every_date_on_their_axis_one_way() -> None:
    from analytics.anomalies.charts import event_chart
    from analytics.rightsizing.charts import utilisation_chart

    days = pd.date_range("2026-10-01", periods=60, freq="D")
    frame = pd.DataFrame({"day": days, "actual": 1.0, "expected": 1.0})
    event = event_chart(frame, dt.date(2026, 11, 28), dt.date(2026, 11, 30), "USD").to_dict()
    hours = pd.date_range("2026-11-20", periods=24 * 14, freq="h")
    usage = pd.DataFrame({"timestamp": hours, "series": "cpu_pct max", "value": 10.0})
    utilisation = utilisation_chart(usage, 0.8, None).to_dict()
    for spec, field in ((event, "day"), (utilisation, "timestamp")):
        xs = [layer["encoding"].get("x", {}) for layer in spec["layer"]]
        axes = [x for x in xs if x.get("field") == field]
        assert axes and all(x["axis"]["format"] == "%d %b" for x in axes)


def test_the_utilisation_chart_names_its_lines_in_words() -> None:
    from analytics.rightsizing.charts import utilisation_chart

    hours = pd.date_range("2026-11-20", periods=48, freq="h")
    usage = pd.concat(
        pd.DataFrame({"timestamp": hours, "series": name, "value": 10.0}) for name in ("cpu_pct p95", "mem_pct max")
    )
    spec = utilisation_chart(usage, 0.8, None).to_dict()
    names = {r["series"] for data in spec["datasets"].values() for r in data if "series" in r}
    assert names == {"CPU p95", "Memory max"}
