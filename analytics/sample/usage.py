"""Usage line items of one provider-month as numeric facts: hourly VMs and databases, daily the rest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from analytics.sample.commitments import commitment_eligibility, fill_commitment
from analytics.sample.company import NEGOTIATED_DISCOUNT, PROVIDER_INDEX, PROVIDERS, SPOT_PRICE, Provider
from analytics.sample.plan import Plan
from analytics.sample.window import ONE_DAY, ONE_HOUR, expand, running_hours


@dataclass(frozen=True)
class Chunk:
    provider: Provider
    period: int  # index into window.periods
    h0: int  # first window hour with data
    h1: int  # exclusive
    rng: np.random.Generator

    @property
    def d0(self) -> int:
        return self.h0 // 24

    @property
    def d1(self) -> int:
        return self.h1 // 24


class Arrays:
    """Per-resource numpy columns of the plan, looked up by row."""

    def __init__(self, plan: Plan) -> None:
        res = plan.res
        self.provider = res["provider_idx"].to_numpy()
        self.schedule = res["schedule"].to_numpy()
        self.start = res["start"].to_numpy()
        self.end = res["end"].to_numpy()
        self.spot = res["spot"].to_numpy(dtype=bool)
        self.price = res["ListUnitPrice"].to_numpy(dtype=float)
        self.priority = res["priority"].to_numpy()
        self.qty = res["qty"].to_numpy(dtype=float)
        self.growth = res["growth"].to_numpy(dtype=float)
        self.weekly = res["weekly"].to_numpy(dtype=float)
        self.noise = res["noise"].to_numpy(dtype=float)
        third_party = res["third_party"].to_numpy(dtype=bool)
        neg = np.array([NEGOTIATED_DISCOUNT[p.key] for p in PROVIDERS])[self.provider]
        self.contracted = np.where(third_party, 1.0, 1 - neg)
        self.util_kind = res["util_kind"].to_numpy()
        self.cpu_base = res["cpu_base"].to_numpy()
        self.mem_base = res["mem_base"].to_numpy()
        self.commit = {c.index: commitment_eligibility(res, c.spec) for c in plan.commitments}
        self.anomaly = np.full(len(res), -1)
        for i, a in enumerate(plan.anomalies):
            match = (
                (self.provider == PROVIDER_INDEX[a.spec.provider])
                & (res["ServiceName"] == a.spec.service).to_numpy()
                & (res["SubAccountId"] == a.account.id).to_numpy()
            )
            self.anomaly[match] = i


def _usage_table(
    rid: np.ndarray,
    start: np.ndarray,
    width: np.timedelta64,
    qty: np.ndarray,
    prices: tuple[np.ndarray, np.ndarray],  # list and contracted unit prices
    effective: np.ndarray,
    billed: np.ndarray,
    commitment: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,  # pricing code, index, quantity
) -> pa.Table:
    """Usage line items as numbers; INSERT_USAGE joins the resource, commitment and month columns."""
    none = np.zeros(len(rid), dtype=np.int8), np.full(len(rid), -1, dtype=np.int16), np.zeros(len(rid))
    pricing, cidx, cqty = commitment or none
    return pa.table(
        {
            "rid": rid.astype(np.int32),
            "ChargePeriodStart": start,
            "ChargePeriodEnd": start + width,
            "PricingQuantity": qty,
            "ListCost": prices[0] * qty,
            "ContractedCost": prices[1] * qty,
            "ContractedUnitPrice": prices[1],
            "EffectiveCost": effective,
            "BilledCost": billed,
            "pricing": pricing.astype(np.int8),  # 0 Standard, 1 Committed, 2 Dynamic
            "cidx": cidx.astype(np.int16),
            "CommitmentDiscountQuantity": cqty,
        }
    )


def hourly_usage(
    plan: Plan, arrays: Arrays, chunk: Chunk
) -> tuple[pa.Table, dict[int, np.ndarray], np.ndarray, np.ndarray]:
    """Hourly VM and database rows with commitments applied; also the unused units per hour of
    each commitment and the (resource, hour) pairs, for utilisation."""
    p = PROVIDER_INDEX[chunk.provider.key]
    sel = (arrays.provider == p) & (arrays.schedule >= 0) & (arrays.start < chunk.h1) & (arrays.end > chunk.h0)
    columns = (arrays.start, arrays.end, arrays.schedule, arrays.priority)
    on = [chunk.h0 + np.flatnonzero(mask[chunk.h0 : chunk.h1]) for mask in plan.masks]
    rid, hour = running_hours(np.flatnonzero(sel), columns, on)
    price = arrays.price[rid]
    spot = arrays.spot[rid]
    contracted_unit = np.where(spot, price * SPOT_PRICE, price * arrays.contracted[rid])
    effective = contracted_unit.copy()
    billed = contracted_unit.copy()
    pricing = np.where(spot, 2, 0)
    cidx = np.full(len(rid), -1)
    cqty = np.zeros(len(rid))
    unused: dict[int, np.ndarray] = {}
    for c in (c for c in plan.commitments if c.spec.provider == chunk.provider.key):
        ok, units = arrays.commit[c.index]
        capacity = c.units_per_hour(chunk.h0, chunk.h1)
        covered, used = fill_commitment(hour - chunk.h0, units[rid], ok[rid] & (cidx < 0), capacity)
        cidx[covered] = c.index
        cqty[covered] = units[rid][covered]
        effective[covered] = cqty[covered] * c.rate
        billed[covered] = 0.0
        pricing[covered] = 1
        unused[c.index] = np.maximum(capacity - used, 0.0)
    start = np.datetime64(plan.window.start, "us") + hour * ONE_HOUR
    prices = (price, contracted_unit)
    table = _usage_table(rid, start, ONE_HOUR, np.ones(len(rid)), prices, effective, billed, (pricing, cidx, cqty))
    return table, unused, rid, hour


def daily_usage(plan: Plan, arrays: Arrays, chunk: Chunk, anomaly_extra: np.ndarray) -> pa.Table:
    """Daily rows: quantity grows, dips at weekends, is noisy; anomalies multiply it for a few days.
    Adds each anomaly's extra cost per day into anomaly_extra[anomaly, day]."""
    p = PROVIDER_INDEX[chunk.provider.key]
    sel = np.flatnonzero(
        (arrays.provider == p) & (arrays.schedule < 0) & (arrays.start < chunk.d1) & (arrays.end > chunk.d0)
    )
    pos, day = expand(arrays.start[sel], arrays.end[sel], np.arange(chunk.d0, chunk.d1))
    rid = sel[pos]
    weekend = (plan.window.start.weekday() + day) % 7 >= 5
    noise = arrays.noise[rid]
    qty = (
        arrays.qty[rid]
        * np.power(1 + arrays.growth[rid], day / 30.44)
        * np.where(weekend, 1 - arrays.weekly[rid], 1.0)
        * np.exp(noise * chunk.rng.standard_normal(len(rid)) - noise**2 / 2)
    )
    contracted_unit = arrays.price[rid] * arrays.contracted[rid]
    factor = np.ones(len(rid))
    for i, a in enumerate(plan.anomalies):
        hit = (arrays.anomaly[rid] == i) & (day >= a.first_day) & (day <= a.last_day)
        factor[hit] = a.spec.factor
        extra = qty[hit] * contracted_unit[hit] * (a.spec.factor - 1)
        np.add.at(anomaly_extra[i], day[hit], extra)
    qty = qty * factor
    cost = qty * contracted_unit
    start = np.datetime64(plan.window.start, "us") + day * ONE_DAY
    return _usage_table(rid, start, ONE_DAY, qty, (arrays.price[rid], contracted_unit), cost, cost)
