"""The commitment simulator (algorithms.md §1.4.1-1.4.2), vectorised over hours.

A $/h commitment C is used each hour by the eligible families in order of discount, highest first
(how AWS and Azure apply savings plans). Family f needs (1 - d_f)·R[h, f] of commitment to be fully
covered, so with cum[h, f] the running sum of those needs in that order, the hour covers
    Σ_f w_f·(min(C, cum[h, f]) - min(C, cum[h, f-1]))      (w_f = 1 / (1 - d_f)) of ODE
and uses min(C, cum[h, F]) of the commitment. Σ_h min(C, x_h) for many C at once is a prefix sum
over each column of cum sorted (O(H log H) per family, no loop over hours), so a whole savings
curve costs little more than one sort. With one family this is the newsvendor model of §1.4.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BISECTION_STEPS = 60


@dataclass(frozen=True)
class Prepared:
    """A residual demand made ready for many commitment levels."""

    weights: np.ndarray  # [F] 1/(1-d) in fill order (highest discount first)
    sorted_cum: np.ndarray  # [H, F] each column of cum, sorted
    prefix: np.ndarray  # [H + 1, F] prefix sums of sorted_cum
    hours: int
    demand: float  # Σ R: on-demand spend the commitment could replace
    lowest_need: float  # the commitment every hour would use in full ("lowest hourly usage")
    max_need: float  # the commitment the busiest hour would use in full


def _order(discounts: np.ndarray) -> np.ndarray:
    return np.argsort(-discounts, kind="stable")


def prepare(residual: np.ndarray, discounts: np.ndarray) -> Prepared:
    """`residual` [H, F] hourly ODE the commitment may cover; `discounts` [F] in [0, 1)."""
    residual = np.atleast_2d(np.asarray(residual, dtype=float))
    discounts = np.asarray(discounts, dtype=float)
    if residual.shape[1] != discounts.shape[0]:
        raise ValueError(f"{residual.shape[1]} families of demand but {discounts.shape[0]} discount rates")
    if np.any((discounts < 0) | (discounts >= 1)):
        raise ValueError("discount rates must be at least 0 and below 1")
    order = _order(discounts)
    need = residual[:, order] * (1 - discounts[order])
    cum = np.cumsum(need, axis=1)
    sorted_cum = np.sort(cum, axis=0)
    prefix = np.vstack([np.zeros((1, cum.shape[1])), np.cumsum(sorted_cum, axis=0)])
    total_need = cum[:, -1] if cum.shape[1] else np.zeros(len(cum))
    return Prepared(
        weights=1 / (1 - discounts[order]),
        sorted_cum=sorted_cum,
        prefix=prefix,
        hours=int(residual.shape[0]),
        demand=float(residual.sum()),
        lowest_need=float(total_need.min()) if len(total_need) else 0.0,
        max_need=float(total_need.max()) if len(total_need) else 0.0,
    )


def _sum_min(p: Prepared, levels: np.ndarray) -> np.ndarray:
    """[F, L]: Σ_h min(C_l, cum[h, f]) for every family column f and level l."""
    out = np.empty((p.sorted_cum.shape[1], len(levels)))
    for f in range(p.sorted_cum.shape[1]):  # a loop over families, each step vectorised over hours and levels
        k = np.searchsorted(p.sorted_cum[:, f], levels, side="left")
        out[f] = p.prefix[k, f] + (p.hours - k) * levels
    return out


@dataclass(frozen=True)
class CurvePoints:
    """Totals over the window at each level: ODE covered, commitment used, net savings."""

    levels: np.ndarray
    covered: np.ndarray
    used: np.ndarray
    net: np.ndarray


def curve(p: Prepared, levels: np.ndarray) -> CurvePoints:
    levels = np.asarray(levels, dtype=float)
    if p.sorted_cum.shape[1] == 0:
        zero = np.zeros_like(levels)
        return CurvePoints(levels, zero, zero, -p.hours * levels)
    m = _sum_min(p, levels)
    below = np.vstack([np.zeros((1, len(levels))), m[:-1]])
    covered = (p.weights[:, None] * (m - below)).sum(axis=0)
    return CurvePoints(levels, covered, m[-1], covered - p.hours * levels)


def slope(p: Prepared, level: float) -> float:
    """d NetSavings / dC just above `level`: Σ_f w_f·(#hours f is not yet full) - H."""
    if p.sorted_cum.shape[1] == 0:
        return -float(p.hours)
    above = p.hours - np.array(
        [np.searchsorted(p.sorted_cum[:, f], level, side="right") for f in range(len(p.weights))]
    )
    below = np.concatenate([[0], above[:-1]])
    return float((p.weights * (above - below)).sum() - p.hours)


def best_level(p: Prepared) -> float:
    """The savings-maximising commitment: net savings is concave in C (families fill in order of
    falling discount), so bisect on the sign of its slope. Exact to ~1e-15 of max_need."""
    lo, hi = 0.0, p.max_need
    if hi <= 0 or slope(p, 0.0) <= 0:
        return 0.0
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        if slope(p, mid) > 0:
            lo = mid
        else:
            hi = mid
    return hi


def evaluate(residual: np.ndarray, discounts: np.ndarray, level: float) -> tuple[float, float]:
    """(ODE covered, commitment used) over the window at one level, computed directly hour by hour
    (vectorised): the reference the curve is tested against, and what stress tests use."""
    residual = np.atleast_2d(np.asarray(residual, dtype=float))
    discounts = np.asarray(discounts, dtype=float)
    order = _order(discounts)
    need = residual[:, order] * (1 - discounts[order])
    cum = np.cumsum(need, axis=1)
    before = cum - need
    share = np.clip(level - before, 0, need)
    covered = float((share / (1 - discounts[order])).sum())
    used = float(np.minimum(level, cum[:, -1]).sum()) if cum.shape[1] else 0.0
    return covered, used
