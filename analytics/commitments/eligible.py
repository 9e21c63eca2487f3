"""Which usage rows a commitment could cover (algorithms.md §0.1-0.3), and, when none can, what was
found and why none qualified.

Every Usage row of the window gets a `kind` (INSTANCE, a serverless kind, or NULL when no commitment
covers it), its instance `series` and `os` (families.derive, run once per distinct SKU description
rather than per row), and `refused`: why its pricing rules it out (spot, unused commitment), or NULL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.commitments.families import AWS_SERVICES, AZURE_SERVICES, GCP_SERVICES, derive
from analytics.commitments.money import fx_frame, fx_join
from analytics.engine import Engine
from analytics.fx import FxTable, converted

COMPUTE_SERVICES = (*AWS_SERVICES, *AZURE_SERVICES, *GCP_SERVICES)
INSTANCE = "instance"
# ServiceName -> kind of the serverless compute a flexible commitment covers (instruments.py says which)
SERVERLESS = {"AWS Lambda": "lambda", "AWS Fargate": "fargate", "Kubernetes Engine": "gke", "Cloud Run": "cloud-run"}
NOT_DISCOUNTED_UNITS = ("Hours", "Requests")  # cluster fees and request charges of those services
SKU_COLUMNS = ("ServiceName", "SkuId", "ResourceType", "SkuMeter", "ChargeDescription", "SkuPriceDetails")
NO_INSTANCE = "no instance type in SkuPriceDetails, SkuId, ResourceType, SkuMeter or ChargeDescription"
NOT_COMPUTE = "not a compute service that commitments cover"
NOT_DISCOUNTED = "cluster fees and request charges: not discounted by commitments"
ELIGIBLE = "eligible"


def _skus(engine: Engine, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Each distinct SKU description of compute usage in the window, with its derived instance."""
    columns = ", ".join(SKU_COLUMNS)
    frame = engine.query(
        f"SELECT DISTINCT {columns} FROM line_items WHERE ChargePeriodStart >= $start AND ChargePeriodStart < $end "
        "AND ChargeCategory = 'Usage' AND list_contains($compute, ServiceName)",
        {"start": start, "end": end, "compute": list(COMPUTE_SERVICES)},
    )
    found = [derive(*(None if pd.isna(v) else str(v) for v in values)) for values in frame.itertuples(index=False)]
    frame["series"] = [f.series if f else None for f in found]
    frame["os"] = [f.os if f else None for f in found]
    return frame.astype(object).where(frame.notna(), None)


def classified(engine: Engine, start: dt.datetime, end: dt.datetime) -> tuple[str, dict[str, object], dict]:
    """SQL for CTE `classified` (one row per Usage line item in [start, end)), its parameters and the
    frames it names."""
    casts = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in (*SKU_COLUMNS, "series", "os"))
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM r.{c}" for c in SKU_COLUMNS)
    sql = f"""
        committed_skus AS (
            SELECT DISTINCT ProviderName, SkuId FROM line_items
            WHERE ChargeCategory = 'Usage' AND PricingCategory = 'Committed'
              AND COALESCE(CommitmentDiscountStatus, 'Used') = 'Used' AND SkuId IS NOT NULL
        ),
        classified AS (
            SELECT r.ChargePeriodStart, r.ChargePeriodEnd, r.ProviderName, r.RegionId, r.ServiceName, r.SkuId,
                   r.PricingCategory, r.PricingUnit, r.CommitmentDiscountId, r.BillingCurrency,
                   r.EffectiveCost, r.ContractedCost, r.ListCost, s.series, s.os,
                   CASE WHEN s.series IS NOT NULL AND list_contains($compute, r.ServiceName) THEN '{INSTANCE}'
                        WHEN sv.kind IS NOT NULL AND NOT list_contains($units, COALESCE(r.PricingUnit, '')) THEN sv.kind
                        WHEN (r.ProviderName, r.SkuId) IN (SELECT (ProviderName, SkuId) FROM committed_skus)
                        THEN '{INSTANCE}' END AS kind,
                   CASE WHEN r.PricingCategory = 'Dynamic' THEN 'spot or dynamic pricing: never covered'
                        WHEN r.PricingCategory IS NULL OR r.PricingCategory NOT IN ('Standard', 'Committed')
                        THEN 'PricingCategory ' || COALESCE(r.PricingCategory, 'empty')
                             || ': only Standard or Committed usage is covered'
                        WHEN r.CommitmentDiscountStatus = 'Unused' THEN 'unused commitment' END AS refused
            FROM line_items r
            LEFT JOIN (SELECT {casts} FROM skus) s ON {same}
            LEFT JOIN serverless sv ON sv.service = r.ServiceName
            WHERE r.ChargePeriodStart >= $start AND r.ChargePeriodStart < $end AND r.ChargeCategory = 'Usage'
        )"""
    params: dict[str, object] = {
        "start": start,
        "end": end,
        "compute": list(COMPUTE_SERVICES),
        "units": list(NOT_DISCOUNTED_UNITS),
    }
    frames = {
        "skus": _skus(engine, start, end),
        "serverless": pd.DataFrame({"service": list(SERVERLESS), "kind": list(SERVERLESS.values())}),
    }
    return sql, params, frames


@dataclass(frozen=True)
class Finding:
    """Usage rows of one service over the window and why they are (not) eligible."""

    provider: str
    service: str
    reason: str
    rows: int
    cost: float  # EffectiveCost in the reporting currency (rows without an exchange rate left out)


@dataclass(frozen=True)
class Explanation:
    start: dt.datetime
    end: dt.datetime
    currency: str
    findings: tuple[Finding, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.findings)

    def summary(self, instrument: str | None = None) -> str:
        days = round((self.end - self.start).total_seconds() / 86400)
        target = f"an {instrument}" if instrument else "a commitment"
        return (
            f"{self.rows:,} usage rows in the last {days} days "
            f"({self.start:%Y-%m-%d} to {self.end - dt.timedelta(hours=1):%Y-%m-%d}), none eligible for {target}"
        )


def usage_window(engine: Engine, lookback_days: int) -> tuple[dt.datetime, dt.datetime] | None:
    """The lookback ending with the last hour of any usage in the data."""
    frame = engine.query("SELECT max(ChargePeriodStart) AS last FROM line_items WHERE ChargeCategory = 'Usage'")
    if frame.empty or pd.isna(frame["last"].iloc[0]):
        return None
    end = pd.Timestamp(frame["last"].iloc[0]).floor("h").to_pydatetime() + dt.timedelta(hours=1)
    return end - dt.timedelta(days=lookback_days), end


def explain(
    engine: Engine,
    lookback_days: int,
    fx: FxTable | None = None,
    currency: str = "USD",
    served: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> Explanation | None:
    """Usage rows and cost per provider, service and reason over the last `lookback_days` of usage;
    None when there is no usage at all. `served` = (providers, kinds) of the instrument asked for:
    eligible usage it does not serve is named as such."""
    window = usage_window(engine, lookback_days)
    if window is None:
        return None
    start, end = window
    cte, params, frames = classified(engine, start, end)
    frames["fx"] = fx_frame(fx, currency, start.date(), end.date())
    reason = f"""COALESCE(r.refused, CASE
        WHEN r.kind IS NOT NULL AND fx.factor IS NULL THEN 'no exchange rate for ' || r.BillingCurrency
        WHEN r.kind IS NOT NULL THEN '{ELIGIBLE}'
        WHEN list_contains($compute, r.ServiceName) THEN '{NO_INSTANCE}'
        WHEN r.ServiceName IN (SELECT service FROM serverless) THEN '{NOT_DISCOUNTED}'
        ELSE '{NOT_COMPUTE}' END)"""
    frame = engine.query(
        f"""WITH {cte}
        SELECT COALESCE(r.ProviderName, '') AS provider, COALESCE(r.ServiceName, '') AS service,
               COALESCE(r.kind, '') AS kind, {reason} AS reason, count(*) AS rows,
               COALESCE(sum({converted("r.EffectiveCost")}), 0) AS cost
        FROM classified r {fx_join("CAST(r.ChargePeriodStart AS DATE)")}
        GROUP BY ALL ORDER BY cost DESC, rows DESC, service""",
        params,
        frames=frames,
    )
    findings = []
    for provider, service, kind, why, rows, cost in zip(
        frame["provider"], frame["service"], frame["kind"], frame["reason"], frame["rows"], frame["cost"], strict=True
    ):
        if why == ELIGIBLE and served is not None:
            providers, kinds = served
            if str(provider).strip().lower() not in providers:
                why = f"eligible, but for {provider} commitments"
            elif kind not in kinds:
                why = f"eligible, but only for instruments that cover {kind}"
        findings.append(Finding(str(provider), str(service), str(why), int(rows), float(cost)))
    return Explanation(start, end, currency, tuple(findings))
