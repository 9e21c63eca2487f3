"""Commitments: sized from the planned fleet so coverage and utilisation come out realistic."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.sample.catalog import OFFERING_INDEX, OFFERINGS
from analytics.sample.company import NEGOTIATED_DISCOUNT, PROVIDER_INDEX, PROVIDERS, Account, Provider
from analytics.sample.ids import sku_id, stable_code
from analytics.sample.resources import hourly_vms
from analytics.sample.window import Window, add_months, midnight, running_hours


@dataclass(frozen=True)
class CommitmentSpec:
    key: str
    provider: str
    id: str
    name: str
    category: str  # Spend | Usage
    type: str
    unit: str  # CommitmentDiscountUnit
    service: str  # the ServiceName its purchase and unused rows carry
    family: str  # "" = any VM of the provider (a compute savings plan)
    region: str  # "" = any region
    discount: float  # off the list price of covered usage
    reference: str  # offering whose list price per unit prices the commitment ("" when spend-based)
    units_per_vcpu: float  # commitment units one vCPU-hour consumes (usage-based)
    upfront: bool
    term_months: int
    starts_month: int | None  # counted back from the current month; None = bought before the window
    target: float  # coverage share to size for; 0 = cover half the steady eligible fleet
    role: str  # purchasing account


# Applied in this order within a provider: reserved instances before the savings plan, as AWS does.
# fmt: off
COMMITMENTS: tuple[CommitmentSpec, ...] = (
    CommitmentSpec(
        "aws-ri", "aws", "arn:aws:ec2:us-east-1:445678901234:reserved-instances/7d2e9b41-0c3a-4f58-b6e1-9a8c5d2f3e10",
        "m6i.xlarge Linux us-east-1 Reserved Instances (1 year, all upfront)", "Usage", "Reserved Instance", "Hours",
        "Amazon Elastic Compute Cloud", "m6i", "us-east-1", 0.40, "aws:m6i.xlarge", 0.25, True, 12, -11, 0.0,
        "shared"),
    CommitmentSpec(
        "aws-sp", "aws", "arn:aws:savingsplans::400011112222:savingsplan/3c9f7a2e-5b1d-4e8a-9f0c-2d6b8e1a4c70",
        "Compute Savings Plan (3 years, no upfront)", "Spend", "Savings Plan", "USD",
        "Savings Plans for AWS Compute usage", "", "", 0.40, "", 0.0, False, 36, None, 0.66, "management"),
    CommitmentSpec(
        "azure-ri", "azure",
        "/providers/Microsoft.Capacity/reservationOrders/5e8d1c2a-6b3f-4a7e-9c1d-2f4a6b8c0e13"
        "/reservations/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "VM RI - Dsv5 Series West Europe (3 years, monthly)", "Usage", "Reservation", "Hours", "Virtual Machines",
        "dsv5", "westeurope", 0.52, "azure:Standard_D4s_v5", 0.25, False, 36, None, 0.60, "shared"),
    CommitmentSpec(
        "gcp-cud", "gcp", "projects/kestrel-platform/regions/europe-west1/commitments/cud-n2-europe-west1-3y",
        "N2 vCPU commitment europe-west1 (3 years)", "Usage", "Committed Use Discount", "vCPU-Hours",
        "Compute Engine", "n2", "europe-west1", 0.55, "gcp:n2-standard-4", 1.0, False, 36, None, 0.58, "shared"),
)
# fmt: on


@dataclass(frozen=True)
class Commitment:
    spec: CommitmentSpec
    index: int
    capacity: float  # commitment units per hour
    rate: float  # effective cost of one unit, in the billing currency
    start_hour: int  # window-relative; negative when bought before the window
    end_hour: int
    account: Account
    sku_id: str
    price_code: str

    def units_per_hour(self, lo: int, hi: int) -> np.ndarray:
        """Capacity of each window hour in [lo, hi): zero outside the term."""
        hours = np.arange(lo, hi)
        return np.where((hours >= self.start_hour) & (hours < self.end_hour), self.capacity, 0.0)


def coverable_vms(res: pd.DataFrame, provider: str) -> np.ndarray:
    """Per resource: a VM of the provider that a commitment could cover (spot capacity cannot be)."""
    return (
        hourly_vms(res)
        & (res["provider_idx"].to_numpy() == PROVIDER_INDEX[provider])
        & ~res["spot"].to_numpy(dtype=bool)
    )


def commitment_eligibility(res: pd.DataFrame, spec: CommitmentSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per resource: whether the commitment can cover it, and the units one hour of it consumes."""
    ok = coverable_vms(res, spec.provider)
    if spec.family:
        ok &= (res["family"] == spec.family).to_numpy()
    if spec.region:
        ok &= (res["RegionId"] == spec.region).to_numpy()
    if spec.category == "Spend":
        units = res["ListUnitPrice"].to_numpy(dtype=float) * (1 - spec.discount)
    else:
        units = res["vcpu"].to_numpy(dtype=float) * spec.units_per_vcpu
    return ok, np.where(ok, units, 0.0)


def _term(window: Window, spec: CommitmentSpec) -> tuple[int, int]:
    if spec.starts_month is None:
        bought = (window.start - dt.timedelta(days=200)).date()
    else:
        index = max(0, len(window.periods) - 1 + spec.starts_month)
        bought = window.periods[index][0].date()
    ends = add_months(bought.replace(day=1), spec.term_months).replace(day=bought.day)
    return window.hour(midnight(bought)), window.hour(midnight(ends))


@dataclass
class _VmHours:
    """A provider's coverable VM-hours at every k-th hour (k coprime with the week, so every hour of
    the week is represented), in the order the real rows are filled, and what is covered so far."""

    rid: np.ndarray
    hour: np.ndarray
    uncovered_cost: np.ndarray  # EffectiveCost of each row when no commitment covers it
    hours: int
    covered: np.ndarray
    covered_cost: float = 0.0  # EffectiveCost of the rows covered so far

    @classmethod
    def sample(cls, res: pd.DataFrame, masks: np.ndarray, provider: Provider) -> _VmHours:
        chosen = np.flatnonzero(coverable_vms(res, provider.key))
        start, end, schedule, priority = (res[c].to_numpy() for c in ("start", "end", "schedule", "priority"))
        total = int((end[chosen] - start[chosen]).sum())
        stride = next(
            k for k in (1, 5, 11, 13, 17, 19, 23, 25, 29, 31, 37, 41, 43, 47) if total / k < 150_000 or k == 47
        )
        sampled = np.arange(masks.shape[1]) % stride == 0
        on = [np.flatnonzero(mask & sampled) for mask in masks]
        rid, hour = running_hours(chosen, (start, end, schedule, priority), on)
        cost = res["ListUnitPrice"].to_numpy(dtype=float)[rid] * (1 - NEGOTIATED_DISCOUNT[provider.key])
        return cls(rid, hour, cost, masks.shape[1], np.zeros(len(rid), dtype=bool))

    def fill(self, eligible: np.ndarray, units: np.ndarray, capacity: float) -> tuple[np.ndarray, np.ndarray]:
        return fill_commitment(self.hour, units, eligible, np.full(self.hours, capacity))

    def coverage(self, hit: np.ndarray, units: np.ndarray, rate: float) -> float:
        """Share of the provider's VM EffectiveCost that commitments cover, if `hit` were covered too."""
        covered = self.covered_cost + float(units[hit].sum()) * rate
        rest = float(self.uncovered_cost[~self.covered & ~hit].sum())
        return covered / (covered + rest) if covered + rest > 0 else 0.0


def size_commitments(res: pd.DataFrame, window: Window, masks: np.ndarray) -> tuple[Commitment, ...]:
    """Capacity of each commitment, found by running the real fill on a sample of hours."""
    out: list[Commitment] = []
    for provider in PROVIDERS:
        vm_hours = _VmHours.sample(res, masks, provider)
        for spec in (c for c in COMMITMENTS if c.provider == provider.key):
            ok, units = commitment_eligibility(res, spec)
            start, end = _term(window, spec)
            live = (vm_hours.hour >= start) & (vm_hours.hour < end)
            eligible, row_units = ok[vm_hours.rid] & live & ~vm_hours.covered, units[vm_hours.rid]
            rate = _unit_rate(spec)
            capacity = _capacity(spec, vm_hours, eligible, row_units, rate, live)
            hit = vm_hours.fill(eligible, row_units, capacity)[0]
            vm_hours.covered_cost += float(row_units[hit].sum()) * rate
            vm_hours.covered |= hit
            out.append(
                Commitment(
                    spec=spec,
                    index=len(out),
                    capacity=capacity,
                    rate=rate,
                    start_hour=start,
                    end_hour=end,
                    account=provider.account(spec.role),
                    sku_id=sku_id(provider.key, spec.key),
                    price_code=stable_code(10, spec.key, "rate"),
                )
            )
    return tuple(out)


def _capacity(
    spec: CommitmentSpec, vm_hours: _VmHours, eligible: np.ndarray, units: np.ndarray, rate: float, live: np.ndarray
) -> float:
    """Reserved instances without a target were bought for half the steady fleet of their family;
    the others are sized so the provider's coverage comes near their target without much waste."""
    step = 0.01 if spec.category == "Spend" else 1.0  # dollars per hour, or whole units
    demand = np.bincount(vm_hours.hour[eligible], weights=units[eligible], minlength=vm_hours.hours)
    live_hours = np.unique(vm_hours.hour[live])
    busy = demand[live_hours] if len(live_hours) else np.zeros(1)
    if spec.target <= 0:
        return max(step, round(0.5 * float(np.quantile(busy, 0.3)) / step) * step)
    lo, hi = 0.0, float(np.quantile(busy, 0.9))
    for _ in range(30):
        mid = (lo + hi) / 2
        if vm_hours.coverage(vm_hours.fill(eligible, units, mid)[0], units, rate) < spec.target:
            lo = mid
        else:
            hi = mid
    # Whole units and big machines move coverage in steps: weigh the distance to the target against
    # the waste, also trying each option trimmed to what it can actually use.
    options = {max(step, math.floor(lo / step) * step), max(step, math.ceil(hi / step) * step)}
    options |= {max(step, math.ceil(float(vm_hours.fill(eligible, units, c)[1].max()) / step) * step) for c in options}

    def badness(capacity: float) -> float:
        hit = vm_hours.fill(eligible, units, capacity)[0]
        waste = 1 - float(units[hit].sum()) / (capacity * max(len(live_hours), 1))
        return abs(vm_hours.coverage(hit, units, rate) - spec.target) + 0.3 * waste

    return min(sorted(options), key=badness)


def _unit_list_price(spec: CommitmentSpec) -> float:
    """List price of what one commitment unit covers for an hour."""
    if spec.category == "Spend":
        return 1 / (1 - spec.discount)
    ref = OFFERINGS[OFFERING_INDEX[spec.reference]]
    return ref.price / (ref.vcpu * spec.units_per_vcpu)


def _unit_rate(spec: CommitmentSpec) -> float:
    """Effective (amortised) cost of one commitment unit for an hour."""
    return 1.0 if spec.category == "Spend" else _unit_list_price(spec) * (1 - spec.discount)


def fill_commitment(
    hour: np.ndarray, units: np.ndarray, eligible: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cover eligible rows hour by hour, in row order, while the hour's capacity lasts.
    Rows must be sorted by hour. Returns the covered mask and the units used per hour."""
    covered = np.zeros(len(hour), dtype=bool)
    used = np.zeros(len(capacity))
    for _ in range(4):  # later passes skip the rows too big for what is left, like first-fit
        left = capacity - used
        idx = np.flatnonzero(eligible & ~covered & (units <= left[hour] + 1e-9) & (units > 0))
        if len(idx) == 0:
            break
        h, u = hour[idx], units[idx]
        running = np.cumsum(u)
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        before = np.repeat((running - u)[starts], np.diff(np.r_[starts, len(h)]))
        ok = running - before <= left[h] + 1e-9
        covered[idx[ok]] = True
        used += np.bincount(h[ok], weights=u[ok], minlength=len(capacity))
    return covered, used
