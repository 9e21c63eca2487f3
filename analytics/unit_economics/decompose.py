"""Why a unit cost moved between two periods: because the cost grew, or because the volume grew.

With U = C / V, the change U1 - U0 is split by the midpoint (Shapley) rule, each factor's change
weighted by the average of the other's two values:

    cost grew   = (C1 - C0) * (1/V0 + 1/V1) / 2
    volume grew = (1/V1 - 1/V0) * (C0 + C1) / 2

The two parts add up to U1 - U0 exactly (expand the products), need no logarithms (so a cost of
zero or a credit is fine) and do not depend on which factor is taken first. More volume makes the
"volume grew" part negative: it lowers the cost of a unit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.queries import COST, PERIOD
from analytics.unit_economics.compute import OWNER, UNIT_COST, VALUE, UnitCosts

COST_EFFECT = "cost_grew"
VOLUME_EFFECT = "volume_grew"
CHANGE = "change"
TOTAL_LABEL = "Total"


def split_change(c0: float, v0: float, c1: float, v1: float) -> tuple[float, float]:
    """(cost grew, volume grew) for a unit cost going from c0/v0 to c1/v1; both volumes above zero."""
    if not (v0 > 0 and v1 > 0):
        raise ValueError("a unit-cost change can only be split between two periods with volume above zero")
    cost_part = (c1 - c0) * (1 / v0 + 1 / v1) / 2
    volume_part = (1 / v1 - 1 / v0) * (c0 + c1) / 2
    return cost_part, volume_part


def decompose(result: UnitCosts, before: dt.date, after: dt.date) -> pd.DataFrame:
    """One row per owner (and a last row for the total) with cost, value and unit cost in the
    periods starting `before` and `after`, the change and its two parts. Owners whose unit cost is
    a gap in either period get NaN parts (nothing to split)."""
    rows = []
    if result.by is not None and not result.frame.empty:
        for owner, group in result.frame.groupby(OWNER, dropna=False, sort=False):
            rows.append(_row(owner, group, before, after))
    rows.append(_row(TOTAL_LABEL, result.total, before, after))
    frame = pd.DataFrame(rows)
    frame[OWNER] = frame[OWNER].astype(object).where(frame[OWNER].notna(), None)
    return frame


def _pick(group: pd.DataFrame, period: dt.date) -> tuple[float, float, float]:
    hit = group[group[PERIOD] == period]
    if hit.empty:
        return 0.0, np.nan, np.nan
    first = hit.iloc[0]
    return float(first[COST]), float(first[VALUE]), float(first[UNIT_COST])


def _row(owner: object, group: pd.DataFrame, before: dt.date, after: dt.date) -> dict[str, object]:
    c0, v0, u0 = _pick(group, before)
    c1, v1, u1 = _pick(group, after)
    cost_part = volume_part = np.nan
    if not (np.isnan(u0) or np.isnan(u1)):
        cost_part, volume_part = split_change(c0, v0, c1, v1)
    return {
        OWNER: None if owner is None or owner != owner else owner,
        "cost_before": c0,
        "cost_after": c1,
        "value_before": v0,
        "value_after": v1,
        "unit_cost_before": u0,
        "unit_cost_after": u1,
        CHANGE: u1 - u0,
        COST_EFFECT: cost_part,
        VOLUME_EFFECT: volume_part,
    }
