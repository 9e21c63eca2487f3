"""A purchase plan for one instrument: discount rates per family, the recommendation on today's
residual demand, and the view after existing commitments expire (algorithms.md §1.4.4).

New commitments are sized on the *residual* demand: all eligible usage minus what the existing
commitments that stay keep covering. Commitments ending within the renewal window (14 days,
sp-autopilot) count as already gone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.commitments.demand import DAILY_TOLERANCE, Demand
from analytics.commitments.instruments import INSTRUMENTS, Instrument, RateTable
from analytics.commitments.optimise import Group, Result, analyse

RENEWAL_WINDOW_DAYS = 14
HORIZONS_MONTHS = (3, 6, 12)


@dataclass(frozen=True)
class Plan:
    instrument: Instrument
    term_years: int
    payment: str
    demand: Demand
    rates: pd.DataFrame  # family, discount, source
    now: list[Result]
    expiring: pd.DataFrame  # inventory rows of the commitments ending inside the horizon
    after: list[Result]  # the same instrument sized on the residual once those have expired
    coverage_now: float | None  # of the instrument's eligible families, by every commitment in place
    coverage_after: float | None  # once those ending inside the horizon have expired
    horizon_months: int
    daily_share: float = 0.0  # of the instrument's eligible demand, in rows longer than an hour

    @property
    def is_hourly(self) -> bool:
        return self.daily_share < DAILY_TOLERANCE

    def total(self, marker: str, after: bool = False) -> float:
        return float(sum(r.markers[marker] for r in (self.after if after else self.now)))


def _ending(inventory: pd.DataFrame, by: dt.datetime) -> set[str]:
    if inventory.empty:
        return set()
    ends = pd.to_datetime(inventory["estimated_end"])
    return set(inventory.loc[ends.notna() & (ends <= pd.Timestamp(by)), "id"].astype(str))


def _rates(
    demand: Demand, ins: Instrument, idx: np.ndarray, term: int, payment: str, table: RateTable,
    inventory: pd.DataFrame, override: float | None,
) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Per family: the user's rate, else the rate realised by an existing commitment of this
    instrument (and this term when its term is known) on that family, else the default table (its
    serverless row for Lambda, Fargate, ... when it has one).

    Deviation (§2 keys defaults by payment option): the realised rate ignores the payment option,
    because FOCUS rows do not carry it and an amortised rate already folds the upfront part in; only
    the term is matched, and only when the inventory knows it."""
    if override is not None:
        return np.full(len(idx), override), ["your rate"] * len(idx)
    defaults = [table.rate_for(ins.key, demand.kinds[i], term, payment) for i in idx]
    default = np.array([rate for rate, _ in defaults])
    known = inventory.set_index("id") if not inventory.empty else pd.DataFrame()
    same = []
    for k, cid in enumerate(demand.commitments):
        row = known.loc[cid] if cid in known.index else None
        months = None if row is None or pd.isna(row["term_months"]) else int(row["term_months"])
        kind = row["type"] if row is not None and isinstance(row["type"], str) else None
        if kind is not None and ins.matches_type(kind) and months in (None, 12 * term):
            same.append(k)
    covered = demand.covered[same].sum(axis=(0, 1))[idx] if same else np.zeros(len(idx))
    cost = demand.covered_effective[same].sum(axis=0)[idx] if same else np.zeros(len(idx))
    realised = np.divide(cost, covered, out=np.ones(len(idx)), where=covered > 0)
    use = (covered > 0) & (realised > 0) & (realised < 1)
    rates = np.where(use, 1 - realised, default)
    return rates, [
        "realised in your data" if u else f"default table ({row})" for u, (_, row) in zip(use, defaults, strict=True)
    ]


def build_plan(
    demand: Demand,
    instrument: str,
    term_years: int,
    payment: str,
    table: RateTable,
    inventory: pd.DataFrame,
    discount: float | None = None,
    horizon_months: int = 12,
) -> Plan:
    if instrument not in INSTRUMENTS:
        raise ValueError(f"unknown commitment type {instrument!r}; choose one of {', '.join(INSTRUMENTS)}")
    if discount is not None and not 0 <= discount < 1:
        raise ValueError(f"discount {discount}: must be at least 0 and below 1 (0.28 = 28 %)")
    ins = INSTRUMENTS[instrument]
    idx = np.flatnonzero(demand.families_of(ins.providers, ins.kinds))
    rates, sources = _rates(demand, ins, idx, term_years, payment, table, inventory, discount)
    soon = _ending(inventory, demand.end + dt.timedelta(days=RENEWAL_WINDOW_DAYS))
    later = _ending(inventory, demand.end + dt.timedelta(days=round(30.4 * horizon_months)))
    now_res, now_cost = _residual(demand, soon)
    after_res, after_cost = _residual(demand, later)
    total = demand.total
    expiring = inventory[inventory["id"].astype(str).isin(later)] if not inventory.empty else inventory
    return Plan(
        instrument=ins,
        term_years=term_years,
        payment=payment,
        demand=demand,
        rates=pd.DataFrame({"family": [demand.families[i] for i in idx], "discount": rates, "source": sources}),
        now=[analyse(g, term_years, payment) for g in _groups(ins, demand, idx, rates, now_res, total, now_cost)],
        expiring=expiring,
        after=[analyse(g, term_years, payment) for g in _groups(ins, demand, idx, rates, after_res, total, after_cost)],
        coverage_now=_coverage(total[:, idx], demand.on_demand[:, idx]),
        coverage_after=_coverage(total[:, idx], after_res[:, idx]),
        horizon_months=horizon_months,
        daily_share=demand.daily_share_of(demand.families_of(ins.providers, ins.kinds)),
    )


def _residual(demand: Demand, gone: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Residual [H, F] once `gone` have expired, and what the staying ones' coverage cost per family."""
    stay = np.array([c not in gone for c in demand.commitments], dtype=bool)
    residual = demand.on_demand + demand.covered[~stay].sum(axis=0)
    cost = demand.covered_effective[stay].sum(axis=0)
    return residual, cost


def _coverage(total: np.ndarray, residual: np.ndarray) -> float | None:
    whole = float(total.sum())
    return 1 - float(residual.sum()) / whole if whole > 0 else None


def _groups(
    ins: Instrument, demand: Demand, idx: np.ndarray, rates: np.ndarray, residual: np.ndarray,
    total: np.ndarray, cost: np.ndarray,
) -> list[Group]:  # fmt: skip
    if len(idx) == 0:
        return []
    # Deviation from §1.4.3: RIs, Azure reservations and GCP resource CUDs are sized like a spend
    # commitment, in money (ODE $/h at the family's discount) per hour per family, not as a count of
    # normalised units (AWS), size-flexibility ratios (Azure) or separate vCPU and memory quantities
    # (GCP). Within a family the OD price is about proportional to the normalisation factor, so the
    # optimum in money is the optimum in units times the unit price; the page and the CLI therefore
    # give $/h, and converting to a count of the smallest size (or vCPU + GB) is left to the buyer.
    if ins.flexible:
        names = tuple(demand.families[i] for i in idx)
        label = f"all eligible {', '.join(sorted({demand.providers[i] for i in idx}))} families"
        return [Group(label, names, rates, residual[:, idx], total[:, idx], float(cost[idx].sum()))]
    return [
        Group(
            demand.families[i], (demand.families[i],), rates[j : j + 1], residual[:, [i]], total[:, [i]], float(cost[i])
        )
        for j, i in enumerate(idx)
    ]
