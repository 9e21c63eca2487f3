"""FOCUS 1.3's ServiceProviderName and HostProviderName are rollup dimensions: grouping by them reads
the daily rollup, an access scope may name them (and then sees exactly that part of the spend), and
allocation rules may use them. The sample company's marketplace SaaS, Houndly, is sold by
"Houndly, Inc." and hosted on AWS. Every total is checked against plain SQL on the stored line items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import store
from analytics.access.rules import AccessError, Identity, check_dimensions, parse_access
from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import parse_rules
from analytics.engine import DuckDBEngine, Params
from analytics.fx import load_fx
from analytics.queries import COST, dimensions, spend
from analytics.schema import DETAIL_DIMENSIONS, ROLLUP_DIMENSIONS, Filters, Metric
from analytics.store import snapshots
from tests.scope_helpers import allocated_sample

CENT = Decimal("0.01")
SELLER = "Houndly, Inc."
HOST = "AWS"  # what the sample's AWS rows, Houndly's included, name as their host
VIEWER = "hosted@example.com"


def to_cent(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return allocated_sample(tmp_path_factory.mktemp("providers") / "sample.duckdb")


def raw_sum(db: Path, where: str, params: Sequence[object], metric: str = "EffectiveCost") -> Decimal:
    """`metric` summed over the line items of the store's current generation that match `where`,
    read from the generation file directly, outside the code under test."""
    now = snapshots.current(db)
    assert now is not None
    con = duckdb.connect(str(now.file), read_only=True)
    try:
        row = con.execute(f"SELECT sum({metric}) FROM line_items WHERE {where}", list(params)).fetchone()
    finally:
        con.close()
    assert row is not None
    return to_cent(row[0])


class Recording(DuckDBEngine):
    """The engine, remembering every statement it ran."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.statements: list[str] = []

    def query(self, sql: str, params: Params = (), frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        self.statements.append(sql)
        return super().query(sql, params, frames)


def test_both_provider_columns_are_rollup_dimensions_kept_in_the_daily_costs(sample: Path) -> None:
    assert {"ServiceProviderName", "HostProviderName"} <= set(ROLLUP_DIMENSIONS)
    assert not {"ServiceProviderName", "HostProviderName"} & set(DETAIL_DIMENSIONS)
    con = store.reader(sample)
    try:
        got = con.execute(
            "SELECT sum(EffectiveCost) FROM daily_costs WHERE ServiceProviderName = ? AND HostProviderName = ?",
            [SELLER, HOST],
        ).fetchone()
    finally:
        con.close()
    assert got is not None
    want = raw_sum(sample, "ServiceProviderName = ? AND HostProviderName = ?", [SELLER, HOST])
    assert want > 0 and to_cent(got[0]) == want


def test_grouping_by_service_and_host_provider_reads_the_rollup_and_ties_to_the_line_items(sample: Path) -> None:
    con = store.reader(sample)
    try:
        engine = Recording(con)
        usd = Filters.of(where={"BillingCurrency": ["USD"]})
        result = spend(engine, load_fx(), usd, ["ServiceProviderName", "HostProviderName"], Metric.BILLED)
    finally:
        con.close()
    summed = [s for s in engine.statements if "sum(" in s]
    assert summed and all("alloc_costs" in s and "alloc_line_items" not in s for s in summed)
    got = {
        (row.ServiceProviderName, row.HostProviderName if isinstance(row.HostProviderName, str) else None): to_cent(
            getattr(row, COST)
        )
        for row in result.frame.itertuples(index=False)
    }
    usd = "BillingCurrency = 'USD' AND "
    pair = usd + "ServiceProviderName = ? AND HostProviderName = ?"
    assert got[(SELLER, HOST)] == raw_sum(sample, pair, [SELLER, HOST], "BilledCost")
    assert got[(HOST, HOST)] == raw_sum(sample, pair, [HOST, HOST], "BilledCost")
    unhosted = usd + "ServiceProviderName = ? AND HostProviderName IS NULL"
    assert got[(HOST, None)] == raw_sum(sample, unhosted, [HOST], "BilledCost")


def access_rules(dimension: str, values: Sequence[str]) -> str:
    listed = ", ".join(f'"{v}"' for v in values)
    return f"""\
rules:
  - name: Admins
    emails: [admin@example.com]
    role: admin
    scope: all
  - name: Hosted on one cloud
    emails: [{VIEWER}]
    role: viewer
    scope:
      {dimension}: [{listed}]
"""


def scoped_total(sample: Path, dimension: str, values: Sequence[str], table: str) -> tuple[Decimal, set[object]]:
    rules = parse_access(access_rules(dimension, values), "access.yaml")
    con = store.reader(sample)
    try:
        check_dimensions(rules, dimensions(DuckDBEngine(con)))
    finally:
        con.close()
    grant = rules.grant(Identity(VIEWER, email_verified=True))
    assert grant is not None and grant.role == "viewer"
    scoped = store.scoped_reader(sample, store.generation(sample), grant.scope.filters)
    try:
        total = scoped.execute(f"SELECT sum(EffectiveCost) FROM {table}").fetchone()
        seen = {r[0] for r in scoped.execute(f'SELECT DISTINCT "{dimension}" FROM {table}').fetchall()}
    finally:
        scoped.close()
    assert total is not None
    return to_cent(total[0]), seen


@pytest.mark.parametrize("table", ["daily_costs", "line_items", "alloc_costs"])
def test_a_viewer_scoped_to_a_host_provider_sees_exactly_the_spend_hosted_there(sample: Path, table: str) -> None:
    total, seen = scoped_total(sample, "HostProviderName", [HOST], table)
    assert seen == {HOST}
    want = raw_sum(sample, "HostProviderName = ?", [HOST])
    everything = raw_sum(sample, "TRUE", [])
    assert total == want and 0 < want < everything
    # Houndly's marketplace rows run on AWS, so they are part of it.
    assert raw_sum(sample, "HostProviderName = ? AND ServiceProviderName = ?", [HOST, SELLER]) > 0


def test_a_viewer_scoped_to_a_service_provider_sees_only_that_sellers_spend(sample: Path) -> None:
    total, seen = scoped_total(sample, "ServiceProviderName", [SELLER], "daily_costs")
    assert seen == {SELLER}
    assert total == raw_sum(sample, "ServiceProviderName = ?", [SELLER]) > 0


def test_a_scoped_reader_shows_the_provider_columns_of_the_rollup(sample: Path) -> None:
    scoped = store.scoped_reader(sample, store.generation(sample), [[("ProviderName", ["AWS"])]])
    try:
        daily = {str(r[0]) for r in scoped.execute("DESCRIBE daily_costs").fetchall()}
        hosts = {r[0] for r in scoped.execute("SELECT DISTINCT ServiceProviderName FROM daily_costs").fetchall()}
    finally:
        scoped.close()
    assert {"ServiceProviderName", "HostProviderName"} <= daily
    assert hosts == {HOST, SELLER}


def test_a_scope_on_a_detail_column_is_still_refused_with_the_provider_columns_among_those_allowed() -> None:
    with pytest.raises(AccessError) as caught:
        parse_access(access_rules("ResourceId", ["i-0abc"]), "access.yaml")
    message = str(caught.value)
    assert "'ResourceId' cannot scope access (a detail column" in message
    assert "ServiceProviderName" in message and "HostProviderName" in message


RULES = f"""\
dimensions:
  seller:
    rules:
      - value: Marketplace
        when: {{ServiceProviderName: ["{SELLER}"]}}
      - value: Hosted on {HOST}
        when: {{HostProviderName: ["{HOST}"]}}
    default: Elsewhere
"""


def test_an_allocation_rule_may_name_the_service_provider(sample: Path) -> None:
    rules = parse_rules(RULES, "allocation.yaml")
    with store.writing(sample, publish=False) as con:
        apply_rules(con, rules)
        rows = con.execute('SELECT "alloc:seller", sum(EffectiveCost) FROM alloc_costs GROUP BY 1').fetchall()
    got = {str(name): to_cent(total) for name, total in rows}
    assert got["Marketplace"] == raw_sum(sample, "ServiceProviderName = ?", [SELLER]) > 0
    hosted = raw_sum(sample, "HostProviderName = ? AND ServiceProviderName IS DISTINCT FROM ?", [HOST, SELLER])
    assert got[f"Hosted on {HOST}"] == hosted > 0
    assert got["Elsewhere"] == raw_sum(sample, "HostProviderName IS DISTINCT FROM ?", [HOST]) > 0
