"""How much spend has an owner: cost-weighted tag coverage per key (overall, by account, by team),
the share of spend allocated after the rules against the FinOps maturity marks, and the untagged
resources that cost the most. All in EffectiveCost (amortised), in the billing currencies' sum
converted at each day's rate, as everywhere else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.allocation.apply import RULES_KEY
from analytics.allocation.rules import EMPTY, Rules, RulesError, alloc_name, is_alloc, parse_rules
from analytics.engine import Engine
from analytics.fx import FxTable, converted
from analytics.maturity import PRE_CRAWL, Kpi, mark
from analytics.queries import COST, PERIOD, SHARED, check_dimension, data_span, spend
from analytics.schema import COLUMN_DIMENSIONS, Filters, Grain, Metric, is_tag, tag_key


def applied_rules(engine: Engine) -> Rules:
    frame = engine.query("SELECT value FROM meta WHERE key = ?", [RULES_KEY])
    if frame.empty or not frame["value"].iloc[0]:
        return EMPTY
    try:
        return parse_rules(str(frame["value"].iloc[0]), "the applied rules")
    except RulesError:
        return EMPTY


@dataclass(frozen=True)
class Allocated:
    owner_dimension: str | None
    allocated: float
    total: float
    shared: float  # of the allocated spend, what shared-cost pools split onto owners
    by_month: pd.DataFrame  # month, allocated, total, percent

    @property
    def percent(self) -> float:
        return 100.0 * self.allocated / self.total if self.total else 0.0

    @property
    def mark(self) -> str:
        """The FinOps Foundation's mark for the share allocated (see analytics.maturity)."""
        return mark(Kpi.ALLOCATED, self.allocated / self.total) if self.total else PRE_CRAWL


def unowned_values(rules: Rules, owner: str) -> list[str | None]:
    """The values of the owner dimension that mean "no owner": not set, and a virtual dimension's default."""
    values: list[str | None] = [None]
    if is_alloc(owner):
        dim = rules.dimension(alloc_name(owner))
        if dim is not None and dim.default is not None:
            values.append(dim.default)
    return values


def allocated_share(engine: Engine, fx: FxTable, filters: Filters, currency: str = "USD") -> Allocated:
    """Spend with an owner after the rules (shared costs included once split), of all spend."""
    rules = applied_rules(engine)
    owner = rules.owner_dimension()
    if owner is None:
        return Allocated(None, 0.0, 0.0, 0.0, pd.DataFrame(columns=["month", "allocated", "total", "percent"]))
    frame = spend(engine, fx, filters, [owner], Metric.EFFECTIVE, Grain.MONTH, currency).frame
    unowned = frame[owner].isna() | frame[owner].isin([v for v in unowned_values(rules, owner) if v])
    frame = frame.assign(allocated=frame[COST].where(~unowned, 0.0))
    months = frame.groupby(PERIOD, as_index=False).agg(allocated=("allocated", "sum"), total=(COST, "sum"))
    months = months.rename(columns={PERIOD: "month"})
    months["percent"] = 100.0 * months["allocated"] / months["total"].where(months["total"] != 0)
    shared = float(frame[SHARED].where(~unowned, 0.0).sum())
    return Allocated(owner, float(frame["allocated"].sum()), float(frame[COST].sum()), shared, months)


def tag_coverage(
    engine: Engine, fx: FxTable, filters: Filters, by: str | None = None, currency: str = "USD"
) -> pd.DataFrame:
    """Per tag key (after normalisation) and `by` group: the share of spend whose rows carry the key.
    Measured on the data as loaded (before shared costs are split), so it says what the resources
    themselves carry, and without credits: a credit carries no resource's tags, and counted in the
    spend it pushed a group past 100%. Amounts in `currency` (rows without a rate are left out, as in
    every total)."""
    if by is not None:
        check_dimension(engine, by)
        if by not in COLUMN_DIMENSIONS and not is_tag(by):
            raise ValueError(f"coverage can be broken down by a column or a tag, not {by}")
    where, params = _filters_sql(filters)
    group = f'r."{by}"' if by and not is_tag(by) else ("g.TagValue" if by else "NULL")
    group_join = "LEFT JOIN alloc_tags g ON g.x_TagSetId = r.x_TagSetId AND g.TagKey = ?" if by and is_tag(by) else ""
    group_params: list[object] = [tag_key(by)] if by and is_tag(by) else []
    span = data_span(engine)
    if span is None:
        return pd.DataFrame(columns=["group", "key", "tagged", "total", "percent"])
    factors = fx.join_frame(currency, span[0], span[1])
    sql = f"""
        WITH rows AS (
            SELECT {group} AS grp, r.x_TagSetId,
                   sum({converted("r.EffectiveCost")}) AS cost
            FROM daily_costs r {group_join}
            JOIN fx ON fx.currency = r.BillingCurrency AND fx.day = r.ChargeDay
            WHERE {where} AND r.ChargeCategory IS DISTINCT FROM 'Credit'
            GROUP BY ALL
        ), totals AS (SELECT grp, sum(cost) AS total FROM rows GROUP BY ALL),
        keyed AS (
            SELECT r.grp, t.TagKey, sum(r.cost) AS tagged
            FROM rows r JOIN alloc_tags t ON t.x_TagSetId = r.x_TagSetId AND t.TagValue IS NOT NULL
            GROUP BY ALL
        )
        SELECT k.grp, k.TagKey AS key, CAST(k.tagged AS DOUBLE) AS tagged, CAST(tt.total AS DOUBLE) AS total
        FROM keyed k JOIN totals tt ON tt.grp IS NOT DISTINCT FROM k.grp
    """
    frames = {"fx": factors}
    frame = engine.query(sql, [*group_params, *params], frames=frames).rename(columns={"grp": "group"})
    frame["percent"] = 100.0 * frame["tagged"] / frame["total"].where(frame["total"] != 0)
    return frame.sort_values(["group", "tagged"], ascending=[True, False], ignore_index=True)


def top_untagged(
    engine: Engine, fx: FxTable, filters: Filters, key: str, limit: int = 20, currency: str = "USD"
) -> pd.DataFrame:
    """Resources whose line items lack tag `key` (after normalisation), most EffectiveCost first, in
    `currency` (rows without a rate are left out, as in every total)."""
    span = data_span(engine)
    if span is None:
        return pd.DataFrame(columns=["ResourceId", "ResourceName", "ServiceName", "SubAccountName", "cost"])
    where, params = _filters_sql(filters, detail=True)
    # Summed per resource, day and currency first, then converted at each day's rate: exactly the
    # sum of the converted line items (DECIMAL), with the join on a fifth of the rows.
    sql = f"""
        WITH g AS (
            SELECT r.ResourceId, CAST(r.ChargePeriodStart AS DATE) AS day, r.BillingCurrency,
                   any_value(r.ResourceName) AS ResourceName, any_value(r.ServiceName) AS ServiceName,
                   any_value(r.SubAccountName) AS SubAccountName, sum(r.EffectiveCost) AS cost
            FROM line_items r
            WHERE r.ResourceId IS NOT NULL AND {where}
              AND (r.x_TagSetId IS NULL OR r.x_TagSetId NOT IN
                   (SELECT x_TagSetId FROM alloc_tags WHERE TagKey = ? AND TagValue IS NOT NULL))
            GROUP BY ALL
        )
        SELECT r.ResourceId, any_value(r.ResourceName) AS ResourceName, any_value(r.ServiceName) AS ServiceName,
               any_value(r.SubAccountName) AS SubAccountName,
               CAST(sum({converted("r.cost")}) AS DOUBLE) AS cost
        FROM g r JOIN fx ON fx.currency = r.BillingCurrency AND fx.day = r.day
        GROUP BY r.ResourceId
        ORDER BY cost DESC LIMIT ?
    """
    factors = fx.join_frame(currency, span[0], span[1])
    return engine.query(sql, [*params, key, limit], frames={"fx": factors})


def _filters_sql(filters: Filters, detail: bool = False) -> tuple[str, list[object]]:
    """Only the date range: coverage answers for all of the spend in the period. On the line items
    the timestamp itself is compared (whole UTC days), so the scan can skip row groups."""
    parts: list[str] = ["TRUE"]
    params: list[object] = []
    if filters.start is not None:
        parts.append("r.ChargePeriodStart >= ?" if detail else "r.ChargeDay >= ?")
        params.append(dt.datetime.combine(filters.start, dt.time()) if detail else filters.start)
    if filters.end is not None:
        parts.append("r.ChargePeriodStart < ?" if detail else "r.ChargeDay <= ?")
        params.append(dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time()) if detail else filters.end)
    return " AND ".join(parts), params
