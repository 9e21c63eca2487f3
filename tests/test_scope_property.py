"""Scopes enforced below the UI (issue 14): for random scopes and random page filters, what the app's
own query functions compute on a scoped reader equals an independent SQL sum over the unscoped store
of the filter AND the scope (tests/scope_helpers.py writes both as plain SQL), to the cent; and no
scoped table holds a row, tag, source, budget or resource outside the scope."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import store
from analytics.access import Scope
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable, load_fx
from analytics.queries import COST, SHARED, UnknownDimension, spend
from analytics.schema import Filters, Metric
from analytics.showback.fingerprint import source_totals
from tests.scope_helpers import HALF_CENT, Part, allocated_sample, filters_sql, scope_sql, to_cent

EUR_IN_USD = Decimal("1.25")  # one rate for every day: the independent sums convert with it exactly
SCOPE_DIMENSIONS = (
    "alloc:business_unit",
    "ProviderName",
    "SubAccountId",
    "SubAccountName",
    "ServiceName",
    "RegionId",
    "BillingCurrency",
    "tag:team",
    "tag:env",
)
PAGE_DIMENSIONS = (
    "ProviderName",
    "ServiceName",
    "ServiceCategory",
    "SubAccountName",
    "ChargeCategory",
    "BillingCurrency",
    "alloc:business_unit",
    "alloc:shared_pool",
    "tag:team",
    "tag:env",
    "ResourceType",  # a detail dimension: the query reads the line items
)
GROUPS = (None, "ProviderName", "alloc:business_unit", "SubAccountName", "tag:team")
OTHER_OWNERS = (
    ("alloc:business_unit", "Commerce"),
    ("alloc:business_unit", "Platform"),
    ("SubAccountName", "prod-data"),
    ("ProviderName", "AWS"),
    ("tag:team", "ml"),
    ("tag:env", "prod"),
    ("ServiceName", "No Such Service"),  # no spend anywhere: shown only to a scope naming it
)
ROW_TABLES = ("alloc_costs", "alloc_line_items", "daily_costs", "line_items")
FIRST_DAY = dt.date(2026, 3, 1)
LAST_DAY = dt.date(2026, 6, 14)
# No example database: nothing is written into the checkout, and every run draws afresh.
PROPERTY = settings(max_examples=30, deadline=None, database=None)


@dataclass(frozen=True)
class Lake:
    path: Path
    generation: int
    con: duckdb.DuckDBPyConnection  # the unscoped reader the independent sums run on
    fx: FxTable
    values: dict[str, list[str | None]]  # dimension -> the values the data has (None: not set)
    cost_columns: set[str]
    item_columns: set[str]


def _values(con: duckdb.DuckDBPyConnection, dimension: str) -> list[str | None]:
    if dimension.startswith("tag:"):
        rows = con.execute(
            "SELECT DISTINCT TagValue FROM alloc_tags WHERE TagKey = ? ORDER BY 1", [dimension[4:]]
        ).fetchall()
        return [r[0] for r in rows] + [None]
    table = "alloc_costs" if dimension != "ResourceType" else "alloc_line_items"
    quoted = '"' + dimension + '"'
    rows = con.execute(f"SELECT DISTINCT {quoted} FROM {table} ORDER BY 1 NULLS LAST").fetchall()
    return [r[0] for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    folder = tmp_path_factory.mktemp("scope")
    path = allocated_sample(folder / "sample.duckdb")
    with store.writing(path) as con:
        # The sample's budgets are all on tag:team and its metrics all company-wide: owners under other
        # kinds of dimension too, so that which of them a scope shows is tested for each kind.
        for dimension, owner in OTHER_OWNERS:
            con.execute("INSERT INTO budgets VALUES (?, ?, DATE '2026-05-01', 1000, 'USD')", [dimension, owner])
            con.execute(
                "INSERT INTO business_metrics VALUES (DATE '2026-05-01', 'orders', 7, ?, ?)", [dimension, owner]
            )
    rates = folder / "fx_rates.csv"
    rates.write_text(f"valid_from,currency,usd_per_unit\n2000-01-01,EUR,{EUR_IN_USD}\n", encoding="utf-8")
    con = store.reader(path)
    currencies = {r[0] for r in con.execute("SELECT DISTINCT BillingCurrency FROM alloc_costs").fetchall()}
    assert currencies == {"USD", "EUR"}, currencies  # the conversion below knows these two
    values = {d: _values(con, d) for d in {*SCOPE_DIMENSIONS, *PAGE_DIMENSIONS}}
    assert {"Commerce", "Data & AI", "Platform", "Unallocated"} <= set(values["alloc:business_unit"])
    yield Lake(
        path,
        store.generation(path),
        con,
        load_fx(rates),
        values,
        _columns(con, "alloc_costs"),
        _columns(con, "alloc_line_items"),
    )
    con.close()


def scoped(lake: Lake, scope: Sequence[Sequence[Part]]) -> duckdb.DuckDBPyConnection:
    filters = [[(d, tuple(str(v) for v in values)) for d, values in f] for f in scope]
    return store.scoped_reader(lake.path, lake.generation, filters)


# -- strategies --------------------------------------------------------------------------------


@st.composite
def parts(draw: st.DrawFn, lake: Lake, dimensions: Sequence[str], most: int, unset: bool) -> list[Part]:
    chosen = draw(st.lists(st.sampled_from(dimensions), min_size=1, max_size=most, unique=True))
    found: list[Part] = []
    for dimension in chosen:
        pool = [v for v in lake.values[dimension] if unset or v is not None]
        found.append((dimension, tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True)))))
    return found


def scopes(lake: Lake) -> st.SearchStrategy[list[list[Part]]]:
    """1-3 filters of 1-2 dimensions each, values drawn from what the data has."""
    return st.lists(parts(lake, SCOPE_DIMENSIONS, 2, unset=False), min_size=1, max_size=3)


@st.composite
def page_filters(draw: st.DrawFn, lake: Lake) -> Filters:
    where = draw(st.one_of(st.just([]), parts(lake, PAGE_DIMENSIONS, 2, unset=True)))
    days = (LAST_DAY - FIRST_DAY).days
    start = draw(st.one_of(st.none(), st.integers(0, days).map(lambda n: FIRST_DAY + dt.timedelta(days=n))))
    end = draw(st.one_of(st.none(), st.integers(0, days).map(lambda n: FIRST_DAY + dt.timedelta(days=n))))
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Filters.of(start, end, {d: list(v) for d, v in where})


# -- the independent sums -------------------------------------------------------------------------


def independent_totals(
    lake: Lake, scope: Sequence[Sequence[Part]], page: Filters, metric: Metric, group: str | None
) -> dict[object, Decimal]:
    """Per group (one key, None, without a group), the filter AND the scope over the unscoped store,
    converted at the one EUR rate: plain SQL, no code under test."""
    detail = "ResourceType" in page.dimensions
    table, columns = ("alloc_line_items", lake.item_columns) if detail else ("alloc_costs", lake.cost_columns)
    params: list[object] = []
    key = "NULL"
    if group is not None and group.startswith("tag:"):
        key = "(SELECT t.TagValue FROM alloc_tags t WHERE t.x_TagSetId = r.x_TagSetId AND t.TagKey = ?)"
        params.append(group[4:])
    elif group is not None:
        key = f'r."{group}"'
    where = filters_sql(page, columns, params, detail)
    allowed = scope_sql(scope, columns, params)
    amount = f"r.\"{metric.value}\" * CASE r.BillingCurrency WHEN 'EUR' THEN {EUR_IN_USD} ELSE 1 END"
    rows = lake.con.execute(
        f"SELECT {key} AS k, sum({amount}) FROM {table} r WHERE {where} AND {allowed} GROUP BY 1", params
    ).fetchall()
    return {k: Decimal(v) for k, v in rows}


def app_totals(engine: DuckDBEngine, lake: Lake, page: Filters, metric: Metric, group: str | None) -> dict:
    result = spend(engine, lake.fx, page, [group] if group else [], metric, currency="USD")
    frame = result.frame
    assert result.unconverted.empty
    if group is None:
        return {None: Decimal(str(frame[COST].iloc[0]))} if len(frame) else {}
    keys = [None if pd.isna(k) else k for k in frame[group]]
    return {k: Decimal(str(c)) for k, c in zip(keys, frame[COST], strict=True)}


def tag_keys_in_scope(lake: Lake, scope: Sequence[Sequence[Part]]) -> set[str]:
    sets = {r[0] for r in in_scope_rows(lake, "alloc_costs", scope, "r.x_TagSetId")}
    return {k for s, k in lake.con.execute("SELECT x_TagSetId, TagKey FROM alloc_tags").fetchall() if s in sets}


def assert_same_totals(got: dict, want: dict[object, Decimal]) -> None:
    if None in got and len(got) == 1 and not want:
        assert abs(got[None]) < HALF_CENT, got  # spend reports 0 for nothing at all
        return
    assert set(got) == set(want), (sorted(map(str, got)), sorted(map(str, want)))
    for k, v in want.items():
        assert abs(got[k] - v) < HALF_CENT, (k, got[k], v)


# -- the property ------------------------------------------------------------------------------------


@pytest.mark.slow  # 30 random cases: several seconds, so outside the quick subset
def test_for_any_scope_and_page_filter_the_scoped_total_is_the_unscoped_total_of_filter_and_scope(lake: Lake) -> None:
    @PROPERTY
    @given(
        scope=scopes(lake),
        page=page_filters(lake),
        metric=st.sampled_from([Metric.EFFECTIVE, Metric.BILLED, Metric.LIST]),
        group=st.sampled_from(GROUPS),
    )
    def check(scope: list[list[Part]], page: Filters, metric: Metric, group: str | None) -> None:
        con = scoped(lake, scope)
        try:
            got = app_totals(DuckDBEngine(con), lake, page, metric, group)
        except UnknownDimension:
            # A tag key none of the in-scope rows carries does not exist for this user: refused as
            # such, as for a key the whole data lacks (the page says so; nothing is shown).
            named = {d[4:] for d in (group, *page.dimensions) if d and d.startswith("tag:")}
            assert named - tag_keys_in_scope(lake, scope), (group, page)
            return
        finally:
            con.close()
        assert_same_totals(got, independent_totals(lake, scope, page, metric, group))

    check()


def in_scope_rows(lake: Lake, table: str, scope: Sequence[Sequence[Part]], select: str = "r.*") -> list[tuple]:
    params: list[object] = []
    columns = lake.cost_columns if table == "alloc_costs" else lake.item_columns
    allowed = scope_sql(scope, columns, params)
    return lake.con.execute(f"SELECT {select} FROM {table} r WHERE {allowed}", params).fetchall()


LINE_ITEM_PRINT = (
    "count(*), sum(r.EffectiveCost), sum(hash(r.x_SourceId, r.ChargePeriodStart, r.ResourceId, r.ServiceName, "
    "r.SubAccountId, r.ProviderName, r.RegionId, r.x_TagSetId, r.EffectiveCost, r.BilledCost))"
)


@pytest.mark.slow  # 30 random cases: several seconds, so outside the quick subset
def test_for_any_scope_every_scoped_table_holds_exactly_the_in_scope_rows_and_nothing_else(lake: Lake) -> None:
    @PROPERTY
    @given(scope=scopes(lake))
    def check(scope: list[list[Part]]) -> None:
        con = scoped(lake, scope)
        try:
            costs = in_scope_rows(lake, "alloc_costs", scope)
            assert Counter(con.execute("SELECT * FROM alloc_costs").fetchall()) == Counter(costs)
            # The line items as a multiset fingerprint (count, sum, sum of row hashes): 20k rows compared
            # row by row on every example would take most of the module's time.
            items = in_scope_rows(lake, "alloc_line_items", scope, LINE_ITEM_PRINT)[0]
            for table in ("alloc_line_items", "line_items"):
                assert con.execute(f"SELECT {LINE_ITEM_PRINT} FROM {table} r").fetchall()[0] == items, table
            # The raw-shaped views are the in-scope part of each row: a split pool row as its share.
            daily_cols = ", ".join(f'"{c}"' for c in sorted(_columns(lake.con, "daily_costs")))
            assert Counter(con.execute(f"SELECT {daily_cols} FROM daily_costs").fetchall()) == Counter(
                in_scope_rows(lake, "alloc_costs", scope, daily_cols)
            )
            check_no_foreign_value(con, lake, scope)
            check_side_tables(con, lake, scope, costs)
        finally:
            con.close()

    check()


def check_no_foreign_value(con: duckdb.DuckDBPyConnection, lake: Lake, scope: Sequence[Sequence[Part]]) -> None:
    """Each column a scope names holds, in every scoped row table, only values some filter allows
    for it, or values of rows another filter (not naming that column) lets through."""
    for table in ROW_TABLES:
        columns = _columns(con, table)
        for dimension in {d for f in scope for d, _ in f if d in columns}:
            allowed = {v for f in scope for d, values in f if d == dimension for v in values}
            others = [f for f in scope if dimension not in dict(f)]
            base = "alloc_costs" if table in ("alloc_costs", "daily_costs") else "alloc_line_items"
            through = {r[0] for r in in_scope_rows(lake, base, others, f'r."{dimension}"')} if others else set()
            seen = {r[0] for r in con.execute(f'SELECT DISTINCT "{dimension}" FROM {table}').fetchall()}
            assert seen <= allowed | through, (table, dimension, seen - allowed - through)


def check_side_tables(
    con: duckdb.DuckDBPyConnection, lake: Lake, scope: Sequence[Sequence[Part]], costs: list[tuple]
) -> None:
    columns = [str(r[0]) for r in lake.con.execute("DESCRIBE alloc_costs").fetchall()]
    sets = {row[columns.index("x_TagSetId")] for row in costs} - {None}
    sources = {row[columns.index("x_SourceId")] for row in costs}
    tags = {r for r in lake.con.execute("SELECT * FROM alloc_tags").fetchall() if r[0] in sets}
    assert set(con.execute("SELECT * FROM alloc_tags").fetchall()) == tags
    assert {r[0] for r in con.execute("SELECT x_TagSetId FROM tag_sets").fetchall()} == sets
    assert {r[0] for r in con.execute("SELECT x_SourceId FROM sources").fetchall()} == sources
    resources = {r[0] for r in in_scope_rows(lake, "alloc_line_items", scope, "r.ResourceId")} - {None}
    used = {r[0] for r in con.execute("SELECT DISTINCT resource_id FROM utilization").fetchall()}
    assert used <= resources and used == {
        r[0] for r in lake.con.execute("SELECT DISTINCT resource_id FROM utilization").fetchall() if r[0] in resources
    }
    assert con.execute("SELECT count(*) FROM showback_packs").fetchall() == [(0,)]
    check_budget_owners(con, lake, scope, costs, columns)


def check_budget_owners(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    scope: Sequence[Sequence[Part]],
    costs: list[tuple],
    columns: list[str],
) -> None:
    """A budget is shown when all of its owner's spend is in scope, or when a one-dimension filter
    of the scope names it (a team with no spend yet); no other. Per-owner metrics follow the same rule."""
    named = {(d, v) for f in scope if len(f) == 1 for d, values in f for v in values}
    tag_rows = lake.con.execute("SELECT x_TagSetId, TagKey, TagValue FROM alloc_tags").fetchall()
    everything = lake.con.execute("SELECT * FROM alloc_costs").fetchall()

    def rows_of(rows: list[tuple], dimension: str, owner: str) -> Counter[tuple]:
        if dimension.startswith("tag:"):
            sets = {s for s, k, v in tag_rows if k == dimension[4:] and v == owner}
            return Counter(r for r in rows if r[columns.index("x_TagSetId")] in sets)
        if dimension not in columns:
            return Counter()
        return Counter(r for r in rows if r[columns.index(dimension)] == owner)

    def visible(dimension: str, owner: str) -> bool:
        whole = rows_of(everything, dimension, owner)
        return (bool(whole) and rows_of(costs, dimension, owner) == whole) or (dimension, owner) in named

    owners = lake.con.execute("SELECT DISTINCT owner_dimension, owner FROM budgets").fetchall()
    want = {o for o in owners if visible(*o)}
    assert set(con.execute("SELECT DISTINCT owner_dimension, owner FROM budgets").fetchall()) == want
    # Business metrics: the company-wide ones (orders, users) stay; an owner's only with its budget's rule.
    metrics = set(lake.con.execute("SELECT * FROM business_metrics").fetchall())
    kept = {m for m in metrics if m[3] is None or visible(m[3], m[4])}
    assert set(con.execute("SELECT * FROM business_metrics").fetchall()) == kept


@pytest.mark.slow  # 30 random cases: several seconds, so outside the quick subset
def test_for_any_scope_each_sources_cover_totals_are_the_in_scope_part_of_that_source(lake: Lake) -> None:
    @PROPERTY
    @given(scope=scopes(lake))
    def check(scope: list[list[Part]]) -> None:
        con = scoped(lake, scope)
        try:
            got = source_totals(DuckDBEngine(con), FIRST_DAY, LAST_DAY)
        finally:
            con.close()
        rows = in_scope_rows(
            lake,
            "alloc_costs",
            scope,
            "(SELECT x_SourceFile FROM sources s WHERE s.x_SourceId = r.x_SourceId), r.BillingCurrency, "
            "r.BilledCost, r.EffectiveCost",
        )
        want: dict[tuple[str, str], list[Decimal]] = {}
        for source, currency, billed, effective in rows:
            sums = want.setdefault((source, currency), [Decimal(0), Decimal(0)])
            sums[0] += billed
            sums[1] += effective
        shown: dict[tuple[str, str], list[Decimal]] = {}
        for r in got.to_dict("records"):
            sums = shown.setdefault((r["source"], r["currency"]), [Decimal(0), Decimal(0)])
            sums[0] += Decimal(r["billed"])
            sums[1] += Decimal(r["effective"])
        assert shown == want

    check()


# -- edges -------------------------------------------------------------------------------------------


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = (*ROW_TABLES, "alloc_tags", "tag_sets", "sources", "utilization", "budgets", "showback_packs")
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in tables}


def test_a_grant_with_no_filter_sees_no_row_of_any_table(lake: Lake) -> None:
    con = store.scoped_reader(lake.path, lake.generation, Scope(False, ()).filters)
    try:
        assert set(row_counts(con).values()) == {0}, row_counts(con)
        assert spend(DuckDBEngine(con), lake.fx).frame[COST].sum() == 0
    finally:
        con.close()


@pytest.mark.parametrize(
    "scope",
    [
        [[("tag:no-such-key", ("payments",))]],
        [[("alloc:no_such_dimension", ("Commerce",))]],
        [[("BusinessUnit", ("Commerce",))]],  # not a column of the data at all
        [[("ProviderName", ("No Such Cloud",))]],
        [[("tag:team", ("no-such-team",))]],
        [[("alloc:business_unit", ("Commerce",)), ("tag:no-such-key", ("x",))]],
        [[("ProviderName", ("AWS' OR '1'='1",))]],
        [[("tag:te'am", ("payments",)), ('Provider"Name', ("AWS",))]],
    ],
    ids=[
        "unknown-tag-key",
        "unknown-alloc",
        "unknown-column",
        "unknown-value",
        "unknown-tag-value",
        "and-unknown",
        "quote-in-value",
        "quotes-in-dimensions",
    ],
)
def test_a_scope_naming_what_the_data_does_not_have_sees_nothing(lake: Lake, scope: list[list[Part]]) -> None:
    con = scoped(lake, scope)
    try:
        counts = row_counts(con)
        assert {t: n for t, n in counts.items() if t != "budgets"} == dict.fromkeys(counts.keys() - {"budgets"}, 0)
        # Only a budget a one-dimension filter names by its own dimension could show; none matches here.
        assert counts["budgets"] == 0
    finally:
        con.close()


def test_an_unknown_dimension_in_one_filter_does_not_take_away_what_another_filter_grants(lake: Lake) -> None:
    scope = [[("tag:no-such-key", ("x",))], [("ProviderName", ("AWS",))]]
    con = scoped(lake, scope)
    try:
        seen = con.execute("SELECT DISTINCT ProviderName FROM alloc_costs").fetchall()
        total = con.execute("SELECT sum(EffectiveCost) FROM alloc_costs").fetchall()[0][0]
    finally:
        con.close()
    assert seen == [("AWS",)]
    want = lake.con.execute("SELECT sum(EffectiveCost) FROM alloc_costs WHERE ProviderName = 'AWS'").fetchall()[0][0]
    assert total == want


def test_each_business_unit_sees_exactly_its_share_of_the_split_pool_and_the_units_add_up_to_the_whole(
    lake: Lake,
) -> None:
    units = [v for v in lake.values["alloc:business_unit"] if v is not None]
    total_all = Decimal(0)
    shared_all = Decimal(0)
    per_source: Counter[tuple[int, str]] = Counter()
    for unit in units:
        con = scoped(lake, [[("alloc:business_unit", (unit,))]])
        try:
            result = spend(DuckDBEngine(con), lake.fx, group_by=["alloc:shared_pool"], currency="USD").frame
            pool_rows = con.execute(
                "SELECT sum(EffectiveCost) FILTER (WHERE x_Shared), count(*) FILTER (WHERE x_Shared) FROM alloc_costs"
            ).fetchall()[0]
            for source, currency, effective in con.execute(
                "SELECT x_SourceId, BillingCurrency, sum(EffectiveCost) FROM daily_costs GROUP BY ALL"
            ).fetchall():
                per_source[(source, currency)] += effective
        finally:
            con.close()
        share = lake.con.execute(
            'SELECT sum(EffectiveCost), count(*) FROM alloc_costs WHERE x_Shared AND "alloc:business_unit" = ?', [unit]
        ).fetchall()[0]
        assert pool_rows == share, unit
        shared = Decimal(str(result[SHARED].sum()))
        want_shared = lake.con.execute(
            "SELECT coalesce(sum(EffectiveCost * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END), 0) "
            'FROM alloc_costs WHERE x_Shared AND "alloc:business_unit" = ?',
            [EUR_IN_USD, unit],
        ).fetchall()[0][0]
        assert abs(shared - want_shared) < HALF_CENT, unit
        total_all += Decimal(str(result[COST].sum()))
        shared_all += shared
    # The whole, from the line items as loaded (before allocation): nothing lost, nothing counted twice.
    whole = lake.con.execute(
        "SELECT sum(EffectiveCost * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END) FROM line_items", [EUR_IN_USD]
    ).fetchall()[0][0]
    pool = lake.con.execute(
        "SELECT sum(EffectiveCost * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END) FROM line_items "
        "WHERE ServiceName IN ('AWS Support (Business)', 'AWS Support (Enterprise)', 'Support')",
        [EUR_IN_USD],
    ).fetchall()[0][0]
    assert pool > 0
    assert abs(total_all - whole) < len(units) * HALF_CENT
    assert abs(shared_all - pool) < len(units) * HALF_CENT
    raw = lake.con.execute("SELECT x_SourceId, BillingCurrency, sum(EffectiveCost) FROM line_items GROUP BY ALL")
    # Each share is exact to 12 decimals: the shares of a pool row may differ from it by 1e-12.
    assert {k: to_cent(v) for k, v in per_source.items()} == {(s, c): to_cent(v) for s, c, v in raw.fetchall()}


def test_a_scoped_reader_shows_no_table_of_the_store_it_has_not_decided_how_to_scope(lake: Lake) -> None:
    con = scoped(lake, [[("ProviderName", ("AWS",))]])
    try:
        stored = {r[0] for r in lake.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        visible = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                "AND NOT starts_with(table_name, '_')"
            ).fetchall()
        }
        for hidden in sorted(stored - visible):
            with pytest.raises(duckdb.CatalogException):
                con.execute(f"SELECT * FROM {hidden}")
        assert "alloc_shares" in stored - visible  # the pools' shares by owner: company-wide
        meta = {r[0] for r in con.execute("SELECT key FROM meta").fetchall()}
        assert "commitment_starts_stamp" not in meta
    finally:
        con.close()


def test_an_owner_with_no_spend_yet_shows_its_budget_only_to_a_scope_naming_it_alone(lake: Lake) -> None:
    named = [[("ServiceName", ("No Such Service",))]]
    narrowed = [[("ServiceName", ("No Such Service",)), ("ProviderName", ("AWS",))]]
    for scope, want in ((named, [("ServiceName", "No Such Service")]), (narrowed, [])):
        con = scoped(lake, scope)
        try:
            assert con.execute("SELECT owner_dimension, owner FROM budgets").fetchall() == want
            assert (
                con.execute("SELECT dimension, owner FROM business_metrics WHERE owner IS NOT NULL").fetchall() == want
            )
            assert con.execute("SELECT count(*) FROM alloc_costs").fetchall() == [(0,)]
        finally:
            con.close()
