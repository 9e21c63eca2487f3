"""What the cost data says about each measured resource over the lookback: its instance type,
provider, region, running hours, cost on the chosen basis (through `spend`, so in the reporting
currency and with whatever allocation applies), list rate, owner, account and commitment cover."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable
from analytics.queries import UnknownDimension, check_dimension, data_span, spend
from analytics.rightsizing.shapes import Shapes, provider_key
from analytics.schema import Filters, Metric

HOUR_UNITS = ("hours", "hour", "hrs", "hr")
OWNER = "tag:team"

# One row per resource: the latest of its descriptive columns, and its instance-hours in the window.
_FACTS_SQL = """
    SELECT ResourceId AS resource_id,
           arg_max(ProviderName, ChargePeriodStart) AS provider_name,
           coalesce(arg_max(RegionId, ChargePeriodStart), '') AS region,
           arg_max(ResourceName, ChargePeriodStart) AS resource_name,
           arg_max(SubAccountName, ChargePeriodStart) AS account,
           arg_max(SkuPriceDetails, ChargePeriodStart) AS sku_details,
           arg_max(SkuMeter, ChargePeriodStart) AS sku_meter,
           arg_max(ChargeDescription, ChargePeriodStart) AS description,
           sum(PricingQuantity) AS running_hours,
           sum(CAST(ListCost AS DOUBLE)) AS list_cost,
           sum(PricingQuantity) FILTER (WHERE CommitmentDiscountId IS NOT NULL) AS committed_hours,
           mode(CommitmentDiscountType) FILTER (WHERE CommitmentDiscountId IS NOT NULL) AS commitment
    FROM line_items
    WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND ChargeCategory = 'Usage'
      AND lower(PricingUnit) IN (SELECT unnest(?::VARCHAR[]))
      AND ResourceId IN (SELECT resource_id FROM ids)
    GROUP BY ResourceId
"""


def owner_dimension(engine: Engine, wanted: str | None = OWNER) -> str | None:
    """The owner dimension if the data has it (tag:team by default), else None."""
    if wanted is None:
        return None
    try:
        return check_dimension(engine, wanted)
    except UnknownDimension:
        return None


def resource_facts(
    engine: Engine,
    fx: FxTable,
    shapes: Shapes,
    ids: Sequence[str],
    start: dt.date,
    end: dt.date,
    metric: Metric,
    currency: str,
    owner: str | None,
) -> pd.DataFrame:
    """One row per resource of `ids` that has instance-hours in [start, end]: `cost` (basis,
    reporting currency), `running_hours`, `monthly_hours`, `list_rate` (billing currency), owner."""
    begin, stop = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    ids_frame = pd.DataFrame({"resource_id": list(ids)}, dtype=object)
    facts = engine.query(_FACTS_SQL, [begin, stop, list(HOUR_UNITS)], frames={"ids": ids_frame})
    if facts.empty:
        return facts
    facts["provider"] = facts["provider_name"].map(provider_key)
    facts["instance_type"] = [
        shapes.match(p, [d, m, c])
        for p, d, m, c in zip(
            facts["provider"], facts["sku_details"], facts["sku_meter"], facts["description"], strict=True
        )
    ]
    facts["list_rate"] = (facts["list_cost"] / facts["running_hours"]).where(facts["list_cost"] > 0)
    facts["committed_share"] = (facts["committed_hours"].fillna(0) / facts["running_hours"]).clip(0, 1)
    span = data_span(engine)
    last_cost_day = min(end, span[1]) if span else end
    window_hours = max(((last_cost_day - start).days + 1) * 24, 1)
    facts["monthly_hours"] = facts["running_hours"] * 730.0 / window_hours
    costs = _costs(engine, fx, list(facts["resource_id"]), start, end, metric, currency, owner)
    facts = facts.merge(costs, on="resource_id", how="left")
    facts["rate"] = facts["cost"] / facts["running_hours"]
    return facts.drop(columns=["sku_details", "sku_meter", "description", "list_cost", "committed_hours"])


def _costs(
    engine: Engine,
    fx: FxTable,
    ids: list[str],
    start: dt.date,
    end: dt.date,
    metric: Metric,
    currency: str,
    owner: str | None,
) -> pd.DataFrame:
    """Cost per resource of its instance-hours, and the owner carrying most of it."""
    units = engine.query(
        "SELECT DISTINCT PricingUnit FROM line_items WHERE lower(PricingUnit) IN (SELECT unnest(?::VARCHAR[]))",
        [list(HOUR_UNITS)],
    )
    where: dict[str, list[str | None]] = {
        "ResourceId": list(ids),
        "PricingUnit": [str(u) for u in units["PricingUnit"]],
        "ChargeCategory": ["Usage"],
    }
    group_by = ["ResourceId", *([owner] if owner else [])]
    result = spend(engine, fx, Filters.of(start, end, where), group_by, metric, currency=currency)
    frame = result.frame.rename(columns={"ResourceId": "resource_id"})
    frame["cost"] = frame["cost"].astype(float)
    if owner:
        frame = frame.rename(columns={owner: "owner"})
        top = frame.sort_values("cost", ascending=False).drop_duplicates("resource_id")
        totals = frame.groupby("resource_id", as_index=False)["cost"].sum()
        return totals.merge(top[["resource_id", "owner"]], on="resource_id")
    return frame.assign(owner=None)[["resource_id", "cost", "owner"]]
