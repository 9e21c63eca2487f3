"""Unit cost is a cost divided by a business metric. Every expectation here is an independent sum:
SQL on the raw line_items (converted with the raw FX file) divided by SQL on the raw metrics file or
the raw business_metrics table, never the code under test."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import parse_rules
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.queries import spend
from analytics.schema import Filters, Grain, Metric
from analytics.unit_economics import decompose, split_change, unit_cost, unit_costs
from analytics.unit_economics.metrics import UnknownMetric
from analytics.unit_economics.metrics_ingest import load_metrics

FX = load_fx(DEFAULT_FX_PATH)
COMMERCE = ("payments", "checkout", "catalog", "search")
DATA = ("data-platform", "analytics", "ml", "recommendations")


def raw_costs(con: duckdb.DuckDBPyConnection, owner_sql: str, grain: str = "month", metric: str = "EffectiveCost"):
    """{(period, owner): cost in USD} from the raw line items, each day at its rate from fx_rates.csv."""
    rows = con.execute(
        f"""
        WITH fx AS (
            SELECT valid_from, currency, usd_per_unit FROM read_csv(?)
            UNION ALL SELECT DATE '1970-01-01', 'USD', 1
        )
        SELECT CAST(date_trunc('{grain}', r.ChargePeriodStart) AS DATE), {owner_sql},
               sum(r.{metric} * fx.usd_per_unit)
        FROM line_items r LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team'
        ASOF JOIN fx ON fx.currency = r.BillingCurrency AND CAST(r.ChargePeriodStart AS DATE) >= fx.valid_from
        GROUP BY ALL
        """,
        [str(DEFAULT_FX_PATH)],
    ).fetchall()
    return {(p, o): float(c) for p, o, c in rows}


def raw_orders(con: duckdb.DuckDBPyConnection, grain: str = "month") -> dict[dt.date, float]:
    rows = con.execute(
        f"SELECT CAST(date_trunc('{grain}', date) AS DATE), sum(value) FROM business_metrics "
        "WHERE metric = 'orders' AND dimension IS NULL GROUP BY 1"
    ).fetchall()
    return {p: float(v) for p, v in rows}


def teams(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT DISTINCT TagValue FROM tag_sets WHERE TagKey = 'team' AND TagValue IS NOT NULL")
    return sorted(str(r[0]) for r in rows.fetchall())


def write_seats(con: duckdb.DuckDBPyConnection, path: Path, skip: tuple[str, dt.date] | None = None) -> Path:
    """Daily `seats` per team over the cost data's days (deterministic, uneven), minus one team-day."""
    first, last = con.execute("SELECT min(ChargeDay), max(ChargeDay) FROM daily_costs").fetchone()
    lines = ["date,metric,value,dimension,owner"]
    day = first
    while day <= last:
        for i, team in enumerate(teams(con)):
            if skip != (team, day):
                lines.append(f"{day},seats,{10 + i * 7 + day.day % 5},tag:team,{team}")
        day += dt.timedelta(days=1)
    path.write_text("\n".join(lines) + "\n")
    return path


def file_sums(path: Path, grain: str = "month") -> dict[tuple[dt.date, str], float]:
    rows = duckdb.sql(
        f"SELECT CAST(date_trunc('{grain}', CAST(date AS DATE)) AS DATE), owner, sum(CAST(value AS DOUBLE)) "
        f"FROM read_csv('{path}', all_varchar = true, header = true) GROUP BY ALL"
    ).fetchall()
    return {(p, o): float(v) for p, o, v in rows}


def test_total_unit_cost_is_the_raw_cost_over_the_raw_orders_for_every_month(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    result = unit_cost(DuckDBEngine(sample), FX, "orders", None, Grain.MONTH)
    costs = raw_costs(sample, "NULL")
    orders = raw_orders(sample)
    assert len(result.total) == len(orders) >= 3
    for row in result.total.to_dict("records"):
        cost = costs[(row["period"], None)]
        assert row["cost"] == pytest.approx(cost, abs=0.01)
        assert row["value"] == orders[row["period"]]
        assert row["unit_cost"] == pytest.approx(cost / orders[row["period"]], rel=1e-9)


def test_each_team_divided_by_its_own_metric_matches_the_raw_sums_week_by_week(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_seats(sample, tmp_path / "seats.csv")
    load_metrics(sample, str(path))
    result = unit_cost(DuckDBEngine(sample), FX, "seats", "tag:team", Grain.WEEK)
    assert result.per_owner
    costs = raw_costs(sample, "t.TagValue", "week")
    seats = file_sums(path, "week")
    checked = 0
    for row in result.frame.to_dict("records"):
        if row["owner"] is None:
            assert math.isnan(row["unit_cost"])  # untagged spend has no seats: a gap
            continue
        key = (row["period"], row["owner"])
        assert row["cost"] == pytest.approx(costs.get(key, 0.0), abs=0.01)
        assert row["unit_cost"] == pytest.approx(costs.get(key, 0.0) / seats[key], rel=1e-9)
        checked += 1
    assert checked == len(seats)


def test_owners_of_a_company_wide_metric_share_its_unit_cost_and_add_up_to_the_total(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    result = unit_cost(DuckDBEngine(sample), FX, "orders", "tag:team", Grain.MONTH)
    assert not result.per_owner
    costs = raw_costs(sample, "t.TagValue")
    orders = raw_orders(sample)
    for row in result.frame.to_dict("records"):
        expected = costs[(row["period"], row["owner"])] / orders[row["period"]]
        assert row["unit_cost"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    summed = result.frame.groupby("period")["unit_cost"].sum()
    for row in result.total.to_dict("records"):
        assert summed[row["period"]] == pytest.approx(row["unit_cost"], rel=1e-9)


def test_a_missing_day_makes_its_period_a_gap_and_only_that_one(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    team = teams(sample)[0]
    missing = dt.date(2026, 5, 12)
    load_metrics(sample, str(write_seats(sample, tmp_path / "seats.csv", skip=(team, missing))))
    engine = DuckDBEngine(sample)
    for grain, period in ((Grain.DAY, missing), (Grain.WEEK, dt.date(2026, 5, 11)), (Grain.MONTH, dt.date(2026, 5, 1))):
        frame = unit_cost(engine, FX, "seats", "tag:team", grain).frame
        mine = frame[frame["owner"] == team].set_index("period")
        gaps = {p for p, u in mine["unit_cost"].items() if math.isnan(u)}
        assert gaps == {period}, grain
        others = frame[(frame["owner"] != team) & frame["owner"].notna()]
        assert not others["unit_cost"].isna().any()


def test_a_day_whose_value_is_zero_is_a_gap_not_a_division_by_zero(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    (tmp_path / "zero.csv").write_text("date,metric,value\n2026-05-03,orders,0\n")
    load_metrics(sample, str(tmp_path / "zero.csv"))
    total = unit_cost(DuckDBEngine(sample), FX, "orders", None, Grain.DAY).total.set_index("period")
    assert math.isnan(total.loc[dt.date(2026, 5, 3), "unit_cost"])
    assert total.loc[dt.date(2026, 5, 3), "cost"] > 0
    assert not math.isnan(total.loc[dt.date(2026, 5, 4), "unit_cost"])


def test_a_virtual_dimension_gives_each_business_unit_its_teams_cost_per_order(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    apply_rules(
        sample,
        parse_rules(
            f"""
dimensions:
  business_unit:
    rules:
      - value: Commerce
        when: {{"tag:team": [{", ".join(COMMERCE)}]}}
      - value: Data
        when: {{"tag:team": [{", ".join(DATA)}]}}
    default: Unallocated
"""
        ),
    )
    unit = (
        f"CASE WHEN t.TagValue IN {COMMERCE!r} THEN 'Commerce' WHEN t.TagValue IN {DATA!r} THEN 'Data' "
        "ELSE 'Unallocated' END"
    )
    costs = raw_costs(sample, unit)
    orders = raw_orders(sample)
    frame = unit_cost(DuckDBEngine(sample), FX, "orders", "alloc:business_unit", Grain.MONTH).frame
    assert set(frame["owner"]) == {"Commerce", "Data", "Unallocated"}
    for row in frame.to_dict("records"):
        expected = costs[(row["period"], row["owner"])] / orders[row["period"]]
        assert row["unit_cost"] == pytest.approx(expected, rel=1e-9)


def test_a_shared_pool_moves_unit_cost_exactly_as_it_moves_cost(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_metrics(sample, str(write_seats(sample, tmp_path / "seats.csv")))
    engine = DuckDBEngine(sample)
    before = unit_cost(engine, FX, "seats", "tag:team", Grain.MONTH).frame.set_index(["period", "owner"])
    total_before = unit_cost(engine, FX, "seats", "tag:team", Grain.MONTH).total
    apply_rules(
        sample,
        parse_rules(
            "shared_costs:\n  - name: Support\n    when: {ServiceName: [AWS Support (Business)]}\n"
            "    to: tag:team\n    split: proportional\n"
        ),
    )
    after_result = unit_cost(engine, FX, "seats", "tag:team", Grain.MONTH)
    after = after_result.frame.set_index(["period", "owner"])
    support = raw_costs(sample, "t.TagValue")  # the pool's own rows, per team before the move
    pool = sample.execute(
        "SELECT CAST(date_trunc('month', ChargePeriodStart) AS DATE), t.TagValue, sum(EffectiveCost) "
        "FROM line_items r LEFT JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team' "
        "WHERE ServiceName = 'AWS Support (Business)' GROUP BY ALL"
    ).fetchall()
    pool_rows = {(p, o): float(c) for p, o, c in pool}
    received = spend(engine, FX, Filters(), ("tag:team",), Metric.EFFECTIVE, Grain.MONTH).frame
    owners = zip(received["period"], received["tag:team"], received["shared"], strict=True)
    shared = {(p, o): float(s) for p, o, s in owners}
    assert support and any(v > 0 for v in shared.values())
    moved = 0
    for (period, owner), row in after.iterrows():
        if not isinstance(owner, str) or (period, owner) not in before.index:
            continue
        cost_change = shared.get((period, owner), 0.0) - pool_rows.get((period, owner), 0.0)
        assert row["cost"] - before.loc[(period, owner), "cost"] == pytest.approx(cost_change, abs=0.01)
        unit_change = row["unit_cost"] - before.loc[(period, owner), "unit_cost"]
        assert unit_change == pytest.approx(cost_change / row["value"], abs=1e-9)
        moved += abs(cost_change) > 0.01
    assert moved > 0
    # Moving cost between owners leaves the company's cost, so its unit cost, where it was.
    assert after_result.total["unit_cost"].to_numpy() == pytest.approx(total_before["unit_cost"].to_numpy(), rel=1e-12)


def test_billed_basis_and_dates_and_filters_narrow_the_cost_not_the_volume(sample: duckdb.DuckDBPyConnection) -> None:
    window = Filters.of(dt.date(2026, 5, 1), dt.date(2026, 5, 31), {"BillingCurrency": ["USD"]})
    result = unit_cost(DuckDBEngine(sample), FX, "orders", None, Grain.MONTH, window, Metric.BILLED)
    billed = sample.execute(
        "SELECT sum(BilledCost) FROM line_items WHERE BillingCurrency = 'USD' AND ChargePeriodStart >= '2026-05-01' "
        "AND ChargePeriodStart < '2026-06-01'"
    ).fetchone()[0]
    orders = raw_orders(sample)[dt.date(2026, 5, 1)]
    (row,) = result.total.to_dict("records")
    assert row["unit_cost"] == pytest.approx(float(billed) / orders, rel=1e-9)


def test_the_two_parts_of_a_change_add_up_to_the_change_exactly() -> None:
    for c0, v0, c1, v1 in ((100.0, 50.0, 180.0, 120.0), (0.0, 3.0, 42.5, 7.0), (-5.0, 2.0, 10.0, 2.0)):
        cost_part, volume_part = split_change(c0, v0, c1, v1)
        assert cost_part + volume_part == pytest.approx(c1 / v1 - c0 / v0, abs=1e-12)
    cost_part, volume_part = split_change(100.0, 100.0, 100.0, 200.0)  # only the volume grew
    assert cost_part == 0.0 and volume_part == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        split_change(1.0, 0.0, 1.0, 1.0)


def test_decomposing_two_months_splits_every_owner_and_the_total(sample: duckdb.DuckDBPyConnection) -> None:
    result = unit_cost(DuckDBEngine(sample), FX, "orders", "tag:team", Grain.MONTH)
    split = decompose(result, dt.date(2026, 4, 1), dt.date(2026, 5, 1))
    assert split["owner"].iloc[-1] == "Total"
    for row in split.to_dict("records"):
        assert row["cost_grew"] + row["volume_grew"] == pytest.approx(row["change"], abs=1e-12)
    costs, orders = raw_costs(sample, "NULL"), raw_orders(sample)
    total = split.iloc[-1]
    expected = costs[(dt.date(2026, 5, 1), None)] / orders[dt.date(2026, 5, 1)]
    assert total["unit_cost_after"] == pytest.approx(expected, rel=1e-9)


def test_showback_gets_one_row_per_owner_and_month(sample: duckdb.DuckDBPyConnection) -> None:
    frame = unit_costs(DuckDBEngine(sample), FX, "orders", "tag:team", [dt.date(2026, 4, 9), dt.date(2026, 5, 1)])
    assert list(frame.columns) == ["owner", "month", "cost", "value", "unit_cost"]
    assert set(frame["month"]) == {dt.date(2026, 4, 1), dt.date(2026, 5, 1)}
    costs, orders = raw_costs(sample, "t.TagValue"), raw_orders(sample)
    for row in frame.to_dict("records"):
        assert row["unit_cost"] == pytest.approx(costs[(row["month"], row["owner"])] / orders[row["month"]], rel=1e-9)


def test_an_unknown_metric_is_named_with_the_known_ones(sample: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownMetric, match="'sales'.*active_users, orders"):
        unit_cost(DuckDBEngine(sample), FX, "sales")
