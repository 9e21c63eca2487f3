"""What a pack says in words: the cost basis, a shared-cost pool's rule, an owner's name."""

from __future__ import annotations

import pandas as pd

from analytics.allocation.rules import Condition, SharedPool
from analytics.schema import Metric

BASIS = {
    Metric.EFFECTIVE: (
        "Effective cost (amortised): what the usage cost after discounts, with commitment purchases "
        "(reservations, savings plans) spread over the usage they cover. FOCUS column EffectiveCost."
    ),
    Metric.BILLED: (
        "Billed cost (invoice view): what the providers charged for the period, as invoiced, with "
        "commitment purchases counted when bought. FOCUS column BilledCost."
    ),
    Metric.LIST: "List cost: the usage at public list prices. FOCUS column ListCost.",
    Metric.CONTRACTED: "Contracted cost: at negotiated prices, before commitments. FOCUS column ContractedCost.",
}
NO_OWNER = "No owner (unallocated)"
ROUNDING = "Rounding (lines rounded one by one)"


def owner_label(value: object) -> str:
    """How an owner value reads in a workbook: "(not set)" for no value."""
    return "(not set)" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _values(values: tuple[str | None, ...]) -> str:
    shown = ["(not set)" if v is None else v for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def condition_text(conditions: tuple[Condition, ...]) -> str:
    """ServiceName is Support or AWS Support (Business), and tag:env is prod."""
    return ", and ".join(f"{dim} is {_values(values)}" for dim, values in conditions)


def pool_rule(pool: SharedPool, scoped: bool = False) -> str:
    """The rule of a pool in one sentence; `scoped`: for a pack limited to part of the spend, without
    the conditions and weights, which name services and owners outside it."""
    where = "Costs of this pool" if scoped else f"Costs where {condition_text(pool.when)}"
    if scoped and pool.split == "fixed":
        return f"{where} are split to {pool.to} by fixed weights."
    if pool.split == "even":
        how = f"are split evenly among the values of {pool.to} with spend in the month"
    elif pool.split == "fixed":
        weights = ", ".join(f"{owner} {weight:g}%" for owner, weight in pool.weights)
        how = f"are split to {pool.to} by fixed weights: {weights}"
    else:
        how = f"are split among the values of {pool.to} in proportion to each one's own spend in the month"
    return f"{where} {how}."
