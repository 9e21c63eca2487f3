"""Spend slicing: sums of one cost metric by any dimensions and time grain, converted to the
reporting currency. Reads the data after allocation (normalised tags, `alloc:` dimensions, shared
costs; see analytics.allocation.apply): the daily rollup, or the line items for detail dimensions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable, converted
from analytics.schema import (
    ALLOC_PREFIX,
    COLUMN_DIMENSIONS,
    END_SANE_DAY,
    EVERYTHING,
    FIRST_SANE_DAY,
    ROLLUP_DIMENSIONS,
    SHARED_POOL,
    Filters,
    Grain,
    Metric,
    is_alloc,
    is_tag,
    tag_key,
)

PERIOD = "period"
COST = "cost"
SHARED = "shared"  # of `cost`, what arrived from shared-cost pools


class UnknownDimension(ValueError):
    """A dimension or tag key that the data does not have."""


@dataclass(frozen=True)
class SpendResult:
    """`frame`: one row per group (and period), `cost` in the reporting currency and `shared`, the
    part of it split from shared-cost pools.
    `unconverted`: per billing currency, what was left out because no FX rate covers it.
    `rates`: the rates used, per currency and rate date."""

    frame: pd.DataFrame
    unconverted: pd.DataFrame
    rates: pd.DataFrame
    currency: str
    metric: Metric


def tag_keys(engine: Engine) -> list[str]:
    """Tag keys present in the data, most used first."""
    # Summed per tag set first: the join then meets a few hundred sets, not every rollup row.
    frame = engine.query(
        "WITH s AS (SELECT x_TagSetId, sum(abs(EffectiveCost)) AS spend FROM alloc_costs "
        "WHERE x_TagSetId IS NOT NULL GROUP BY 1) "
        "SELECT t.TagKey, sum(s.spend) AS spend FROM alloc_tags t JOIN s ON s.x_TagSetId = t.x_TagSetId "
        "GROUP BY t.TagKey ORDER BY spend DESC, t.TagKey"
    )
    return [str(k) for k in frame["TagKey"]]


def virtual_dimensions(engine: Engine) -> list[str]:
    """The `alloc:` dimensions of the applied rules, then `alloc:shared_pool`."""
    # The table's own columns, from an empty result: far cheaper than the catalog views, and this
    # runs for every alloc: dimension a query checks.
    columns = [str(c) for c in engine.query("SELECT * FROM alloc_costs LIMIT 0").columns]
    virtual = [c for c in columns if c.startswith(ALLOC_PREFIX)]
    return sorted(virtual, key=lambda c: c == SHARED_POOL)  # stable: the rules' order, the pool last


def dimensions(engine: Engine) -> list[str]:
    """Every dimension a user may group or filter by: FOCUS columns, `alloc:<name>`, `tag:<key>`."""
    return [*COLUMN_DIMENSIONS, *virtual_dimensions(engine), *(f"tag:{k}" for k in tag_keys(engine))]


def check_dimension(engine: Engine, dimension: str) -> str:
    if dimension in COLUMN_DIMENSIONS:
        return dimension
    if is_tag(dimension):
        row = engine.query("SELECT count(*) AS n FROM alloc_tags WHERE TagKey = ?", [tag_key(dimension)])
        if int(row["n"].iloc[0]):
            return dimension
        raise UnknownDimension(f"no tag key {tag_key(dimension)!r} in the data")
    if is_alloc(dimension):
        if dimension in virtual_dimensions(engine):
            return dimension
        raise UnknownDimension(f"no virtual dimension {dimension!r} in the allocation rules")
    raise UnknownDimension(
        f"unknown dimension {dimension!r}; use a FOCUS column such as ServiceName, tag:<key> or alloc:<name>"
    )


def _needs_detail(dimensions: Sequence[str]) -> bool:
    return any(d not in ROLLUP_DIMENSIONS and not is_tag(d) and not is_alloc(d) for d in dimensions)


def data_span(engine: Engine) -> tuple[dt.date, dt.date] | None:
    """First and last UTC day with charges within 2000-01-01..2099-12-31, or None for an empty store."""
    frame = engine.query(
        "SELECT min(ChargeDay) AS first, max(ChargeDay) AS last FROM daily_costs "
        "WHERE ChargeDay >= ? AND ChargeDay < ?",
        [FIRST_SANE_DAY, END_SANE_DAY],
    )
    if frame.empty or pd.isna(frame["first"].iloc[0]):
        return None
    return pd.Timestamp(frame["first"].iloc[0]).date(), pd.Timestamp(frame["last"].iloc[0]).date()


class _Sql:
    """Builds one query: the FROM clause with tag joins, WHERE with bound values."""

    def __init__(self, detail: bool) -> None:
        self.detail = detail
        self.table = "alloc_line_items" if detail else "alloc_costs"
        self.day = "CAST(r.ChargePeriodStart AS DATE)" if detail else "r.ChargeDay"
        self.joins: list[str] = []
        self.join_params: list[object] = []
        self.where: list[str] = []
        self.where_params: list[object] = []

    def dimension(self, dimension: str) -> str:
        if not is_tag(dimension):
            return f'r."{dimension}"'
        alias = f"t{len(self.joins)}"
        self.joins.append(f"LEFT JOIN alloc_tags {alias} ON {alias}.x_TagSetId = r.x_TagSetId AND {alias}.TagKey = ?")
        self.join_params.append(tag_key(dimension))
        return f"{alias}.TagValue"

    def restrict(self, filters: Filters) -> None:
        if filters.start is not None:
            self._date_bound(">=", filters.start)
        if filters.end is not None:
            self._date_bound("<", filters.end + dt.timedelta(days=1))
        for dimension, values in filters.where:
            if not values:
                continue  # no value chosen: the dimension does not narrow the view
            known = [v for v in values if v is not None]
            marks = ", ".join("?" for _ in known)
            if is_tag(dimension):
                tagged = "r.x_TagSetId IN (SELECT x_TagSetId FROM alloc_tags WHERE TagKey = ? AND TagValue IN ({}))"
                untagged = (
                    "(r.x_TagSetId IS NULL OR r.x_TagSetId NOT IN "
                    "(SELECT x_TagSetId FROM alloc_tags WHERE TagKey = ? AND TagValue IS NOT NULL))"
                )
                parts, params = [], []
                if known:
                    parts.append(tagged.format(marks))
                    params += [tag_key(dimension), *known]
                if None in values:
                    parts.append(untagged)
                    params.append(tag_key(dimension))
            else:
                parts = [f'r."{dimension}" IN ({marks})'] if known else []
                params = list(known)
                if None in values:
                    parts.append(f'r."{dimension}" IS NULL')
            self.where.append("(" + " OR ".join(parts) + ")")
            self.where_params += params

    def _date_bound(self, op: str, day: dt.date) -> None:
        # On the line items compare the timestamp itself so the predicate can skip row groups.
        column = "r.ChargePeriodStart" if self.detail else "r.ChargeDay"
        value: object = dt.datetime.combine(day, dt.time()) if self.detail else day
        self.where.append(f"{column} {op} ?")
        self.where_params.append(value)

    @property
    def params(self) -> list[object]:
        return [*self.join_params, *self.where_params]

    def from_where(self) -> str:
        where = " AND ".join(self.where) or "TRUE"
        return f"FROM {self.table} r {' '.join(self.joins)} WHERE {where}"


def _period(grain: Grain, day: str) -> str | None:
    if grain is Grain.NONE:
        return None
    return day if grain is Grain.DAY else f"CAST(date_trunc('{grain.value}', {day}) AS DATE)"


def spend(
    engine: Engine,
    fx: FxTable,
    filters: Filters = EVERYTHING,
    group_by: Sequence[str] = (),
    metric: Metric = Metric.EFFECTIVE,
    grain: Grain = Grain.NONE,
    currency: str = "USD",
) -> SpendResult:
    """Sum of `metric` per group of `group_by` (and per `grain` period), in `currency`."""
    for dimension in (*group_by, *filters.dimensions):
        check_dimension(engine, dimension)
    if len(set(group_by)) != len(group_by):
        raise UnknownDimension("the same dimension twice in group-by")
    sql = _Sql(_needs_detail([*group_by, *filters.dimensions]))
    # Positional aliases: SQL names are case-insensitive, and tag:team and tag:Team are two keys.
    keys = [f"{sql.dimension(d)} AS _g{i}" for i, d in enumerate(group_by)]
    period = _period(grain, sql.day)
    if period is not None:
        keys.append(f"{period} AS {PERIOD}")
    sql.restrict(filters)
    amount = f'r."{metric.value}"'
    outer = [f"g.{k.rsplit(' AS ', 1)[1]}" for k in keys]
    # Summed per group, currency and day first, then converted at each day's rate: exactly the sum of
    # the converted rows (DECIMAL), with the join and the multiplications on the groups, not the rows.
    query = f"""
        WITH g AS (
            SELECT {", ".join([*keys, "r.BillingCurrency AS _currency", f"{sql.day} AS _day"])},
                   sum({amount}) AS _amount, sum({amount}) FILTER (WHERE r.x_Shared) AS _shared, count(*) AS _rows
            {sql.from_where()}
            GROUP BY ALL
        )
        SELECT {", ".join([*outer, "g._currency"])},
               sum({converted("g._amount")}) FILTER (WHERE fx.factor IS NOT NULL) AS {COST},
               sum({converted("g._shared")}) FILTER (WHERE fx.factor IS NOT NULL) AS {SHARED},
               sum(g._amount) FILTER (WHERE fx.factor IS NULL) AS _unconverted,
               CAST(coalesce(sum(g._rows) FILTER (WHERE fx.factor IS NULL), 0) AS BIGINT) AS _unconverted_rows
        FROM g LEFT JOIN fx ON fx.currency = g._currency AND fx.day = g._day
        GROUP BY ALL
    """
    span = data_span(engine)
    factors = _factors(fx, currency, span)
    raw = engine.query(query, sql.params, frames={"fx": factors[["currency", "day", "factor"]]})
    raw.columns = [group_by[int(c[2:])] if c.startswith("_g") else c for c in raw.columns]
    names = [*group_by, *([PERIOD] if period is not None else [])]
    return SpendResult(
        frame=_combine_currencies(raw, names),
        unconverted=_unconverted(raw),
        rates=_rates_used(raw, factors, currency),
        currency=currency,
        metric=metric,
    )


def _factors(fx: FxTable, currency: str, span: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    if span is None:
        return pd.DataFrame({"currency": [], "day": [], "factor": [], "rate_date": []})
    return fx.daily_factors(currency, span[0], span[1])


def _combine_currencies(raw: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    converted = raw[raw[COST].notna()].assign(**{SHARED: lambda f: f[SHARED].fillna(0)})
    if not names:
        return pd.DataFrame({COST: [float(converted[COST].sum())], SHARED: [float(converted[SHARED].sum())]})
    frame = converted.groupby(names, dropna=False)[[COST, SHARED]].sum().reset_index()
    if PERIOD in frame:
        frame[PERIOD] = pd.to_datetime(frame[PERIOD]).dt.date
    for name in names:
        if name != PERIOD:
            frame[name] = frame[name].astype(object)
    return frame.sort_values(COST, ascending=False, ignore_index=True)


def _unconverted(raw: pd.DataFrame) -> pd.DataFrame:
    missing = raw[raw["_unconverted_rows"] > 0]
    grouped = missing.groupby("_currency").agg(amount=("_unconverted", "sum"), rows=("_unconverted_rows", "sum"))
    return grouped.rename_axis("currency").reset_index()


def _rates_used(raw: pd.DataFrame, factors: pd.DataFrame, reporting: str) -> pd.DataFrame:
    present = set(raw.loc[raw[COST].notna(), "_currency"]) - {reporting}
    used = factors[factors["currency"].isin(present)]
    first = used.groupby(["currency", "rate_date"])["factor"].first()
    return first.rename(f"{reporting} per unit").reset_index()


def dimension_values(
    engine: Engine, dimension: str, filters: Filters = EVERYTHING, limit: int = 500
) -> list[str | None]:
    """Values of one dimension, largest absolute EffectiveCost first; None stands for not set."""
    check_dimension(engine, dimension)
    sql = _Sql(_needs_detail([dimension]))
    expr = sql.dimension(dimension)
    sql.restrict(filters)
    where = " AND ".join(sql.where) or "TRUE"
    if is_tag(dimension):
        # Summed per tag set first, then joined to the tag's values: the join meets a few hundred sets.
        sets = f"SELECT r.x_TagSetId, sum(abs(r.EffectiveCost)) AS spend FROM {sql.table} r WHERE {where} GROUP BY 1"
        frame = engine.query(
            f"WITH r AS ({sets}) SELECT {expr} AS value, sum(r.spend) AS spend FROM r {' '.join(sql.joins)} "
            "GROUP BY 1 ORDER BY spend DESC NULLS LAST, 1 LIMIT ?",
            [*sql.where_params, *sql.join_params, limit],
        )
    else:
        frame = engine.query(
            f"SELECT {expr} AS value, sum(abs(r.EffectiveCost)) AS spend FROM {sql.table} r {' '.join(sql.joins)} "
            f"WHERE {where} GROUP BY 1 ORDER BY spend DESC NULLS LAST, 1 LIMIT ?",
            [*sql.params, limit],
        )
    return [None if pd.isna(v) else str(v) for v in frame["value"]]
