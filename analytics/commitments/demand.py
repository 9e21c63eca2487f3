"""Hourly on-demand-equivalent (ODE) demand of commitment-eligible usage per discount family
(algorithms.md §0.2), split into what each existing commitment covers and what ran on demand.

A discount family is provider | region | instance series | operating system (from SkuPriceDetails,
FOCUS's InstanceSeries / OperatingSystem, else derived from SkuId, ResourceType, SkuMeter or
ChargeDescription by families.py), or provider | region | service for serverless compute.
Eligible rows are Usage at Standard or Committed pricing, never spot,
purchases or unused commitment, of compute instance SKUs, of the serverless compute that flexible
commitments cover (§0.3 and §1.1: AWS Lambda and Fargate for the Compute Savings Plan, GKE and Cloud
Run for GCP flexible CUDs), or of any SKU that a commitment has covered (the empirical fallback of
§0.3). Each family has a `kind` ("instance" or the serverless service) so that per-family
instruments (EC2 Instance SP, RIs, reservations, resource CUDs) never size on serverless usage.

Deviations: serverless rows are matched by ServiceName and their PricingUnit, not by a price list:
"Hours" (EKS / GKE cluster fees) and "Requests" (Lambda and Cloud Run request charges, which savings
plans do not discount) are left out. Azure's savings plan is given virtual machines only (§0.3 names
no other Azure service and we ship no copy of the toolkit's CommitmentDiscountEligibility.csv).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.commitments.eligible import INSTANCE, classified
from analytics.commitments.money import fx_frame, fx_join, ode
from analytics.engine import Engine
from analytics.fx import FxTable, converted

LOOKBACKS = (7, 30, 60)
ON_DEMAND = ""  # the commitment id of usage no commitment covered
DAILY_TOLERANCE = 0.01  # below this share of multi-hour rows the demand counts as hourly
__all__ = ["DAILY_TOLERANCE", "INSTANCE", "LOOKBACKS", "Demand", "load_demand"]


@dataclass(frozen=True)
class Demand:
    """ODE per hour and family over [start, end): `covered[k]` what existing commitment
    `commitments[k]` covered, `on_demand` the rest. Money in `currency`."""

    start: dt.datetime
    end: dt.datetime
    families: tuple[str, ...]
    providers: tuple[str, ...]  # per family
    kinds: tuple[str, ...]  # per family: INSTANCE or a SERVERLESS kind
    commitments: tuple[str, ...]
    on_demand: np.ndarray  # [H, F]
    covered: np.ndarray  # [K, H, F]
    covered_effective: np.ndarray  # [K, F] what that coverage cost (amortised), over the window
    daily: np.ndarray  # [F] ODE that came in rows longer than an hour (spread evenly over their hours)
    currency: str

    @property
    def hours(self) -> int:
        return int(self.on_demand.shape[0])

    @property
    def total(self) -> np.ndarray:
        """E: all eligible usage, covered or not, [H, F]."""
        return self.on_demand + self.covered.sum(axis=0)

    def daily_share_of(self, mask: np.ndarray | None = None) -> float:
        """Share of the ODE (of the families in `mask`, default all) that came in multi-hour rows."""
        keep = np.ones(len(self.families), dtype=bool) if mask is None else mask
        whole = float(self.total[:, keep].sum())
        return float(self.daily[keep].sum()) / whole if whole > 0 else 0.0

    @property
    def daily_share(self) -> float:
        return self.daily_share_of()

    @property
    def is_hourly(self) -> bool:
        return self.daily_share < DAILY_TOLERANCE

    def families_of(self, provider_match: tuple[str, ...], kinds: tuple[str, ...] | None = None) -> np.ndarray:
        """Families of these providers (ProviderName, lower-case) and, when given, of these kinds."""
        return np.array(
            [
                p.strip().lower() in provider_match and (kinds is None or k in kinds)
                for p, k in zip(self.providers, self.kinds, strict=True)
            ],
            dtype=bool,
        )


_ELIGIBLE_USAGE = "ChargeCategory = 'Usage' AND PricingCategory IN ('Standard', 'Committed')"


def _window(engine: Engine, lookback_days: int) -> tuple[dt.datetime, dt.datetime] | None:
    """The lookback ends with the last hour of eligible usage in the data."""
    # The rollup names the last day (ChargeDay is the UTC day of ChargePeriodStart); the line items
    # are then read from that day on only, which their time zone maps make cheap.
    day = engine.query(f"SELECT max(ChargeDay) AS day FROM daily_costs WHERE {_ELIGIBLE_USAGE}")
    if day.empty or pd.isna(day["day"].iloc[0]):
        return None
    since = dt.datetime.combine(pd.Timestamp(day["day"].iloc[0]).date(), dt.time())
    frame = engine.query(
        f"SELECT max(ChargePeriodStart) AS last FROM line_items WHERE {_ELIGIBLE_USAGE} AND ChargePeriodStart >= ?",
        [since],
    )
    if frame.empty or pd.isna(frame["last"].iloc[0]):
        return None
    end = pd.Timestamp(frame["last"].iloc[0]).floor("h").to_pydatetime() + dt.timedelta(hours=1)
    return end - dt.timedelta(days=lookback_days), end


def load_demand(
    engine: Engine, lookback_days: int = 30, fx: FxTable | None = None, currency: str = "USD"
) -> Demand | None:
    """The hourly demand over the last `lookback_days`; None when no usage in it is eligible
    (eligible.explain then says what was found and why)."""
    if lookback_days < 1:
        raise ValueError(f"lookback of {lookback_days} days: must be at least 1")
    window = _window(engine, lookback_days)
    if window is None:
        return None
    start, end = window
    cte, params, frames = classified(engine, start, end)
    frames["fx"] = fx_frame(fx, currency, start.date(), end.date())
    sql = f"""
        WITH {cte}
        SELECT date_trunc('hour', r.ChargePeriodStart) AS hour,
               greatest(1, date_diff('hour', r.ChargePeriodStart, r.ChargePeriodEnd)) AS span,
               CASE WHEN r.series IS NOT NULL AND r.kind = '{INSTANCE}'
                    THEN concat_ws('|', r.ProviderName, COALESCE(r.RegionId, ''), r.series, COALESCE(r.os, ''))
                    WHEN r.kind = '{INSTANCE}'
                    THEN concat_ws('|', r.ProviderName, COALESCE(r.RegionId, ''), COALESCE(r.SkuId, r.ServiceName), '')
                    ELSE concat_ws('|', r.ProviderName, COALESCE(r.RegionId, ''), r.ServiceName, '') END AS family,
               r.kind AS kind,
               r.ProviderName AS provider,
               CASE WHEN r.PricingCategory = 'Committed' THEN COALESCE(r.CommitmentDiscountId, '?') ELSE '' END AS cid,
               sum({converted(ode())}) AS ode,
               sum({converted("r.EffectiveCost")}) AS effective
        FROM classified r {fx_join("CAST(r.ChargePeriodStart AS DATE)")}
        WHERE r.refused IS NULL AND r.kind IS NOT NULL
        GROUP BY ALL
        HAVING sum({converted(ode())}) IS NOT NULL
    """
    raw = engine.query(sql, params, frames=frames)
    return _arrays(raw, start, end, currency)


def _arrays(raw: pd.DataFrame, start: dt.datetime, end: dt.datetime, currency: str) -> Demand | None:
    if raw.empty:
        return None
    hours = int((end - start).total_seconds() // 3600)
    families = tuple(sorted(raw["family"].unique()))
    providers = tuple(raw.groupby("family")["provider"].first().reindex(families))
    kinds = tuple(raw.groupby("family")["kind"].first().reindex(families))
    commitments = tuple(sorted(c for c in raw["cid"].unique() if c != ON_DEMAND))
    f_index = {f: i for i, f in enumerate(families)}
    k_index = {c: i + 1 for i, c in enumerate(commitments)}  # slot 0 is on demand
    ode_values = raw["ode"].astype(float).to_numpy()
    span = raw["span"].astype(int).to_numpy()
    first = ((pd.to_datetime(raw["hour"]) - pd.Timestamp(start)) // pd.Timedelta(hours=1)).astype(int).to_numpy()
    slot = raw["cid"].map(lambda c: k_index.get(c, 0)).to_numpy()
    fam = raw["family"].map(f_index).to_numpy()
    # A row longer than an hour (a daily export) is spread evenly over its hours: intra-day troughs
    # are lost, which is why the page warns that the optimum is then overestimated (§0.2).
    reps = np.clip(span, 1, None)
    hour = np.repeat(first, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    amount = np.repeat(ode_values / reps, reps)
    keep = (hour >= 0) & (hour < hours)
    grid = np.zeros((len(commitments) + 1, hours, len(families)))
    np.add.at(grid, (np.repeat(slot, reps)[keep], hour[keep], np.repeat(fam, reps)[keep]), amount[keep])
    covered_effective = np.zeros((len(commitments), len(families)))
    used = slot > 0
    np.add.at(covered_effective, (slot[used] - 1, fam[used]), raw["effective"].astype(float).to_numpy()[used])
    daily = np.zeros(len(families))
    multi_hour = np.repeat(reps > 1, reps) & keep
    np.add.at(daily, np.repeat(fam, reps)[multi_hour], amount[multi_hour])
    return Demand(
        start=start,
        end=end,
        families=families,
        providers=providers,
        kinds=kinds,
        commitments=commitments,
        on_demand=grid[0],
        covered=grid[1:],
        covered_effective=covered_effective,
        daily=daily,
        currency=currency,
    )
