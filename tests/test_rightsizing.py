"""Rightsizing decisions on hand-made utilisation and cost facts: the known cases of issue 7."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analytics.rightsizing.prices import data_prices, load_price_sheet, sheet_for_regions
from analytics.rightsizing.recommend import evaluate, scenario_savings
from analytics.rightsizing.settings import PERCENTILES, Settings
from analytics.rightsizing.shapes import load_shapes, provider_key
from analytics.rightsizing.stats import percentile_column

SHAPES = load_shapes()
LIST = {"m6i.8xlarge": 1.536, "m6i.4xlarge": 0.768, "r6i.8xlarge": 2.016, "c6i.8xlarge": 1.36}


def resource(
    rid: str,
    itype: str,
    cpu: float,
    cpu_max: float | None = None,
    mem: float | None = None,
    hours: float = 336,
    rate: float | None = None,
) -> tuple[dict, dict]:
    stats = {
        "resource_id": rid,
        "hours": hours,
        "cpu_stat": "avg",
        "cpu_max": cpu if cpu_max is None else cpu_max,
        "mem_max": math.nan if mem is None else mem,
    }
    for q in PERCENTILES:
        stats[percentile_column(q)] = cpu
    list_rate = LIST.get(itype, 1.0)
    facts = {
        "resource_id": rid,
        "provider": "aws",
        "region": "us-east-1",
        "instance_type": itype,
        "resource_name": rid,
        "account": "prod",
        "owner": "team-a",
        "running_hours": 336.0,
        "monthly_hours": 730.0,
        "rate": list_rate if rate is None else rate,
        "list_rate": list_rate,
        "committed_share": 0.0,
        "commitment": None,
    }
    return stats, facts


def run(*resources: tuple[dict, dict], **settings: object) -> pd.DataFrame:
    stats = pd.DataFrame([s for s, _ in resources])
    facts = pd.DataFrame([f for _, f in resources])
    chosen = Settings(**settings)  # type: ignore[arg-type]
    od = data_prices(facts, SHAPES)
    empty = sheet_for_regions(None, facts[["provider", "region"]])
    return evaluate(stats, facts, SHAPES, chosen, od, empty).set_index("resource_id")


def test_an_8xlarge_at_8_percent_p99_steps_down_to_the_smallest_size_under_the_target():
    out = run(resource("i-1", "m6i.8xlarge", cpu=8.0, mem=10.0), percentile=99.0)
    row = out.loc["i-1"]
    assert row["action"] == "downsize"
    assert row["proposed"] == "m6i.xlarge"  # 4 vCPU: 8% of 32 = 2.56 vCPU, x1.2 = 3.07 vCPU needed
    assert row["cpu_after"] == pytest.approx(64.0)  # under the 80% target
    assert 2.56 * 1.2 > 2  # the next size down (2 vCPU) is too small for the need
    assert row["risk"] == "medium"  # memory lands on 80% of its 16 GiB: at the target


def test_a_resource_at_70_percent_stays():
    row = run(resource("i-2", "m6i.8xlarge", cpu=70.0, cpu_max=90)).loc["i-2"]
    assert row["action"] == "keep"
    assert pd.isna(row["proposed"])
    assert row["monthly_savings"] == 0


def test_an_idle_instance_is_flagged_for_termination_with_its_whole_cost_saved():
    row = run(resource("i-3", "m6i.8xlarge", cpu=0.4, cpu_max=0.9, rate=1.2)).loc["i-3"]
    assert row["action"] == "terminate"
    assert row["monthly_savings"] == pytest.approx(1.2 * 730)


def test_without_memory_data_memory_is_never_shrunk():
    no_memory = run(resource("i-4", "r6i.8xlarge", cpu=5.0)).loc["i-4"]
    assert no_memory["action"] == "keep"  # every smaller r6i has less than its 256 GiB
    assert "memory kept" in no_memory["reason"]
    with_memory = run(resource("i-5", "r6i.8xlarge", cpu=5.0, mem=10.0)).loc["i-5"]
    assert with_memory["action"] == "downsize"
    assert with_memory["proposed"] == "r6i.xlarge"  # 256 GiB x 10% x 1.2 = 30.7 GiB -> 32 GiB


def test_thirty_hours_of_data_are_needed():
    row = run(resource("i-6", "m6i.8xlarge", cpu=5.0, hours=29)).loc["i-6"]
    assert row["action"] == "insufficient_data"
    assert "30 h" in row["reason"]


def test_savings_are_the_price_difference_times_running_hours_per_month():
    row = run(resource("i-7", "m6i.8xlarge", cpu=20.0, mem=10.0, rate=1.0)).loc["i-7"]
    # 20% of 32 vCPU x 1.2 = 7.68 vCPU -> m6i.2xlarge (8 vCPU), a quarter of the normalisation factor
    assert row["proposed"] == "m6i.2xlarge"
    assert row["monthly_savings"] == pytest.approx(1.0 * (1 - 16 / 64) * 730)


def test_a_cheaper_family_in_the_data_is_taken_when_it_fits_and_the_same_family_wins_a_tie():
    busy = resource("i-8", "m6i.8xlarge", cpu=40.0, mem=20.0)  # needs 15.4 vCPU, 30.7 GiB
    other = resource("i-9", "c6i.8xlarge", cpu=70.0, cpu_max=95, mem=70.0)  # puts c6i prices in the data
    out = run(busy, other)
    assert out.loc["i-8", "proposed"] == "c6i.4xlarge"  # 0.68/h against m6i.4xlarge's 0.768/h
    same_only = run(busy, other, families=("r6i",))
    assert same_only.loc["i-8", "proposed"] == "m6i.4xlarge"


def test_the_what_if_totals_match_a_full_evaluation_of_each_scenario():
    resources = [resource("i-10", "m6i.8xlarge", cpu=8.0, mem=5.0), resource("i-11", "m6i.8xlarge", cpu=30.0, mem=30.0)]
    stats = pd.DataFrame([s for s, _ in resources])
    facts = pd.DataFrame([f for _, f in resources])
    od = data_prices(facts, SHAPES)
    empty = sheet_for_regions(None, facts[["provider", "region"]])
    scenarios = [(99.5, 0.0), (99.5, 0.3), (90.0, 0.5)]
    totals = scenario_savings(stats, facts, SHAPES, Settings(), od, empty, scenarios)
    for (q, h), total in zip(scenarios, totals["monthly_savings"], strict=True):
        single = evaluate(stats, facts, SHAPES, Settings(percentile=q, headroom=h), od, empty)
        assert total == pytest.approx(single["monthly_savings"].sum())


def test_headroom_moves_the_savings_at_the_default_target():
    # 30% of 32 vCPU = 9.6 vCPU: with no headroom a 16-vCPU m6i.4xlarge fits at 60%; with 20% the need
    # is 11.5 vCPU, still 16; at 12% p99 (3.84 vCPU) 0 headroom fits 4 vCPU, 20% needs 4.6 -> 8 vCPU.
    resources = [resource("i-13", "m6i.8xlarge", cpu=12.0, mem=5.0), resource("i-14", "m6i.8xlarge", cpu=30.0)]
    none = run(*resources, headroom=0.0)
    some = run(*resources, headroom=0.2)
    assert none.loc["i-13", "proposed"] == "m6i.xlarge" and some.loc["i-13", "proposed"] == "m6i.2xlarge"
    assert none["monthly_savings"].sum() > some["monthly_savings"].sum()
    assert none.loc["i-13", "cpu_after"] == pytest.approx(96.0)  # over the 80% target: sized, but flagged
    assert none.loc["i-13", "risk"] == "high"
    assert some.loc["i-13", "risk"] == "low"  # 48% of the new size: 0.6 of the target


def test_the_target_sets_the_risk_level_not_the_size():
    loose = run(resource("i-15", "m6i.8xlarge", cpu=12.0, mem=5.0), target=1.0).loc["i-15"]
    tight = run(resource("i-15", "m6i.8xlarge", cpu=12.0, mem=5.0), target=0.5).loc["i-15"]
    assert loose["proposed"] == tight["proposed"] == "m6i.2xlarge"
    assert (loose["risk"], tight["risk"]) == ("very_low", "medium")  # 48% against 100% and against 50%


def test_cash_savings_leave_out_the_share_under_commitments():
    from analytics.rightsizing.report import cash_savings, total_savings

    stats, facts = resource("i-16", "m6i.8xlarge", cpu=0.4, cpu_max=0.9, rate=1.0)
    facts = {**facts, "committed_share": 0.25, "commitment": "Reserved Instance"}
    other = resource("i-17", "m6i.8xlarge", cpu=0.4, cpu_max=0.9, rate=2.0)
    out = run((stats, facts), other)
    assert total_savings(out) == pytest.approx(3.0 * 730)
    assert cash_savings(out) == pytest.approx(0.75 * 730 + 2.0 * 730)


def test_the_csv_download_never_starts_a_cell_with_a_formula_character():
    import csv
    import io

    from analytics.rightsizing.report import csv_bytes

    stats, facts = resource("i-18", "m6i.8xlarge", cpu=0.4, cpu_max=0.9)
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]
    frames = [run((stats, {**facts, "resource_name": n, "owner": n})).reset_index() for n in names]
    rows = list(csv.DictReader(io.StringIO(csv_bytes(pd.concat(frames)).decode("utf-8"), newline="")))
    assert [r["resource_name"] for r in rows] == ["'" + n for n in names[:-1]] + ["plain"]
    assert [r["owner"] for r in rows] == ["'" + n for n in names[:-1]] + ["plain"]
    assert float(rows[0]["monthly_savings"]) > 0  # numbers are left as numbers


def test_a_price_sheet_listing_both_types_sets_the_price_ratio(tmp_path):
    sheet = tmp_path / "prices.csv"
    sheet.write_text("provider,instance_type,price_per_hour\naws,m6i.8xlarge,2.0\naws,m6i.2xlarge,0.2\n")
    stats, facts = resource("i-12", "m6i.8xlarge", cpu=20.0, mem=10.0, rate=1.0)
    frame = pd.DataFrame([facts])
    prices = sheet_for_regions(load_price_sheet(sheet, SHAPES), frame[["provider", "region"]])
    out = evaluate(pd.DataFrame([stats]), frame, SHAPES, Settings(), data_prices(frame, SHAPES), prices)
    assert out.loc[0, "price_source"] == "price sheet"
    assert out.loc[0, "monthly_savings"] == pytest.approx(1.0 * (1 - 0.2 / 2.0) * 730)


def test_a_bad_price_sheet_names_line_and_field(tmp_path):
    sheet = tmp_path / "prices.csv"
    sheet.write_text("provider,instance_type,price_per_hour\naws,m6i.8xlarge,cheap\n")
    with pytest.raises(ValueError, match="line 2, field price_per_hour"):
        load_price_sheet(sheet, SHAPES)


@pytest.mark.parametrize(
    ("provider", "texts", "expected"),
    [
        ("AWS", ['{"InstanceType": "m6i.4xlarge"}', None, None], "m6i.4xlarge"),
        ("AWS", [None, None, "$0.34 per On Demand Linux c5.2xlarge Instance Hour"], "c5.2xlarge"),
        ("Microsoft", [None, "D3 v2/DS3 v2", None], "Standard_D3_v2"),
        ("Microsoft", [None, "L4s Spot", None], "Standard_L4s"),
        ("Microsoft", [None, "Standard_D16s_v5", None], "Standard_D16s_v5"),
        ("Google Cloud", [None, "n2-standard-16", None], "n2-standard-16"),
    ],
)
def test_instance_types_are_recognised_in_each_provider_spelling(provider, texts, expected):
    assert SHAPES.match(provider_key(provider), texts) == expected


def test_every_instance_type_of_the_sample_and_the_real_exports_has_a_size_ladder():
    from analytics.sample.catalog import OFFERINGS

    sample = [o.sku.split(" ")[0] for o in OFFERINGS if o.grain == "hour" and o.vcpu]
    real = [
        "m5.large",
        "t2.medium",
        "c5.2xlarge",
        "c5.4xlarge",
        "m4.10xlarge",
        "m7i-flex.xlarge",
        "c6a.4xlarge",
        "t3.micro",
        "t2.micro",
        "g3.4xlarge",
        "g5.4xlarge",
        "t3.medium",
        "t3a.small",
        "c5.xlarge",
        "m5.2xlarge",
    ]
    azure_meters = [
        "F4/F4s",
        "DS4 v2 Spot",
        "D3 v2/DS3 v2",
        "F2/F2s",
        "L4s Spot",
        "D2 v3/D2s v3",
        "D2 v2/DS2 v2",
        "B2s",
        "B1s",
        "D11 v2/DS11 v2",
    ]
    missing = []
    for name in sample + real + azure_meters:
        provider = "aws" if "." in name else "gcp" if "-" in name and not name.startswith("Standard") else "azure"
        if name.startswith(("GP_", "BC_", "db-custom")):
            continue  # database vCore offers have no instance ladder
        if SHAPES.match(provider, [name]) is None:
            missing.append(name)
    assert not missing


def test_a_busy_instance_whose_size_costs_less_in_another_family_is_a_move_not_a_downsize():
    LIST["m6a.8xlarge"] = 1.3824  # m6a is priced in the data by a resource of its own
    try:
        busy = resource("i-7", "m6i.8xlarge", cpu=70.0, cpu_max=90, mem=50.0)
        out = run(busy, resource("i-8", "m6a.8xlarge", cpu=70.0, cpu_max=90, mem=50.0))
    finally:
        del LIST["m6a.8xlarge"]
    row = out.loc["i-7"]
    assert (row["action"], row["proposed"]) == ("move", "m6a.8xlarge")
    assert row["monthly_savings"] == pytest.approx((1.536 - 1.3824) * 730)
    assert row["reason"].startswith("no smaller size fits") and "10% less in family m6a" in row["reason"]
    assert out.loc["i-8", "action"] == "keep"
