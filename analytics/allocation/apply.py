"""Applying a rule set: normalised tag sets, the virtual dimensions and the shared-cost split,
materialised next to the raw data so that every page, export and CLI command reads the same thing.

- `alloc_tags`: the tag sets with canonical keys and values (plus the tag sets of shared rows, whose
  owner tag is the owner a pool was split to; their ids are negative).
- `alloc_keys`: one row per distinct combination of what the rules look at (the rollup columns they
  name and the tag set), with the virtual dimensions and the pool it belongs to, if any.
- `alloc_weights`: per pool, month and owner, the fraction of each cost metric the owner receives
  (owners' spend compared in USD at each day's rate, so a team billed in euros weighs what it costs).
- `alloc_costs`: the daily rollup after allocation; `alloc_line_items`: a view doing the same to the
  line items (resource-level questions). Both are built by one SQL pipeline, so they agree.

Rule conditions are evaluated only on the small `alloc_keys` table, with every value bound as a
parameter; the pipeline over the large tables joins on identifiers and has no user text in it."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.allocation.rules import ALLOC_PREFIX, Condition, Rules, SharedPool, alloc_name, is_alloc
from analytics.commitments import rollup as commitment_rollup
from analytics.engine import Connection
from analytics.fx import DEFAULT_FX_PATH, FxTable, load_fx
from analytics.schema import END_SANE_DAY, FIRST_SANE_DAY, MONEY, SHARED_POOL, is_tag, tag_key
from analytics.store import get_meta, set_meta, transaction

ALLOC_VERSION = "2"  # bump when the tables' layout changes, so stored allocations are rebuilt (2: commitment_starts)
STATE_KEY = "alloc_state"
RULES_KEY = "alloc_rules"
COSTS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
TABLES = ("alloc_tags", "alloc_keys", "alloc_weights", "alloc_pool_months", "alloc_shares", "alloc_costs")


@dataclass(frozen=True)
class Applied:
    fingerprint: str
    rows: int
    seconds: float


def data_stamp(con: Connection) -> str:
    """Changes whenever a source is loaded, replaced or removed."""
    row = con.execute("SELECT count(*), max(x_SourceId), max(x_IngestedAt) FROM sources").fetchall()[0]
    return str(row)


def _fx_stamp(path: Path = DEFAULT_FX_PATH) -> str:
    """Changes when the exchange rates (which weigh owners billed in other currencies) change."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


def _state(con: Connection, rules: Rules) -> str:
    stamp = {"version": ALLOC_VERSION, "rules": rules.fingerprint(), "data": data_stamp(con), "fx": _fx_stamp()}
    return json.dumps(stamp)


def is_current(con: Connection, rules: Rules) -> bool:
    """True when the stored allocation is `rules` applied to the data as it is now."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {*TABLES, "alloc_line_items"} <= present:
        return False
    return get_meta(con, STATE_KEY) == _state(con, rules)


def apply_rules(con: Connection, rules: Rules) -> Applied:
    """Replace the stored allocation with `rules` applied to all the data, all or nothing."""
    started = time.perf_counter()
    with transaction(con):
        build(con, rules)
        commitment_rollup.build(con)  # not the rules' doing: every write path refreshes here
        set_meta(con, STATE_KEY, _state(con, rules))
        set_meta(con, RULES_KEY, rules.text)
    row = con.execute("SELECT count(*) FROM alloc_costs").fetchall()[0]
    return Applied(rules.fingerprint(), int(row[0]), time.perf_counter() - started)


def build(con: Connection, rules: Rules) -> None:
    """Create or replace the allocation tables; the caller holds the transaction (a preview rolls
    it back, `apply_rules` commits it)."""
    plan = _Plan(rules)
    con.register("alloc_fx", _usd_factors(con, load_fx(DEFAULT_FX_PATH)))
    con.register("alloc_key_map", plan.key_map())
    con.register("alloc_value_map", plan.value_map())
    con.register("alloc_fixed", plan.fixed_weights())
    con.register("alloc_targets", plan.target_frame())
    try:
        con.execute(_TAGS_SQL)
        keys_sql, keys_params = plan.keys_sql()
        con.execute(f"CREATE OR REPLACE TABLE alloc_keys AS {keys_sql}", keys_params)
        weights_sql, weights_params = plan.weights_sql()
        con.execute(f"CREATE OR REPLACE TABLE alloc_weights AS {weights_sql}", weights_params)
        con.execute(_POOL_MONTHS_SQL)
        shares_sql, shares_params = plan.shares_sql()
        con.execute(f"CREATE OR REPLACE TABLE alloc_shares AS {shares_sql}", shares_params)
        con.execute(_SYNTHETIC_TAGS_SQL)
        # In the rollup's own order (by source, then day): no sort, and date ranges still skip row groups.
        con.execute(f"CREATE OR REPLACE TABLE alloc_costs AS {plan.pipeline('daily_costs', 'r.ChargeDay', True)}")
        view = plan.pipeline("line_items", "CAST(r.ChargePeriodStart AS DATE)", False)
        con.execute(f"CREATE OR REPLACE VIEW alloc_line_items AS {view}")
    finally:
        for name in ("alloc_fx", "alloc_key_map", "alloc_value_map", "alloc_fixed", "alloc_targets"):
            con.unregister(name)


def _usd_factors(con: Connection, fx: FxTable) -> pd.DataFrame:
    span = con.execute(
        "SELECT min(ChargeDay), max(ChargeDay) FROM daily_costs WHERE ChargeDay >= ? AND ChargeDay < ?",
        [FIRST_SANE_DAY, END_SANE_DAY],
    ).fetchall()[0]
    if span[0] is None:
        return pd.DataFrame(
            {
                "currency": pd.Series(dtype=object),
                "day": pd.Series(dtype="datetime64[s]"),
                "factor": pd.Series(dtype=float),
            }
        )
    return fx.join_frame("USD", span[0], span[1])


# Raw keys are renamed to their canonical key; when a tag set has several spellings of one key, the
# canonical spelling wins, then the aliases in the order listed.
_TAGS_SQL = """
CREATE OR REPLACE TABLE alloc_tags AS
WITH renamed AS (
    SELECT t.x_TagSetId, coalesce(k.canonical, t.TagKey) AS TagKey, t.TagValue,
           coalesce(k.rank, 0) AS rank, t.TagKey = coalesce(k.canonical, t.TagKey) AS exact, t.TagKey AS raw
    FROM tag_sets t LEFT JOIN alloc_key_map k ON k.alias = lower(t.TagKey)
), picked AS (
    SELECT * FROM renamed
    QUALIFY row_number() OVER (PARTITION BY x_TagSetId, TagKey ORDER BY rank, exact DESC, raw) = 1
)
SELECT p.x_TagSetId, p.TagKey, coalesce(v.canonical, p.TagValue) AS TagValue
FROM picked p LEFT JOIN alloc_value_map v ON v.TagKey = p.TagKey AND v.alias = lower(p.TagValue)
"""

_POOL_MONTHS_SQL = f"""
CREATE OR REPLACE TABLE alloc_pool_months AS
SELECT x_Pool, month, {", ".join(f"bool_or(coalesce(w_{c}, 0) > 0) AS has_{c}" for c in COSTS)}
FROM alloc_weights GROUP BY ALL
"""

# Shared rows of a pool split to a tag get a tag set of their own: the pool row's tags with the
# owner's value for the target key.
_SYNTHETIC_TAGS_SQL = """
INSERT INTO alloc_tags
WITH synthetic AS (
    SELECT DISTINCT s.x_TagSetId AS id, k.x_TagSetId AS original, s.x_TagKey AS key, s.owner
    FROM alloc_shares s JOIN alloc_keys k USING (x_AllocKey) WHERE s.x_TagKey IS NOT NULL
)
SELECT s.id, t.TagKey, t.TagValue FROM synthetic s JOIN alloc_tags t ON t.x_TagSetId = s.original AND t.TagKey <> s.key
UNION ALL
SELECT id, key, owner FROM synthetic
"""


class _Plan:
    """The SQL for one rule set. Inside `alloc_keys`, tag keys the rules name are columns `_t<i>`
    and virtual dimensions are columns `_v<j>`."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        referenced = rules.referenced()
        self.tags = list(dict.fromkeys(tag_key(d) for d in referenced if is_tag(d)))
        self.columns = list(dict.fromkeys(d for d in referenced if not is_tag(d) and not is_alloc(d)))
        self.dims = [d.name for d in rules.dimensions]

    def expr(self, dimension: str) -> str:
        if is_tag(dimension):
            return f"_t{self.tags.index(tag_key(dimension))}"
        if is_alloc(dimension):
            return f"_v{self.dims.index(alloc_name(dimension))}"
        return f'"{dimension}"'

    def key_map(self) -> pd.DataFrame:
        rows = [
            (alias.lower(), canonical, rank)
            for canonical, aliases in self.rules.key_aliases
            for rank, alias in enumerate((canonical, *aliases))
        ]
        frame = pd.DataFrame(rows, columns=["alias", "canonical", "rank"])
        return frame.drop_duplicates("alias", keep="first").astype({"rank": "int64"})

    def value_map(self) -> pd.DataFrame:
        rows = [
            (key, alias.lower(), canonical)
            for key, values in self.rules.value_aliases
            for canonical, aliases in values
            for alias in (canonical, *aliases)
        ]
        return pd.DataFrame(rows, columns=["TagKey", "alias", "canonical"]).drop_duplicates(["TagKey", "alias"])

    def fixed_weights(self) -> pd.DataFrame:
        rows = [(p.name, owner, w / 100) for p in self.rules.pools if p.split == "fixed" for owner, w in p.weights]
        return pd.DataFrame(rows, columns=["x_Pool", "owner", "weight"]).astype({"weight": "float64"})

    def condition(self, conditions: tuple[Condition, ...], params: list[object]) -> str:
        clauses = []
        for dimension, values in conditions:
            expr = self.expr(dimension)
            exact = [v for v in values if v is not None and "*" not in v]
            parts = []
            if exact:
                parts.append(f"{expr} IN ({', '.join('?' for _ in exact)})")
                params += exact
            for pattern in (v for v in values if v is not None and "*" in v):
                parts.append(f"{expr} LIKE ? ESCAPE '\\'")
                escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                params.append(escaped.replace("*", "%"))
            if None in values:
                parts.append(f"{expr} IS NULL")
            clauses.append("(" + " OR ".join(parts) + ")")
        return " AND ".join(clauses)

    def dimensions_sql(self, relation: str, params: list[object], forced: dict[int, str] | None = None) -> str:
        """`relation` with the virtual dimensions added in order (a later one may test an earlier
        one); `forced` maps a dimension to the flag column under which it is the row's `owner`."""
        sql = relation
        for j, dim in enumerate(self.rules.dimensions):
            case_params: list[object] = []
            whens = []
            for rule in dim.rules:
                whens.append(f"WHEN {self.condition(rule.when, case_params)} THEN ?")
                case_params.append(rule.value)
            case_params.append(dim.default)
            case = f"CASE {' '.join(whens)} ELSE CAST(? AS VARCHAR) END"
            if forced and j in forced:
                case = f"CASE WHEN {forced[j]} THEN owner ELSE {case} END"
            sql = f"SELECT *, {case} AS _v{j} FROM ({sql})"
            params[:0] = case_params  # the outer SELECT's markers come first in the text
        return sql

    def keys_sql(self) -> tuple[str, list[object]]:
        pivot_params: list[object] = list(self.tags)
        pivots = "".join(f", max(TagValue) FILTER (WHERE TagKey = ?) AS _t{i}" for i in range(len(self.tags)))
        cols = "".join(f'"{c}", ' for c in self.columns)
        base = (
            f"SELECT k.*{''.join(f', p._t{i}' for i in range(len(self.tags)))} "
            f"FROM (SELECT DISTINCT {cols}x_TagSetId FROM daily_costs) k "
            f"LEFT JOIN (SELECT x_TagSetId{pivots} FROM alloc_tags GROUP BY 1) p ON p.x_TagSetId = k.x_TagSetId"
        )
        params: list[object] = pivot_params
        with_dims = self.dimensions_sql(base, params)
        pool_params: list[object] = []
        whens = []
        for pool in self.rules.pools:
            whens.append(f"WHEN {self.condition(pool.when, pool_params)} THEN ?")
            pool_params.append(pool.name)
        case = f"CASE {' '.join(whens)} END" if whens else "NULL"
        sql = f"SELECT row_number() OVER () AS x_AllocKey, *, CAST({case} AS VARCHAR) AS x_Pool FROM ({with_dims})"
        return sql, [*pool_params, *params]

    def _owner(self, pool: SharedPool) -> tuple[str, list[object]]:
        """The owner of a direct row for `pool`: its value of the pool's target, when it has one."""
        expr = f"k.{self.expr(pool.to)}"
        if is_alloc(pool.to):
            dim = self.rules.dimension(alloc_name(pool.to))
            if dim is not None and dim.default is not None:
                return expr, [dim.default]
        return expr, []

    def weights_sql(self) -> tuple[str, list[object]]:
        parts: list[str] = []
        params: list[object] = []
        join = self.join("k", "r")
        for pool in self.rules.pools:
            owner, default = self._owner(pool)
            exclude = f" AND {owner} <> ?" if default else ""
            owners = (
                f"SELECT CAST(date_trunc('month', r.ChargeDay) AS DATE) AS month, {owner} AS owner, "
                + ", ".join(f"sum(r.{c} * fx.factor) AS s_{c}" for c in COSTS)
                + f" FROM daily_costs r JOIN alloc_keys k ON {join} "
                "JOIN alloc_fx fx ON fx.currency = r.BillingCurrency AND fx.day = r.ChargeDay "
                f"WHERE k.x_Pool IS NULL AND {owner} IS NOT NULL{exclude} GROUP BY ALL"
            )
            if pool.split == "proportional":
                shares = ", ".join(
                    f"CASE WHEN s_{c} > 0 THEN s_{c} / sum(s_{c}) FILTER (WHERE s_{c} > 0) "
                    f"OVER (PARTITION BY month) END AS w_{c}"
                    for c in COSTS
                )
                sql = f"SELECT CAST(? AS VARCHAR) AS x_Pool, month, owner, {shares} FROM ({owners})"
            elif pool.split == "even":
                even = ", ".join(f"1.0 / count(*) OVER (PARTITION BY month) AS w_{c}" for c in COSTS)
                sql = f"SELECT CAST(? AS VARCHAR) AS x_Pool, month, owner, {even} FROM ({owners})"
            else:
                fixed = ", ".join(f"f.weight AS w_{c}" for c in COSTS)
                months = (
                    "SELECT DISTINCT CAST(date_trunc('month', r.ChargeDay) AS DATE) AS month "
                    f"FROM daily_costs r JOIN alloc_keys k ON {join} WHERE k.x_Pool = ?"
                )
                sql = (
                    f"SELECT CAST(? AS VARCHAR) AS x_Pool, m.month, f.owner, {fixed} "
                    f"FROM ({months}) m CROSS JOIN alloc_fixed f WHERE f.x_Pool = ?"
                )
                parts.append(sql)
                params += [pool.name, pool.name, pool.name]
                continue
            parts.append(sql)
            params += [pool.name, *default]
        if not parts:
            empty = ", ".join(f"CAST(NULL AS DOUBLE) AS w_{c}" for c in COSTS)
            none = "CAST(NULL AS VARCHAR) AS x_Pool, CAST(NULL AS DATE) AS month, CAST(NULL AS VARCHAR) AS owner"
            return f"SELECT {none}, {empty} WHERE FALSE", []
        return " UNION ALL ".join(parts), params

    def targets(self) -> list[str]:
        return list(dict.fromkeys(p.to for p in self.rules.pools))

    def target_frame(self) -> pd.DataFrame:
        """Per pool: the tag key its shares re-tag (if any) and one flag per distinct target, so the
        SQL that overrides a target needs neither literals nor parameters."""
        targets = self.targets()
        rows = [
            (p.name, tag_key(p.to) if is_tag(p.to) else None, *(p.to == t for t in targets)) for p in self.rules.pools
        ]
        columns = ["x_Pool", "x_TagKey", *(f"_o{i}" for i in range(len(targets)))]
        return pd.DataFrame(rows, columns=columns).astype({"x_Pool": object, "x_TagKey": object})

    def shares_sql(self) -> tuple[str, list[object]]:
        """Per pooled key and owner: the shared row's tag set, target column and virtual dimensions,
        evaluated again on the row as its owner sees it."""
        targets = self.targets()
        flags = "".join(f", t._o{i}" for i in range(len(targets)))
        drop = f" EXCLUDE ({', '.join(f'_v{j}' for j in range(len(self.dims)))})" if self.dims else ""
        base = (
            f"SELECT k.*{drop}, w.owner, t.x_TagKey{flags} FROM alloc_keys k "
            "JOIN (SELECT DISTINCT x_Pool, owner FROM alloc_weights) w ON w.x_Pool = k.x_Pool "
            "JOIN alloc_targets t ON t.x_Pool = k.x_Pool"
        )
        overrides = [
            f"CASE WHEN _o{i} THEN owner ELSE {self.expr(t)} END AS {self.expr(t)}"
            for i, t in enumerate(targets)
            if not is_alloc(t)
        ]
        relation = f"SELECT * REPLACE ({', '.join(overrides)}) FROM ({base})" if overrides else base
        forced = {self.dims.index(alloc_name(t)): f"_o{i}" for i, t in enumerate(targets) if is_alloc(t)}
        params: list[object] = []
        with_dims = self.dimensions_sql(relation, params, forced)
        dims = "".join(f", _v{j}" for j in range(len(self.dims)))
        columns = "".join(f", {self.expr(c)}" for c in self.columns)
        sql = (
            f"SELECT x_AllocKey, owner, x_TagKey{dims}{columns}, CASE WHEN x_TagKey IS NULL THEN x_TagSetId "
            "ELSE -dense_rank() OVER (ORDER BY x_TagKey, x_TagSetId NULLS FIRST, owner) END AS x_TagSetId "
            f"FROM ({with_dims})"
        )
        return sql, params

    def join(self, keys: str, rows: str) -> str:
        on = [f"{keys}.x_TagSetId IS NOT DISTINCT FROM {rows}.x_TagSetId"]
        on += [f'{keys}."{c}" IS NOT DISTINCT FROM {rows}."{c}"' for c in self.columns]
        return " AND ".join(on)

    def pipeline(self, source: str, day: str, rollup: bool) -> str:
        """`source` after allocation: direct rows, shares of pooled rows, and what of a pool found no
        owner. Only identifiers in here: it also defines a view."""
        join = self.join("k", "r")
        month = f"CAST(date_trunc('month', {day}) AS DATE)"
        dims = "".join(f', k._v{j} AS "{ALLOC_PREFIX}{d}"' for j, d in enumerate(self.dims))
        share_dims = "".join(f', s._v{j} AS "{ALLOC_PREFIX}{d}"' for j, d in enumerate(self.dims))
        scaled = [f"CAST(r.{c} * coalesce(w.w_{c}, 0) AS {MONEY}) AS {c}" for c in COSTS]
        scaled.append("s.x_TagSetId AS x_TagSetId")
        scaled += [f's."{c}" AS "{c}"' for c in self.columns if c in self.targets()]
        if rollup:
            scaled.append("0 AS LineItems")
        unsplit = [f"CASE WHEN coalesce(pm.has_{c}, FALSE) THEN 0 ELSE r.{c} END AS {c}" for c in COSTS]
        all_split = " AND ".join(f"coalesce(pm.has_{c}, FALSE)" for c in COSTS)
        return f"""
            SELECT r.*{dims}, k.x_Pool AS "{SHARED_POOL}", FALSE AS x_Shared
            FROM {source} r JOIN alloc_keys k ON {join} WHERE k.x_Pool IS NULL
            UNION ALL BY NAME
            SELECT r.* REPLACE ({", ".join(scaled)}){share_dims}, k.x_Pool AS "{SHARED_POOL}", TRUE AS x_Shared
            FROM {source} r JOIN alloc_keys k ON {join}
            JOIN alloc_weights w ON w.x_Pool = k.x_Pool AND w.month = {month}
            JOIN alloc_shares s ON s.x_AllocKey = k.x_AllocKey AND s.owner = w.owner
            UNION ALL BY NAME
            SELECT r.* REPLACE ({", ".join(unsplit)}){dims}, k.x_Pool AS "{SHARED_POOL}", FALSE AS x_Shared
            FROM {source} r JOIN alloc_keys k ON {join}
            LEFT JOIN alloc_pool_months pm ON pm.x_Pool = k.x_Pool AND pm.month = {month}
            WHERE k.x_Pool IS NOT NULL AND NOT ({all_split})
        """
