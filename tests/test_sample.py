"""The embedded sample: deterministic, FOCUS-shaped, and realistic enough for every page.

One small build (about 60,000 line items over two months and a half) is shared by most tests;
the determinism and rebuild tests make their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analytics.ingest.load import store_rows
from analytics.ingest.report import IngestReport
from analytics.sample import BUSINESS_UNIT, COST_CENTER, TEAMS, build_sample
from analytics.store import connect, get_meta
from tests.sample_cache import cached_sample

AS_OF = dt.date(2026, 6, 15)
ROWS = 60_000
MONTHS = 2
TEAM = "coalesce(json_extract_string(Tags, '$.team'), json_extract_string(Tags, '$.Team'))"
# Usage of virtual machines that a commitment could cover (spot capacity cannot be committed).
COVERABLE_VM_USAGE = """
    ChargeCategory = 'Usage' AND ServiceSubcategory = 'Virtual Machines'
    AND PricingCategory IN ('Standard', 'Committed') AND CommitmentDiscountStatus IS DISTINCT FROM 'Unused'
"""


def build(path: Path, **kwargs: object) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    build_sample(con, **{"rows": ROWS, "months": MONTHS, "as_of": AS_OF, **kwargs})  # type: ignore[arg-type]
    return con


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build most tests read, made once and cached on disk (tests/sample_cache.py)."""
    path = tmp_path_factory.mktemp("sample") / "t.duckdb"
    con = connect(cached_sample("sample-tests", path, rows=ROWS, months=MONTHS, seed=42, as_of=AS_OF))
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    return con.execute(sql, params or []).fetchall()[0][0]


def fingerprint(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """Per provider: row count, the cost sums, and a hash over every row's identity and costs."""
    return con.execute(
        """
        SELECT ProviderName, count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost),
               sum(hash(ResourceId, ChargePeriodStart, ChargeCategory, EffectiveCost, Tags, CommitmentDiscountId))
        FROM line_items GROUP BY ProviderName ORDER BY ProviderName
        """
    ).fetchall()


@pytest.mark.slow
def test_the_same_seed_builds_identical_data(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    again = build(tmp_path / "again.duckdb")
    other_seed = build(tmp_path / "other.duckdb", seed=7)
    assert fingerprint(again) == fingerprint(sample)
    assert fingerprint(other_seed) != fingerprint(sample)


def test_the_row_count_is_close_to_the_one_asked_for(sample: duckdb.DuckDBPyConnection) -> None:
    rows = one(sample, "SELECT count(*) FROM line_items")
    assert abs(int(rows) - ROWS) / ROWS < 0.1  # type: ignore[call-overload]
    assert get_meta(sample, "sample_rows") == str(rows)


def test_the_sample_covers_the_months_asked_for_and_stops_before_as_of(sample: duckdb.DuckDBPyConnection) -> None:
    periods = [r[0] for r in sample.execute("SELECT DISTINCT BillingPeriodStart FROM line_items ORDER BY 1").fetchall()]
    assert periods == [dt.datetime(2026, 4, 1), dt.datetime(2026, 5, 1), dt.datetime(2026, 6, 1)]
    first, last = sample.execute("SELECT min(ChargePeriodStart), max(ChargePeriodStart) FROM line_items").fetchall()[0]
    assert first == dt.datetime(2026, 4, 1)
    assert last == dt.datetime(2026, 6, 14, 23)  # the last hour of the day before as_of
    # Only an upfront commitment payment may reach past as_of: its charge period is the whole term.
    late = one(
        sample,
        "SELECT count(*) FROM line_items WHERE ChargePeriodEnd > ? "
        "AND NOT (ChargeCategory = 'Purchase' AND ChargeFrequency = 'One-Time' AND CommitmentDiscountId IS NOT NULL)",
        [dt.datetime(2026, 6, 15)],
    )
    assert late == 0
    assert get_meta(sample, "sample_as_of") == "2026-06-15"


def test_three_providers_and_azure_is_billed_in_euro(sample: duckdb.DuckDBPyConnection) -> None:
    providers = dict(sample.execute("SELECT DISTINCT ProviderName, BillingCurrency FROM line_items").fetchall())
    assert providers == {"AWS": "USD", "Microsoft": "EUR", "Google Cloud": "USD"}
    subaccounts = {r[0] for r in sample.execute("SELECT DISTINCT SubAccountName FROM line_items").fetchall()}
    assert {"network-hub", "security"} <= subaccounts


def test_commitments_cover_a_realistic_share_of_vm_spend(sample: duckdb.DuckDBPyConnection) -> None:
    committed = "sum(EffectiveCost) FILTER (WHERE PricingCategory = 'Committed') / sum(EffectiveCost)"
    per_provider = dict(
        sample.execute(
            f"SELECT ProviderName, {committed} FROM line_items WHERE {COVERABLE_VM_USAGE} GROUP BY 1"
        ).fetchall()
    )
    assert set(per_provider) == {"AWS", "Microsoft", "Google Cloud"}
    assert all(0.35 <= float(share) <= 0.85 for share in per_provider.values()), per_provider
    usd = "EffectiveCost * CASE BillingCurrency WHEN 'EUR' THEN 1.08 ELSE 1 END"
    overall = one(
        sample,
        f"SELECT sum({usd}) FILTER (WHERE PricingCategory = 'Committed') / sum({usd}) "
        f"FROM line_items WHERE {COVERABLE_VM_USAGE}",
    )
    assert 0.55 <= float(overall) <= 0.72  # type: ignore[arg-type]


def test_every_commitment_type_has_purchases_covered_usage_and_the_right_categories(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    kinds = sample.execute(
        """
        SELECT CommitmentDiscountType, any_value(CommitmentDiscountCategory),
               count(*) FILTER (WHERE ChargeCategory = 'Purchase'),
               count(*) FILTER (WHERE CommitmentDiscountStatus = 'Used'),
               count(DISTINCT CommitmentDiscountId)
        FROM line_items WHERE CommitmentDiscountId IS NOT NULL GROUP BY 1
        """
    ).fetchall()
    found = {kind: (category, purchases > 0, used > 0, ids) for kind, category, purchases, used, ids in kinds}
    assert found == {
        "Savings Plan": ("Spend", True, True, 1),
        "Reserved Instance": ("Usage", True, True, 1),
        "Reservation": ("Usage", True, True, 1),
        "Committed Use Discount": ("Usage", True, True, 1),
    }
    purchases_cost_nothing_until_amortised = one(
        sample,
        "SELECT count(*) FROM line_items WHERE ChargeCategory = 'Purchase' AND CommitmentDiscountId IS NOT NULL "
        "AND (EffectiveCost <> 0 OR BilledCost <= 0 OR ResourceId <> CommitmentDiscountId)",
    )
    assert purchases_cost_nothing_until_amortised == 0


def test_used_and_unused_commitment_equal_what_was_paid_each_month(sample: duckdb.DuckDBPyConnection) -> None:
    """FOCUS: for a commitment, EffectiveCost of Used + Unused = the amortised purchase."""
    recurring = sample.execute(
        """
        SELECT CommitmentDiscountId, BillingPeriodStart,
               sum(BilledCost) FILTER (WHERE ChargeCategory = 'Purchase') AS paid,
               sum(EffectiveCost) FILTER (WHERE ChargeCategory = 'Usage') AS amortised
        FROM line_items
        WHERE CommitmentDiscountId IN (SELECT CommitmentDiscountId FROM line_items
                                       WHERE ChargeCategory = 'Purchase' AND ChargeFrequency = 'Recurring')
        GROUP BY ALL
        """
    ).fetchall()
    assert len(recurring) == 3 * 3  # savings plan, reservation, CUD over three billing periods
    assert all(abs(paid - amortised) < 0.01 for _, _, paid, amortised in recurring)
    paid, term_hours, amortised, hours_seen = sample.execute(
        """
        SELECT sum(BilledCost) FILTER (WHERE ChargeCategory = 'Purchase'),
               any_value(date_diff('hour', ChargePeriodStart, ChargePeriodEnd))
                   FILTER (WHERE ChargeCategory = 'Purchase'),
               sum(EffectiveCost) FILTER (WHERE ChargeCategory = 'Usage'),
               date_diff('hour', min(ChargePeriodStart) FILTER (WHERE ChargeCategory = 'Purchase'), ?)
        FROM line_items WHERE CommitmentDiscountType = 'Reserved Instance'
        """,
        [dt.datetime(2026, 6, 15)],
    ).fetchall()[0]
    assert abs(float(amortised) - float(paid) * hours_seen / term_hours) < 0.01


def test_committed_usage_is_free_on_the_invoice_and_cheaper_than_list(sample: duckdb.DuckDBPyConnection) -> None:
    used, bad = sample.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE NOT (BilledCost = 0 AND EffectiveCost > 0
                                          AND ListCost >= ContractedCost AND ContractedCost > EffectiveCost))
        FROM line_items WHERE CommitmentDiscountStatus = 'Used'
        """
    ).fetchall()[0]
    assert used > 1000 and bad == 0
    unused = one(
        sample,
        "SELECT count(*) FROM line_items WHERE CommitmentDiscountStatus = 'Unused' "
        "AND ResourceId = CommitmentDiscountId AND ConsumedQuantity IS NULL AND EffectiveCost > 0",
    )
    assert unused > 0


def test_about_an_eighth_of_spend_is_untagged(sample: duckdb.DuckDBPyConnection) -> None:
    share = one(sample, f"SELECT sum(EffectiveCost) FILTER (WHERE {TEAM} IS NULL) / sum(EffectiveCost) FROM line_items")
    assert 0.05 <= float(share) <= 0.20  # type: ignore[arg-type]


def test_tags_are_as_messy_as_real_ones(sample: duckdb.DuckDBPyConnection) -> None:
    keys = {r[0] for r in sample.execute("SELECT DISTINCT TagKey FROM tag_sets").fetchall()}
    assert {"team", "Team", "env", "Environment", "app", "cost-center"} <= keys
    envs = {
        r[0]
        for r in sample.execute(
            "SELECT DISTINCT coalesce(json_extract_string(Tags, '$.env'), json_extract_string(Tags, '$.Environment')) "
            "FROM line_items WHERE Tags IS NOT NULL"
        ).fetchall()
    }
    assert {"prod", "Production"} <= envs and len(envs) >= 6
    teams = {r[0] for r in sample.execute(f"SELECT DISTINCT {TEAM} FROM line_items").fetchall()} - {None}
    assert teams <= set(TEAMS) and len(teams) >= 10
    assert "business_unit" not in keys and set(BUSINESS_UNIT) == set(TEAMS) == set(COST_CENTER)


def test_credits_a_refund_tax_and_purchases_are_all_there(sample: duckdb.DuckDBPyConnection) -> None:
    rows = sample.execute(
        """
        SELECT ChargeCategory, ChargeClass, count(*), max(BilledCost), min(BilledCost)
        FROM line_items WHERE ChargeCategory <> 'Usage' GROUP BY 1, 2
        """
    ).fetchall()
    found = {(category, cls): (n, high, low) for category, cls, n, high, low in rows}
    assert found[("Credit", None)][1] < 0
    assert found[("Purchase", "Correction")][1] < 0  # the refund
    assert found[("Purchase", None)][2] > 0
    taxed = {
        r[0]
        for r in sample.execute(
            "SELECT DISTINCT BillingCurrency FROM line_items WHERE ChargeCategory = 'Tax'"
        ).fetchall()
    }
    assert taxed == {"EUR", "USD"}
    vendor = one(
        sample,
        "SELECT count(*) FROM line_items WHERE PublisherName NOT IN ('Amazon Web Services, Inc.', 'Microsoft', "
        "'Google Cloud') AND BilledCost > 0 AND ServiceProviderName = PublisherName",
    )
    assert vendor > 0


def test_the_daily_rollup_ties_to_the_line_items_to_the_cent(sample: duckdb.DuckDBPyConnection) -> None:
    sums = "sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost)"
    by = "GROUP BY ProviderName, BillingCurrency ORDER BY ProviderName"
    items = sample.execute(f"SELECT ProviderName, BillingCurrency, {sums} FROM line_items {by}").fetchall()
    daily = sample.execute(f"SELECT ProviderName, BillingCurrency, {sums} FROM daily_costs {by}").fetchall()
    assert len(items) == 3
    for item, day in zip(items, daily, strict=True):
        assert item[:2] == day[:2]
        assert all(abs(a - b) < 0.005 for a, b in zip(item[2:], day[2:], strict=True))


@pytest.mark.slow
def test_rebuilding_replaces_the_earlier_sample_and_keeps_other_data(tmp_path: Path) -> None:
    con = build(tmp_path / "t.duckdb", rows=20_000, months=1)
    con.execute(
        "CREATE TEMP TABLE mine AS SELECT 5.0 AS BilledCost, 5.0 AS EffectiveCost, 'acct-9' AS BillingAccountId, "
        "'USD' AS BillingCurrency, TIMESTAMP '2026-05-01' AS BillingPeriodStart, "
        "TIMESTAMP '2026-06-01' AS BillingPeriodEnd, 'Usage' AS ChargeCategory, "
        "TIMESTAMP '2026-05-02' AS ChargePeriodStart, TIMESTAMP '2026-05-03' AS ChargePeriodEnd, "
        "'Oracle' AS ProviderName, 'Compute' AS ServiceName"
    )
    store_rows(con, "mine", IngestReport(file="mine.csv", format="focus", rows_read=1), "hash-mine", "batch-mine")
    build_sample(con, rows=20_000, months=1, as_of=AS_OF)  # the sample again, next to real data
    counts = "SELECT (SELECT count(*) FROM line_items), (SELECT count(*) FROM sources), (SELECT count(*) FROM budgets)"
    before = con.execute(counts).fetchall()
    build_sample(con, rows=20_000, months=1, as_of=AS_OF)
    assert con.execute(counts).fetchall() == before
    assert before[0][0] > 15_000 and before[0][2] > 0
    assert one(con, "SELECT count(*) FROM line_items WHERE ProviderName = 'Oracle'") == 1
    assert one(con, "SELECT count(DISTINCT x_SourceId) FROM daily_costs WHERE ProviderName = 'Oracle'") == 1
    assert one(con, "SELECT count(DISTINCT x_IngestBatch) FROM sources WHERE x_SourceFormat = 'sample'") == 1


def test_utilization_follows_the_vms_with_some_oversized_and_some_idle(sample: duckdb.DuckDBPyConnection) -> None:
    stats = sample.execute(
        """
        SELECT resource_id, max(value) FILTER (WHERE metric = 'cpu_pct' AND stat = 'max') AS cpu_max,
               count(DISTINCT metric || stat) AS series, min(interval_seconds), max(value), min(value)
        FROM utilization GROUP BY 1
        """
    ).fetchall()
    vms = {
        r[0]
        for r in sample.execute(
            "SELECT DISTINCT ResourceId FROM line_items WHERE ServiceSubcategory = 'Virtual Machines' "
            "AND ChargeCategory = 'Usage' AND CommitmentDiscountStatus IS DISTINCT FROM 'Unused' "
            "AND ChargePeriodStart >= TIMESTAMP '2026-04-16'"
        ).fetchall()
    }
    assert {s[0] for s in stats} == vms
    assert all(s[2] == 6 and s[3] == 3600 and s[5] >= 0 and s[4] <= 100 for s in stats)
    idle = [s for s in stats if s[1] <= 1.0]
    oversized = [s for s in stats if 1.0 < s[1] <= 30]
    assert idle and 0.1 <= len(oversized) / len(stats) <= 0.45
    days = one(sample, "SELECT date_diff('day', min(timestamp), max(timestamp)) FROM utilization")
    assert days >= 59  # type: ignore[operator]


def test_every_team_has_a_budget_for_each_month_and_the_next_three(sample: duckdb.DuckDBPyConnection) -> None:
    rows = sample.execute(
        "SELECT owner, count(*), min(month), max(month), min(amount) FROM budgets "
        "WHERE owner_dimension = 'tag:team' AND currency = 'USD' GROUP BY owner"
    ).fetchall()
    assert {r[0] for r in rows} == set(TEAMS)
    assert all(r[1] == 6 and r[2] == dt.date(2026, 4, 1) and r[3] == dt.date(2026, 9, 1) and r[4] > 0 for r in rows)
    over = sample.execute(
        f"""
        SELECT b.owner FROM budgets b JOIN (
            SELECT {TEAM} AS team, sum(EffectiveCost * CASE BillingCurrency WHEN 'EUR' THEN 1.08 ELSE 1 END) AS spent
            FROM line_items WHERE BillingPeriodStart = TIMESTAMP '2026-05-01' GROUP BY 1
        ) s ON s.team = b.owner
        WHERE b.month = DATE '2026-05-01' AND s.spent > b.amount
        """
    ).fetchall()
    assert {r[0] for r in over} == {"ml", "search"}


def test_business_metrics_are_daily_and_grow_faster_than_cost(sample: duckdb.DuckDBPyConnection) -> None:
    metrics = dict(
        sample.execute(
            "SELECT metric, count(*) FROM business_metrics WHERE dimension IS NULL AND owner IS NULL GROUP BY 1"
        ).fetchall()
    )
    assert metrics == {"orders": 75, "active_users": 75}
    orders = one(
        sample,
        "SELECT avg(value) FILTER (WHERE date >= DATE '2026-05-15') "
        "/ avg(value) FILTER (WHERE date < DATE '2026-04-15') FROM business_metrics WHERE metric = 'orders'",
    )
    assert 1.03 < float(orders) < 1.15  # type: ignore[arg-type]


def test_injected_anomalies_are_recorded_and_stand_out(sample: duckdb.DuckDBPyConnection) -> None:
    anomalies = json.loads(get_meta(sample, "sample_anomalies") or "[]")
    assert len(anomalies) == 2
    for a in anomalies:
        assert a["extra_cost_per_day"] > 0
        daily = sample.execute(
            "SELECT ChargeDay, sum(EffectiveCost) FROM daily_costs WHERE ProviderName = ? AND ServiceName = ? "
            "AND SubAccountName = ? GROUP BY 1",
            [a["provider"], a["service"], a["account"]],
        ).fetchall()
        start, end = dt.date.fromisoformat(a["start"]), dt.date.fromisoformat(a["end"])
        inside = [float(cost) for day, cost in daily if start <= day <= end]
        outside = sorted(float(cost) for day, cost in daily if not start <= day <= end)
        assert inside and min(inside) > 2 * outside[len(outside) // 2]
    assert anomalies[-1]["end"] == "2026-06-14"  # one is still going on


def test_progress_runs_from_zero_to_one(tmp_path: Path) -> None:
    seen: list[float] = []
    build_sample(
        connect(tmp_path / "p.duckdb"), rows=20_000, months=1, as_of=AS_OF, progress=lambda f, m: seen.append(f)
    )
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 5
