"""The commitment simulator and optimiser against the closed form of algorithms.md §1.4.1 and a
direct hour-by-hour evaluation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics.commitments.demand import load_demand
from analytics.commitments.instruments import load_rates
from analytics.commitments.inventory import inventory
from analytics.commitments.optimise import Group, analyse, break_even_drop, stress
from analytics.commitments.plan import build_plan
from analytics.commitments.simulate import best_level, curve, evaluate, prepare
from analytics.engine import DuckDBEngine
from analytics.ingest.load import build_rollup
from analytics.store import connect


def _net(residual: np.ndarray, discounts: np.ndarray, level: float) -> float:
    covered, _ = evaluate(residual, discounts, level)
    return covered - level * residual.shape[0]


def _closed_form(series: np.ndarray, d: float) -> float:
    return (1 - d) * float(np.quantile(series, d))


def _series(seed: int, hours: int = 720) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    daily = 1 + 0.4 * np.sin(2 * np.pi * t / 24) + 0.2 * (t % 168 < 120)
    return np.maximum(rng.gamma(3, 20, hours) * daily + rng.normal(0, 5, hours), 0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("d", [0.2, 0.28, 0.5, 0.72])
def test_the_maximum_savings_level_agrees_with_the_closed_form_on_random_series(seed: int, d: float) -> None:
    series = _series(seed)[:, None]
    rates = np.array([d])
    ours = best_level(prepare(series, rates))
    exact = _closed_form(series[:, 0], d)
    assert _net(series, rates, ours) == pytest.approx(_net(series, rates, exact), rel=0.005)
    assert _net(series, rates, ours) >= _net(series, rates, exact) - 1e-6  # never worse than the closed form


def test_the_savings_curve_matches_a_direct_hour_by_hour_evaluation_with_many_families() -> None:
    rng = np.random.default_rng(3)
    residual = rng.gamma(2, 1, size=(500, 12))
    rates = rng.uniform(0.1, 0.6, 12)
    p = prepare(residual, rates)
    levels = np.linspace(0, p.max_need, 25)
    points = curve(p, levels)
    for level, covered, used in zip(levels, points.covered, points.used, strict=True):
        assert (covered, used) == pytest.approx(evaluate(residual, rates, level))
    best = best_level(p)
    assert all(_net(residual, rates, best) >= _net(residual, rates, lv) - 1e-6 for lv in levels)


def test_the_deepest_discount_is_covered_first() -> None:
    residual = np.array([[10.0, 10.0]])  # one hour, two families at 20 % and 50 %
    covered, used = evaluate(residual, np.array([0.2, 0.5]), 5.0)
    assert covered == pytest.approx(10.0) and used == pytest.approx(5.0)  # $5 buys the 50 % family's $10


def _group(series: np.ndarray, d: float) -> Group:
    return Group("f", ("f",), np.array([d]), series[:, None], series[:, None], 0.0)


def test_the_markers_are_ordered_and_the_conservative_level_is_not_above_the_maximum() -> None:
    result = analyse(_group(_series(1) + 5, 0.3), 1, "no-upfront")  # never idle: lowest > 0
    m = result.markers
    assert m["lowest"] <= m["max"] and m["conservative"] <= m["max"]
    assert m["lowest"] <= m["knee"] <= 1.2 * m["max"]
    assert result.figures["max"].net_savings_monthly >= result.figures["knee"].net_savings_monthly - 1e-9
    assert result.figures["lowest"].utilization == pytest.approx(1.0)


def test_a_usage_drop_lowers_savings_and_the_break_even_drop_zeroes_them() -> None:
    group = _group(_series(2), 0.3)
    level = analyse(group, 1, "no-upfront").markers["max"]
    drops = [f.net_savings_monthly for _, f in stress(group, level, 1, "no-upfront")]
    assert drops == sorted(drops, reverse=True)
    p_be = break_even_drop(group, level)
    assert p_be is not None and 0 < p_be < 1
    [(_, at_break_even)] = stress(group, level, 1, "no-upfront", (p_be,))
    assert at_break_even.net_savings_monthly == pytest.approx(0, abs=1e-3 * level * 730)


def test_an_all_upfront_commitment_breaks_even_after_term_times_one_minus_d_at_full_use() -> None:
    flat = np.full(720, 10.0)
    figures = analyse(_group(flat, 0.4), 1, "all-upfront").figures["max"]
    assert figures.utilization == pytest.approx(1.0)
    assert figures.break_even_months == pytest.approx(12 * (1 - 0.4), rel=0.01)  # 730-hour months


def test_the_maximum_savings_level_on_the_sample_company_agrees_with_the_closed_form(sample_copy: Path) -> None:
    con = connect(sample_copy, read_only=True)
    try:
        engine = DuckDBEngine(con)
        demand = load_demand(engine, 30)
        items = inventory(engine)
    finally:
        con.close()
    assert demand is not None
    assert demand.daily_share_of(demand.families_of(("aws",), ("instance",))) < 0.01  # EC2 is hourly
    aws = demand.families_of(("aws",))  # with Lambda and Fargate, which come in daily rows
    series = demand.total[:, aws].sum(axis=1)  # all eligible AWS usage, covered or not, one rate
    result = analyse(_group(series, 0.28), 1, "no-upfront")
    exact = _closed_form(series, 0.28)
    one = np.array([0.28])
    assert _net(series[:, None], one, result.markers["max"]) == pytest.approx(
        _net(series[:, None], one, exact), rel=0.005
    )
    assert result.figures["max"].net_savings_monthly > 0
    plan = build_plan(demand, "compute-sp", 1, "no-upfront", load_rates(), items, discount=0.28)
    assert plan.now[0].group.total.sum() == pytest.approx(series.sum())


def test_replacements_are_sized_on_the_residual_after_expiry(sample_copy: Path) -> None:
    con = connect(sample_copy, read_only=True)
    try:
        engine = DuckDBEngine(con)
        demand = load_demand(engine, 30)
        items = inventory(engine)
    finally:
        con.close()
    assert demand is not None
    # Pretend every commitment ends next month: the residual is then all eligible demand.
    items = items.assign(estimated_end=demand.end)
    plan = build_plan(demand, "compute-sp", 1, "no-upfront", load_rates(), items, discount=0.28)
    [after] = plan.after
    aws = demand.families_of(plan.instrument.providers)
    assert after.group.residual.sum() == pytest.approx(demand.total[:, aws].sum())
    assert plan.coverage_after == pytest.approx(0.0)
    assert plan.total("max", after=True) >= plan.total("max")


def test_lambda_and_fargate_are_in_the_compute_savings_plan_demand_at_their_own_rates(sample_copy: Path) -> None:
    con = connect(sample_copy, read_only=True)
    try:
        engine = DuckDBEngine(con)
        demand = load_demand(engine, 30)
        items = inventory(engine)
        assert demand is not None
        (expected,) = con.execute(
            """SELECT sum(COALESCE(NULLIF(ContractedCost, 0), NULLIF(ListCost, 0), EffectiveCost))
               FROM line_items WHERE ServiceName IN ('AWS Lambda', 'AWS Fargate') AND ChargeCategory = 'Usage'
               AND PricingCategory IN ('Standard', 'Committed') AND PricingUnit NOT IN ('Hours', 'Requests')
               AND ChargePeriodStart >= ? AND ChargePeriodEnd <= ?""",
            [demand.start, demand.end],
        ).fetchone()
    finally:
        con.close()
    serverless = demand.families_of(("aws",), ("lambda", "fargate"))
    assert float(expected) > 0
    assert demand.total[:, serverless].sum() == pytest.approx(float(expected), rel=1e-9)
    rates = load_rates()
    compute = build_plan(demand, "compute-sp", 1, "no-upfront", rates, items)
    by_family = dict(zip(compute.rates["family"], compute.rates["discount"], strict=True))
    lam = [f for f, k in zip(demand.families, demand.kinds, strict=True) if k == "lambda"]
    far = [f for f, k in zip(demand.families, demand.kinds, strict=True) if k == "fargate"]
    assert lam and far
    assert {by_family[f] for f in lam} == {rates.rate("compute-sp:lambda", 1, "no-upfront")} == {0.15}
    assert {by_family[f] for f in far} == {rates.rate("compute-sp:fargate", 1, "no-upfront")} == {0.20}
    assert not compute.is_hourly  # the sample's serverless usage comes in daily rows
    per_family = build_plan(demand, "ec2-instance-sp", 1, "no-upfront", rates, items)
    assert not set(per_family.rates["family"]) & {*lam, *far}  # never sized on serverless usage
    assert per_family.is_hourly


def test_a_serverless_rate_row_for_an_instrument_that_does_not_cover_it_is_refused(tmp_path: Path) -> None:
    from analytics.commitments.instruments import RatesError

    path = tmp_path / "rates.csv"
    path.write_text("instrument,term_years,payment,discount_rate,source\nri:lambda,1,no-upfront,0.1,x\n")
    with pytest.raises(RatesError, match="line 2, instrument: 'ri:lambda'"):
        load_rates(path)


def _daily_db(path: Path) -> Path:
    """Three days of one EC2 family, billed in daily rows: $48, $96 and $24 a day on demand. The
    lookback ends an hour after the last row starts, so only the first two days are whole in it."""
    con = connect(path)
    try:
        for day, cost in ((1, 48.0), (2, 96.0), (3, 24.0)):
            con.execute(
                """INSERT INTO line_items (ProviderName, ServiceName, RegionId, SkuId, SkuPriceDetails,
                   ChargeCategory, PricingCategory, PricingUnit, BillingCurrency, BillingAccountId,
                   ChargePeriodStart, ChargePeriodEnd, ListCost, ContractedCost, EffectiveCost, BilledCost,
                   x_SourceId)
                   VALUES ('AWS', 'Amazon Elastic Compute Cloud', 'us-east-1', 'SKU1',
                   '{"InstanceType": "m6i.large", "InstanceSeries": "M6I", "OperatingSystem": "Linux"}',
                   'Usage', 'Standard', 'Hours', 'USD', 'acct', ?, ?, ?, ?, ?, ?, 1)""",
                [f"2026-05-0{day} 00:00:00", f"2026-05-0{day + 1} 00:00:00", cost, cost, cost, cost],
            )
        build_rollup(con, 1)  # as ingest does for every source: the pages read the daily rollup
    finally:
        con.close()
    return path


def test_daily_rows_are_spread_evenly_over_their_hours_and_flagged(tmp_path: Path) -> None:
    db = _daily_db(tmp_path / "daily.duckdb")
    con = connect(db, read_only=True)
    try:
        demand = load_demand(DuckDBEngine(con), 7)
    finally:
        con.close()
    assert demand is not None
    assert not demand.is_hourly and demand.daily_share == pytest.approx(1.0)
    series = demand.total.sum(axis=1)
    first = int((dt.datetime(2026, 5, 1) - demand.start).total_seconds() // 3600)
    assert first >= 0 and len(series) == first + 49
    assert np.allclose(series[first : first + 24], 2.0) and np.allclose(series[first + 24 : first + 48], 4.0)
    assert series[first + 48] == pytest.approx(1.0)  # the first hour of the third day
    assert series.sum() == pytest.approx(48.0 + 96.0 + 1.0)
    plan = build_plan(demand, "compute-sp", 1, "no-upfront", load_rates(), inventory_of(db))
    assert not plan.is_hourly and plan.daily_share == pytest.approx(1.0)


def test_on_daily_data_the_command_warns_that_the_optimum_is_overestimated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from analytics.cli import main

    db = _daily_db(tmp_path / "daily.duckdb")
    assert main(["commitments", "--db", str(db), "--lookback", "7"]) == 0
    assert "warning: the usage is daily, not hourly" in capsys.readouterr().out
    assert main(["commitments", "--db", str(db), "--lookback", "7", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hourly_data"] is False and result["daily_share"] == pytest.approx(1.0)


def inventory_of(db: Path):  # noqa: ANN201
    con = connect(db, read_only=True)
    try:
        return inventory(DuckDBEngine(con))
    finally:
        con.close()
