"""Allocation moves spend between owners and never creates or loses any. Every expectation here is
a separate SQL query on the raw tables (line_items, tag_sets), never the allocation's own tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.allocation.apply import apply_rules
from analytics.allocation.preview import preview
from analytics.allocation.rules import parse_rules
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.ingest.run import ingest_paths
from analytics.queries import spend
from analytics.schema import EVERYTHING, Filters, Grain, Metric
from tests.focus_rows import row, write_csv
from tests.store_state import fingerprint

CENT = Decimal("0.01")
SUPPORT = ("AWS Support (Business)",)
FX = load_fx(DEFAULT_FX_PATH)


def pool_rules(split: str = "proportional", weights: str = "", to: str = "tag:team") -> str:
    return f"""
dimensions:
  business_unit:
    rules:
      - value: Commerce
        when: {{"tag:team": [payments, checkout, catalog, search]}}
      - value: Data
        when: {{"tag:team": [data-platform, analytics, ml, recommendations]}}
    default: Unallocated
shared_costs:
  - name: Support
    when: {{ServiceName: [AWS Support (Business)]}}
    to: {to}
    split: {split}
    {weights}
"""


def usd(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> dict[tuple, Decimal]:
    """Raw sums keyed on the leading columns; the sample's USD rows only, so no FX is involved."""
    rows = con.execute(sql, params or []).fetchall()
    return {tuple(r[:-1]): Decimal(r[-1]).quantize(CENT) for r in rows}


def allocated(
    con: duckdb.DuckDBPyConnection, group_by: list[str], metric: Metric
) -> dict[tuple, tuple[Decimal, Decimal]]:
    frame = spend(
        DuckDBEngine(con), FX, Filters.of(None, None, {"BillingCurrency": ["USD"]}), group_by, metric, Grain.MONTH
    ).frame
    out = {}
    for r in frame.to_dict("records"):
        key = (r["period"], *(None if v != v else v for v in (r[g] for g in group_by)))  # NaN is not set
        out[key] = (Decimal(repr(r["cost"])).quantize(CENT), Decimal(repr(r["shared"])).quantize(CENT))
    return out


@pytest.mark.parametrize("metric", list(Metric))
def test_every_month_keeps_its_total_to_the_cent_for_every_metric(
    sample: duckdb.DuckDBPyConnection, metric: Metric
) -> None:
    apply_rules(sample, parse_rules(pool_rules()))
    raw = usd(
        sample,
        f"SELECT CAST(date_trunc('month', ChargePeriodStart) AS DATE), sum({metric.value}) FROM line_items "
        "WHERE BillingCurrency = 'USD' GROUP BY 1",
    )
    after = allocated(sample, [], metric)
    assert {k: v[0] for k, v in after.items()} == raw
    by_owner = allocated(sample, ["alloc:business_unit"], metric)
    for (month,), total in raw.items():
        assert sum(v[0] for k, v in by_owner.items() if k[0] == month) == pytest.approx(total, abs=Decimal("0.05"))


def test_the_shares_add_up_to_the_pool_and_follow_each_teams_direct_spend(sample: duckdb.DuckDBPyConnection) -> None:
    apply_rules(sample, parse_rules(pool_rules()))
    pool = usd(
        sample,
        "SELECT CAST(date_trunc('month', ChargePeriodStart) AS DATE), sum(EffectiveCost) FROM line_items "
        "WHERE BillingCurrency = 'USD' AND ServiceName = ? GROUP BY 1",
        list(SUPPORT),
    )
    # Owners are weighed in USD at each day's rate (the sample bills Azure in EUR).
    direct = sample.execute(
        """
        WITH fx AS (
            SELECT valid_from, currency, usd_per_unit FROM read_csv(?)
            UNION ALL SELECT DATE '1970-01-01', 'USD', 1
        )
        SELECT CAST(date_trunc('month', r.ChargePeriodStart) AS DATE) AS month, t.TagValue,
               sum(r.EffectiveCost * fx.usd_per_unit)
        FROM line_items r JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team'
        ASOF JOIN fx ON fx.currency = r.BillingCurrency AND CAST(r.ChargePeriodStart AS DATE) >= fx.valid_from
        WHERE r.ServiceName <> ? AND t.TagValue IS NOT NULL GROUP BY ALL
        """,
        [str(DEFAULT_FX_PATH), *SUPPORT],
    ).fetchall()
    shares = allocated(sample, ["tag:team"], Metric.EFFECTIVE)
    assert pool and all(amount > 0 for amount in pool.values())
    for (month,), amount in pool.items():
        owners = {team: Decimal(repr(float(s))) for m, team, s in direct if m == month and s > 0}
        received = {k[1]: v[1] for k, v in shares.items() if k[0] == month and v[1]}
        assert sum(received.values()) == pytest.approx(amount, abs=CENT)
        for team, own in owners.items():
            expected = amount * own / sum(owners.values())
            assert received[team] == pytest.approx(expected, abs=CENT), (month, team)


def test_an_even_split_gives_every_team_with_spend_that_month_the_same(sample: duckdb.DuckDBPyConnection) -> None:
    apply_rules(sample, parse_rules(pool_rules("even")))
    teams = dict(
        sample.execute(
            """
            SELECT CAST(date_trunc('month', r.ChargePeriodStart) AS DATE), count(DISTINCT t.TagValue)
            FROM line_items r JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team'
            WHERE r.ServiceName <> ? AND t.TagValue IS NOT NULL GROUP BY 1
            """,
            list(SUPPORT),
        ).fetchall()
    )
    pool = usd(
        sample,
        "SELECT CAST(date_trunc('month', ChargePeriodStart) AS DATE), sum(BilledCost) FROM line_items "
        "WHERE ServiceName = ? GROUP BY 1",
        list(SUPPORT),
    )
    shares = allocated(sample, ["tag:team"], Metric.BILLED)
    for (month,), amount in pool.items():
        received = [v[1] for k, v in shares.items() if k[0] == month and v[1]]
        assert len(received) == teams[month]
        assert all(r == pytest.approx(amount / teams[month], abs=CENT) for r in received)


def test_a_fixed_split_gives_the_stated_percentages(sample: duckdb.DuckDBPyConnection) -> None:
    rules = pool_rules("fixed", "weights: {Commerce: 70, Data: 30}", to="alloc:business_unit")
    apply_rules(sample, parse_rules(rules))
    pool = usd(
        sample,
        "SELECT CAST(date_trunc('month', ChargePeriodStart) AS DATE), sum(ListCost) FROM line_items "
        "WHERE ServiceName = ? GROUP BY 1",
        list(SUPPORT),
    )
    shares = allocated(sample, ["alloc:business_unit"], Metric.LIST)
    for (month,), amount in pool.items():
        assert shares[(month, "Commerce")][1] == pytest.approx(amount * Decimal("0.7"), abs=CENT)
        assert shares[(month, "Data")][1] == pytest.approx(amount * Decimal("0.3"), abs=CENT)
        assert not shares.get((month, "Unallocated"), (0, 0))[1]


def test_a_pool_with_no_owner_in_a_month_stays_visible_as_unallocated(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    may, june = "2026-05-03T00:00:00Z", "2026-06-03T00:00:00Z"
    june_period = {"BillingPeriodStart": "2026-06-01T00:00:00Z", "BillingPeriodEnd": "2026-07-01T00:00:00Z"}
    rows = [
        row(ChargePeriodStart=may, ChargePeriodEnd="2026-05-04T00:00:00Z", Tags={"team": "payments"}),
        row(ChargePeriodStart=may, ChargePeriodEnd="2026-05-04T00:00:00Z", ServiceName="Support", EffectiveCost="4.00"),
        row(ChargePeriodStart=june, ChargePeriodEnd="2026-06-04T00:00:00Z", **june_period),
        row(
            ChargePeriodStart=june,
            ChargePeriodEnd="2026-06-04T00:00:00Z",
            ServiceName="Support",
            EffectiveCost="3.00",
            **june_period,
        ),
    ]
    ingest_paths(con, [str(write_csv(tmp_path / "two-months.csv", rows))])
    rules = "shared_costs:\n  - name: Support\n    when: {ServiceName: [Support]}\n    to: tag:team\n"
    apply_rules(con, parse_rules(rules))
    frame = spend(DuckDBEngine(con), FX, EVERYTHING, ["tag:team", "alloc:shared_pool"], grain=Grain.MONTH).frame
    got = {
        (str(r["period"]), r["tag:team"], r["alloc:shared_pool"]): (r["cost"], r["shared"])
        for r in frame.astype(object).where(frame.notna(), None).to_dict("records")
    }
    assert got == {
        ("2026-05-01", "payments", None): (8.0, 0.0),
        ("2026-05-01", "payments", "Support"): (4.0, 4.0),
        ("2026-06-01", None, None): (8.0, 0.0),
        ("2026-06-01", None, "Support"): (3.0, 0.0),
    }


def test_tag_keys_and_values_are_normalised_everywhere(sample: duckdb.DuckDBPyConnection) -> None:
    rules = (
        "tags:\n  keys:\n    team: [Team]\n    env: [Environment, environment]\n  values:\n    env:\n"
        "      prod: [Production, PRD, Prod]\n"
    )
    apply_rules(sample, parse_rules(rules))
    raw = usd(
        sample,
        """
        SELECT lower(v.TagValue) IN ('prod', 'production', 'prd'), sum(r.EffectiveCost)
        FROM line_items r JOIN (
            SELECT x_TagSetId,
                   arg_min(TagValue, CASE TagKey WHEN 'env' THEN 0 WHEN 'Environment' THEN 1 ELSE 2 END) AS TagValue
            FROM tag_sets WHERE lower(TagKey) IN ('env', 'environment') GROUP BY 1
        ) v ON v.x_TagSetId = r.x_TagSetId
        WHERE r.BillingCurrency = 'USD' GROUP BY 1
        """,
    )
    frame = spend(DuckDBEngine(sample), FX, Filters.of(None, None, {"BillingCurrency": ["USD"]}), ["tag:env"]).frame
    prod = Decimal(repr(float(frame.loc[frame["tag:env"] == "prod", "cost"].sum()))).quantize(CENT)
    assert prod == raw[(True,)]
    assert not {"Production", "PRD", "Prod"} & set(frame["tag:env"].dropna())
    keys = {r[0] for r in sample.execute("SELECT DISTINCT TagKey FROM alloc_tags").fetchall()}
    assert "Team" not in keys and "Environment" not in keys and {"team", "env"} <= keys


def test_resource_level_questions_see_the_same_allocation(sample: duckdb.DuckDBPyConnection) -> None:
    apply_rules(sample, parse_rules(pool_rules()))
    engine = DuckDBEngine(sample)
    by_resource = spend(engine, FX, EVERYTHING, ["ResourceId", "alloc:business_unit"]).frame
    by_owner = spend(engine, FX, EVERYTHING, ["alloc:business_unit"]).frame
    summed = by_resource.groupby("alloc:business_unit")[["cost", "shared"]].sum()
    for r in by_owner.itertuples():
        assert summed.loc[r[1], "cost"] == pytest.approx(r.cost, abs=0.01)
        assert summed.loc[r[1], "shared"] == pytest.approx(r.shared, abs=0.01)


def test_a_preview_changes_nothing_stored(sample: duckdb.DuckDBPyConnection) -> None:
    apply_rules(sample, parse_rules(pool_rules()))
    before = fingerprint(sample)
    table = preview(sample, FX, parse_rules(pool_rules("even")), "alloc:business_unit", EVERYTHING)
    assert fingerprint(sample) == before
    assert table["before"].sum() == pytest.approx(table["after"].sum(), abs=0.01)
    assert table["shared_after"].sum() > 0


def test_the_top_untagged_resources_are_ranked_by_spend_converted_to_one_currency(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    from analytics.allocation.coverage import top_untagged

    apply_rules(sample, parse_rules(""))
    got = top_untagged(DuckDBEngine(sample), FX, EVERYTHING, "team", limit=5, currency="USD")
    expected = sample.execute(
        """
        WITH fx AS (
            SELECT valid_from, currency, usd_per_unit FROM read_csv(?)
            UNION ALL SELECT DATE '1970-01-01', 'USD', 1
        )
        SELECT r.ResourceId, sum(r.EffectiveCost * fx.usd_per_unit) AS cost
        FROM line_items r
        ASOF JOIN fx ON fx.currency = r.BillingCurrency AND CAST(r.ChargePeriodStart AS DATE) >= fx.valid_from
        WHERE r.ResourceId IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM tag_sets t WHERE t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team' AND t.TagValue IS NOT NULL
        )
        GROUP BY 1 ORDER BY cost DESC LIMIT 5
        """,
        [str(DEFAULT_FX_PATH)],
    ).fetchall()
    assert list(got["ResourceId"]) == [r[0] for r in expected]
    for cost, (_, raw) in zip(got["cost"], expected, strict=True):
        assert cost == pytest.approx(float(raw), abs=0.01)


def test_tag_coverage_leaves_credits_out_so_a_credit_never_pushes_a_group_past_all_of_its_spend(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    from analytics.allocation.coverage import tag_coverage

    apply_rules(sample, parse_rules(""))
    engine = DuckDBEngine(sample)
    by_account = tag_coverage(engine, FX, EVERYTHING, "SubAccountName", currency="USD")
    overall = tag_coverage(engine, FX, EVERYTHING, None, currency="USD")
    got = by_account[by_account["key"] == "team"].set_index("group")
    expected = sample.execute(
        """
        WITH fx AS (
            SELECT valid_from, currency, usd_per_unit FROM read_csv(?)
            UNION ALL SELECT DATE '1970-01-01', 'USD', 1
        ), rows AS (
            SELECT r.SubAccountName AS account, r.EffectiveCost * fx.usd_per_unit AS cost, EXISTS (
                SELECT 1 FROM tag_sets t WHERE t.x_TagSetId = r.x_TagSetId AND t.TagKey = 'team'
                AND t.TagValue IS NOT NULL) AS tagged
            FROM line_items r
            ASOF JOIN fx ON fx.currency = r.BillingCurrency AND CAST(r.ChargePeriodStart AS DATE) >= fx.valid_from
            WHERE r.ChargeCategory <> 'Credit'
        )
        SELECT grouping(account) = 1 AS everything, account, sum(cost) FILTER (WHERE tagged) / sum(cost)
        FROM rows GROUP BY ROLLUP (account)
        """,
        [str(DEFAULT_FX_PATH)],
    ).fetchall()
    credited = sample.execute("SELECT count(*) FROM line_items WHERE ChargeCategory = 'Credit'").fetchone()
    assert credited and credited[0] and by_account["percent"].max() <= 100.0
    [team] = overall.loc[overall["key"] == "team", "percent"]
    assert team == pytest.approx(100 * float(next(r[2] for r in expected if r[0])), abs=0.01)
    for _, account, share in [r for r in expected if not r[0]]:
        if share:
            assert got.loc[account, "percent"] == pytest.approx(100 * float(share), abs=0.01)
