"""Commitment coverage, utilisation, waste and effective savings rate (ESR) over a date range,
computed on aggregates (algorithms.md §1.2) so that unused commitment counts against the savings.

Rows (algorithms.md §0.1): purchases are never read here (their cost is already amortised into the
usage rows, so reading them would count a purchase twice); spot (Dynamic) is never eligible.
Eligible usage is Usage at Standard or Committed pricing of a (provider, service) that commitments
have covered at least once in the data. Deviation from §0.3 (which tests the SkuId): the daily
rollup has no SkuId, and these figures must come from the rollup to stay fast on 10M line items;
the simulator (demand.py) does use the SkuId.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.commitments.money import fx_frame, fx_join, list_cost, ode
from analytics.engine import Engine
from analytics.fx import FxTable, converted

BREAKDOWNS = ("ProviderName", "BillingAccountName", "SubAccountName", "RegionId")

_ELIGIBLE = """
    SELECT DISTINCT ProviderName, ServiceName FROM daily_costs
    WHERE ChargeCategory = 'Usage' AND PricingCategory = 'Committed'
      AND COALESCE(CommitmentDiscountStatus, 'Used') <> 'Unused'
"""


def _measures(alias: str = "r") -> str:
    """The figures' sums over `alias`, the per-day sums of `_SUMS` (amounts already summed per day
    and currency, so each is converted once at that day's rate: exactly the sum of the converted
    rows, in DECIMAL)."""
    eligible = (
        f"e.ServiceName IS NOT NULL AND {alias}.PricingCategory IN ('Standard', 'Committed') "
        f"AND COALESCE({alias}.CommitmentDiscountStatus, 'Used') <> 'Unused'"
    )
    unused = f"{alias}.PricingCategory = 'Committed' AND {alias}.CommitmentDiscountStatus = 'Unused'"
    return f"""
        sum({converted(f"{alias}.ode")}) FILTER (WHERE {eligible}) AS eligible_ode,
        sum({converted(f"{alias}.list")}) FILTER (WHERE {eligible}) AS eligible_list,
        sum({converted(f"{alias}.effective")}) FILTER (WHERE {eligible}) AS eligible_effective,
        sum({converted(f"{alias}.ode")}) FILTER (WHERE {alias}.PricingCategory = 'Committed'
            AND COALESCE({alias}.CommitmentDiscountStatus, 'Used') = 'Used') AS covered_ode,
        sum({converted(f"{alias}.effective")}) FILTER (WHERE {unused}) AS unused,
        sum({converted(f"{alias}.effective")})
            FILTER (WHERE {alias}.PricingCategory = 'Committed') AS commitment_cost,
        coalesce(sum({alias}.rows) FILTER (WHERE fx.factor IS NULL), 0) AS unconverted_rows
    """


@dataclass(frozen=True)
class Kpis:
    """Commitment figures for a date range, money in `currency`; a ratio is None when undefined
    (no eligible usage, or no commitment)."""

    coverage: float | None  # ODE covered / ODE of eligible usage
    utilization: float | None  # 1 - unused / amortised commitment
    esr: float | None  # vs contracted (on-demand at negotiated prices), waste included
    esr_list: float | None  # vs list prices: includes negotiated discounts too
    eligible_ode: float
    covered_ode: float
    commitment_cost: float  # amortised cost of the commitments (used + unused)
    unused: float  # waste: amortised cost of unused commitment
    savings: float  # eligible ODE - what it actually cost, unused commitment included
    currency: str
    unconverted_rows: int  # rows left out: no exchange rate for their currency that day

    def as_dict(self) -> dict[str, float | int | str | None]:
        return dict(self.__dict__)


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 else None


def _figures(row: pd.Series, currency: str) -> Kpis:
    def value(name: str) -> float:
        v = row.get(name)
        return 0.0 if v is None or pd.isna(v) else float(v)

    eligible, listed, effective = value("eligible_ode"), value("eligible_list"), value("eligible_effective")
    covered, unused, commitment = value("covered_ode"), value("unused"), value("commitment_cost")
    spent = effective + unused
    return Kpis(
        coverage=_ratio(covered, eligible),
        utilization=None if commitment <= 0 else 1 - unused / commitment,
        esr=_ratio(eligible - spent, eligible),
        esr_list=_ratio(listed - spent, listed),
        eligible_ode=eligible,
        covered_ode=covered,
        commitment_cost=commitment,
        unused=unused,
        savings=eligible - spent,
        currency=currency,
        unconverted_rows=int(value("unconverted_rows")),
    )


def _query(
    engine: Engine, start: dt.date, end: dt.date, keys: list[str], fx: FxTable | None, currency: str
) -> pd.DataFrame:
    select = "".join(f"{k}, " for k in keys)
    outer = "".join(f"r.{k.rsplit(' AS ', 1)[1]}, " for k in keys)
    group = "GROUP BY ALL" if keys else ""
    sql = f"""
        WITH e AS ({_ELIGIBLE}), sums AS (
            SELECT {select}r.ChargeDay, r.BillingCurrency, r.ProviderName, r.ServiceName, r.PricingCategory,
                   r.CommitmentDiscountStatus, sum({ode("r")}) AS ode, sum({list_cost("r")}) AS list,
                   sum(r.EffectiveCost) AS effective, count(*) AS rows
            FROM daily_costs r
            WHERE r.ChargeCategory = 'Usage' AND r.ChargeDay >= ? AND r.ChargeDay <= ?
            GROUP BY ALL
        )
        SELECT {outer}{_measures()}
        FROM sums r
        LEFT JOIN e ON e.ProviderName IS NOT DISTINCT FROM r.ProviderName
                   AND e.ServiceName IS NOT DISTINCT FROM r.ServiceName
        {fx_join("r.ChargeDay")}
        {group}
    """
    return engine.query(sql, [start, end], frames={"fx": fx_frame(fx, currency, start, end)})


def kpis(engine: Engine, start: dt.date, end: dt.date, fx: FxTable | None = None, currency: str = "USD") -> Kpis:
    """Coverage, utilisation and ESR over whole UTC days [start, end], from the daily rollup."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return _figures(_query(engine, start, end, [], fx, currency).iloc[0], currency)


def breakdown(
    engine: Engine, start: dt.date, end: dt.date, by: str, fx: FxTable | None = None, currency: str = "USD"
) -> pd.DataFrame:
    """The same figures per value of `by` (one of BREAKDOWNS): coverage of the usage in that group,
    utilisation of the commitments that carry that value (for an account: those bought there)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break commitments down by {by!r}; choose one of {', '.join(BREAKDOWNS)}")
    raw = _query(engine, start, end, [f'r."{by}" AS grp'], fx, currency)
    return _table(raw, "grp", by, currency)


def over_time(
    engine: Engine, start: dt.date, end: dt.date, grain: str, fx: FxTable | None = None, currency: str = "USD"
) -> pd.DataFrame:
    """The same figures per day, week or month (periods named by their first UTC day)."""
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain {grain!r}: choose day, week or month")
    period = "r.ChargeDay" if grain == "day" else f"CAST(date_trunc('{grain}', r.ChargeDay) AS DATE)"
    raw = _query(engine, start, end, [f"{period} AS grp"], fx, currency)
    table = _table(raw, "grp", "period", currency)
    return table.sort_values("period", ignore_index=True)


def _table(raw: pd.DataFrame, key: str, name: str, currency: str) -> pd.DataFrame:
    records = []
    for _, row in raw.iterrows():
        figures = _figures(row, currency)
        if figures.eligible_ode == 0 and figures.commitment_cost == 0:
            continue  # a group with neither eligible usage nor commitments says nothing here
        records.append({name: row[key], **figures.as_dict()})
    columns = [name, *Kpis.__dataclass_fields__]
    frame = pd.DataFrame.from_records(records, columns=columns).drop(columns=["currency"])
    return frame.sort_values("eligible_ode", ascending=False, ignore_index=True)


def by_type(
    engine: Engine, start: dt.date, end: dt.date, fx: FxTable | None = None, currency: str = "USD"
) -> pd.DataFrame:
    """Per provider and CommitmentDiscountType over [start, end]: utilisation, waste, and the share
    of all eligible usage (ODE, as in `kpis`) that this type covers. Reads the line items (the
    rollup has no commitment type), restricted to commitment rows."""
    sql = f"""
        SELECT r.ProviderName AS provider, r.CommitmentDiscountType AS type,
               count(DISTINCT r.CommitmentDiscountId) AS commitments,
               sum({converted("r.EffectiveCost")}) FILTER (WHERE r.CommitmentDiscountStatus = 'Unused') AS unused,
               sum({converted("r.EffectiveCost")}) AS commitment_cost,
               sum({converted(ode())})
                   FILTER (WHERE COALESCE(r.CommitmentDiscountStatus, 'Used') = 'Used') AS covered_ode
        FROM line_items r {fx_join("CAST(r.ChargePeriodStart AS DATE)")}
        WHERE r.ChargeCategory = 'Usage' AND r.PricingCategory = 'Committed' AND r.CommitmentDiscountId IS NOT NULL
          AND r.ChargePeriodStart >= ? AND r.ChargePeriodStart < ?
        GROUP BY ALL
    """
    bounds = [dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())]
    raw = engine.query(sql, bounds, frames={"fx": fx_frame(fx, currency, start, end)})
    eligible = kpis(engine, start, end, fx, currency).eligible_ode
    for column in ("unused", "commitment_cost", "covered_ode"):
        raw[column] = raw[column].astype(float).fillna(0.0)
    raw["utilization"] = (1 - raw["unused"] / raw["commitment_cost"]).where(raw["commitment_cost"] > 0)
    raw["coverage"] = raw["covered_ode"] / eligible if eligible > 0 else None
    columns = ["provider", "type", "commitments", "coverage", "utilization", "unused", "commitment_cost"]
    return raw[columns].sort_values("commitment_cost", ascending=False, ignore_index=True)
