"""A reader limited to a scope: an in-memory database that attaches one generation read-only and
defines, under the tables' own names, views holding only the rows the scope grants. Every query of
every page runs unchanged on it, so no page can forget the scope.

The scope applies after the allocation, so a team sees exactly its share of split pools:
- `alloc_costs` and `alloc_line_items` are the stored ones, filtered;
- `daily_costs` and `line_items` are those two projected onto the raw tables' columns (their
  in-scope part: a split pool row appears as the share the scope owns);
- tags, sources and resources' utilisation are those of in-scope rows only;
- budgets and per-owner business metrics are those of owners whose spend is all in scope (or named
  by the scope); company-wide metrics (orders, users) stay, so a team can see its cost per order;
- the records of packs made by others are not shown;
- contract commitments are those whose id is the CommitmentDiscountId of an in-scope line item, or
  that its ContractApplied names; a shared pool's rows carry no ContractApplied, which states the
  whole row's use of a commitment, not the scope's share.

A table of the store that is not named here does not exist in a scoped reader: a table added to the
store later is hidden until someone decides how its rows are scoped.

Scope values never appear in SQL text: they live in a small table the predicates join on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from analytics.contract_applied import elements_sql
from analytics.engine import Connection
from analytics.schema import SHARED_POOL, TAG_PREFIX
from analytics.store import snapshots

# One filter: every (dimension, allowed values) must hold; a scope is the union of its filters.
Filter = Sequence[tuple[str, Sequence[str]]]
# The stored commitments rollup is company-wide; without its stamp the commitments pages compute
# the same rollup from the scoped line items.
_HIDDEN_META = ("commitment_starts_stamp",)


class ScopeGone(Exception):
    """The generation asked for is no longer kept (the caller re-reads the manifest)."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scoped_reader(folder: Path, generation: int, filters: Sequence[Filter], memory_limit: str) -> Connection:
    """A read-only connection to `generation` of the store at `folder` that sees only the rows some
    filter of `filters` grants; no filter at all grants nothing."""
    file = folder / snapshots.generation_name(generation)
    if not file.exists():
        raise ScopeGone(f"{folder}: generation {generation} is no longer kept")
    con = duckdb.connect(
        ":memory:", config={"memory_limit": memory_limit, "temp_directory": str(snapshots.spill_folder(folder))}
    )
    con.execute("SET TimeZone = 'UTC'")
    try:
        # The path is the store's own file name, not user text; ATTACH takes no bound parameter.
        con.execute(f"ATTACH {_literal(str(file))} AS lake (READ_ONLY)")
    except duckdb.IOException as exc:
        con.close()
        raise ScopeGone(f"{folder}: generation {generation} is no longer kept") from exc
    _scope_table(con, filters)
    predicate = _predicate(con, filters)
    for view, sql in _views(con, predicate):
        con.execute(f"CREATE VIEW {view} AS {sql}")
    _visible_owners(con, filters, predicate)
    for table, sql in _owner_tables():
        con.execute(f"CREATE TABLE {table} AS {sql}")
    return con


def _scope_table(con: Connection, filters: Sequence[Filter]) -> None:
    """`_scope(f, d, tag_key, value)`: the values filter `f` allows for its `d`th dimension."""
    con.execute("CREATE TABLE _scope (f INTEGER, d INTEGER, tag_key VARCHAR, value VARCHAR)")
    rows = [
        (f, d, dim[len(TAG_PREFIX) :] if dim.startswith(TAG_PREFIX) else None, value)
        for f, part in enumerate(filters)
        for d, (dim, values) in enumerate(part)
        for value in values
    ]
    if rows:
        con.executemany("INSERT INTO _scope VALUES (?, ?, ?, ?)", rows)


def _columns(con: Connection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE lake.{table}").fetchall()]


def _predicate(con: Connection, filters: Sequence[Filter]) -> str:
    """SQL over `r` (a row of alloc_costs or alloc_line_items) true when some filter grants it. A
    dimension the data no longer has (a tag key or rule removed since the scope was written) grants
    nothing: the scope fails closed."""
    present = set(_columns(con, "alloc_costs"))
    granted = []
    for f, part in enumerate(filters):
        conditions = []
        for d, (dimension, _values) in enumerate(part):
            if dimension.startswith(TAG_PREFIX):
                conditions.append(
                    "r.x_TagSetId IN (SELECT t.x_TagSetId FROM lake.alloc_tags t JOIN _scope s "
                    f"ON s.tag_key = t.TagKey AND s.value = t.TagValue WHERE s.f = {f} AND s.d = {d})"
                )
            elif dimension in present:
                conditions.append(f"r.{_ident(dimension)} IN (SELECT value FROM _scope WHERE f = {f} AND d = {d})")
            else:
                conditions.append("FALSE")
        granted.append("(" + " AND ".join(conditions or ["FALSE"]) + ")")
    return " OR ".join(granted) or "FALSE"


def _views(con: Connection, predicate: str) -> list[tuple[str, str]]:
    # The rollup's columns, rollup dimensions included, as the allocation carries them. An allocation
    # built before its rollup gained a column (a store just upgraded, re-allocated by the next
    # write) lacks it; so does this view then, rather than failing every page.
    allocated = set(_columns(con, "alloc_costs"))
    daily = ", ".join(_ident(c) for c in _columns(con, "daily_costs") if c in allocated)
    # A pooled row's ContractApplied states the whole row's use of a commitment, while the row is
    # the scope's share of it (or a remainder): counted, a team's applied amounts would include
    # other teams' shares. Only direct rows tell a team what it applied.
    items = ", ".join(
        f'CASE WHEN "{SHARED_POOL}" IS NULL THEN ContractApplied END AS ContractApplied'
        if c == "ContractApplied"
        else _ident(c)
        for c in _columns(con, "line_items")
    )
    in_scope_sets = "SELECT x_TagSetId FROM alloc_costs WHERE x_TagSetId IS NOT NULL"
    hidden_meta = ", ".join(_literal(k) for k in _HIDDEN_META)
    # Only the contract terms of commitments that in-scope rows use; a generation written before the
    # table existed has none, like its plain reader.
    contracts = [
        (
            "contract_commitments",
            "SELECT * FROM lake.contract_commitments WHERE ContractCommitmentId IN "
            "(SELECT CommitmentDiscountId FROM line_items WHERE CommitmentDiscountId IS NOT NULL "
            f"UNION SELECT commitment_id FROM ({elements_sql('line_items')}))",
        )
    ]
    return [
        ("alloc_costs", f"SELECT * FROM lake.alloc_costs r WHERE {predicate}"),
        ("alloc_line_items", f"SELECT * FROM lake.alloc_line_items r WHERE {predicate}"),
        ("daily_costs", f"SELECT {daily} FROM alloc_costs"),
        ("line_items", f"SELECT {items} FROM alloc_line_items"),
        ("alloc_tags", f"SELECT * FROM lake.alloc_tags WHERE x_TagSetId IN ({in_scope_sets})"),
        # Split pool rows carry tag sets of their own (negative ids) that only alloc_tags holds.
        (
            "tag_sets",
            f"SELECT * FROM lake.tag_sets WHERE x_TagSetId IN ({in_scope_sets}) "
            f"UNION ALL SELECT * FROM lake.alloc_tags WHERE x_TagSetId < 0 AND x_TagSetId IN ({in_scope_sets})",
        ),
        ("sources", "SELECT * FROM lake.sources WHERE x_SourceId IN (SELECT x_SourceId FROM alloc_costs)"),
        (
            "utilization",
            "SELECT * FROM lake.utilization WHERE resource_id IN "
            "(SELECT ResourceId FROM line_items WHERE ResourceId IS NOT NULL)",
        ),
        ("meta", f"SELECT * FROM lake.meta WHERE key NOT IN ({hidden_meta})"),
        ("showback_packs", "SELECT * FROM lake.showback_packs WHERE FALSE"),
        *(contracts if _has_table(con, "contract_commitments") else []),  # after line_items, which it reads
    ]


def _has_table(con: Connection, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'lake' AND table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def _visible_owners(con: Connection, filters: Sequence[Filter], predicate: str) -> None:
    """`_visible(dimension, owner)`: the owners, under each dimension budgets or metrics name, whose
    spend is all in scope, plus those a one-dimension filter names (a team with no spend yet). An
    owner the scope sees only part of is left out: its budget set against that part would read as
    under budget."""
    con.execute("CREATE TABLE _visible (dimension VARCHAR, owner VARCHAR)")
    present = set(_columns(con, "alloc_costs"))
    named = con.execute(
        "SELECT DISTINCT owner_dimension FROM lake.budgets UNION SELECT DISTINCT dimension FROM lake.business_metrics "
        "WHERE dimension IS NOT NULL"
    ).fetchall()
    for (dimension,) in named:
        if dimension.startswith(TAG_PREFIX):
            con.execute(
                f"INSERT INTO _visible SELECT ?, t.TagValue FROM lake.alloc_costs r JOIN lake.alloc_tags t "
                f"ON t.x_TagSetId = r.x_TagSetId AND t.TagKey = ? AND t.TagValue IS NOT NULL "
                f"GROUP BY t.TagValue HAVING bool_and(coalesce({predicate}, FALSE))",
                [dimension, dimension[len(TAG_PREFIX) :]],
            )
        elif dimension in present:
            con.execute(
                f"INSERT INTO _visible SELECT ?, CAST(r.{_ident(dimension)} AS VARCHAR) FROM lake.alloc_costs r "
                f"WHERE r.{_ident(dimension)} IS NOT NULL GROUP BY 2 HAVING bool_and(coalesce({predicate}, FALSE))",
                [dimension],
            )
    singles = [(dim, value) for part in filters if len(part) == 1 for dim, values in part for value in values]
    if singles:
        con.executemany("INSERT INTO _visible VALUES (?, ?)", singles)


def _owner_tables() -> list[tuple[str, str]]:
    return [
        (
            "budgets",
            "SELECT b.* FROM lake.budgets b WHERE EXISTS "
            "(SELECT 1 FROM _visible v WHERE v.dimension = b.owner_dimension AND v.owner = b.owner)",
        ),
        (
            "business_metrics",
            "SELECT m.* FROM lake.business_metrics m WHERE m.dimension IS NULL OR EXISTS "
            "(SELECT 1 FROM _visible v WHERE v.dimension = m.dimension AND v.owner = m.owner)",
        ),
    ]
