"""From a residual demand to a recommendation: the savings curve and its markers (algorithms.md
§1.3-1.4): lowest hourly usage, the knee (sp-autopilot: marginal savings below 40 % of its peak),
the maximum-savings level, and the conservative one (the lower of the last-3-days and the lookback
optimum, as Azure does); the stress of a usage drop and the drop at which a level stops saving."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.commitments.figures import Figures, Window, figures
from analytics.commitments.simulate import Prepared, best_level, curve, evaluate, prepare

CURVE_POINTS = 200
KNEE_SHARE = 0.4
RECENT_HOURS = 72
STRESS_DROPS = (0.1, 0.2, 0.3)
MARKER_LABELS = {
    "lowest": "Lowest hourly usage",
    "knee": "Knee",
    "max": "Maximum savings",
    "conservative": "Conservative",
    "custom": "Your level",
}


@dataclass(frozen=True)
class Group:
    """What one commitment would cover: one family (per-family instruments) or all the provider's
    eligible families (savings plans, flexible CUDs). Arrays are [H, F] over the group's families."""

    name: str
    families: tuple[str, ...]
    discounts: np.ndarray
    residual: np.ndarray
    total: np.ndarray
    existing_cost: float


@dataclass(frozen=True)
class Result:
    group: Group
    markers: dict[str, float]
    figures: dict[str, Figures]
    curve: pd.DataFrame
    window: Window
    prepared: Prepared


def analyse(group: Group, term_years: int, payment: str) -> Result:
    p = prepare(group.residual, group.discounts)
    window = Window(p.hours, p.demand, float(group.total.sum()), group.existing_cost)
    best = best_level(p)
    recent = prepare(group.residual[-RECENT_HOURS:], group.discounts)
    markers = {
        "lowest": p.lowest_need,
        "knee": knee(p, best),
        "max": best,
        "conservative": min(best, best_level(recent)),
    }
    top = min(p.max_need, max(1.5 * best, 1.2 * markers["knee"], 2 * markers["lowest"])) or p.max_need
    levels = np.unique(np.concatenate([np.linspace(0, top, CURVE_POINTS), list(markers.values())]))
    points = curve(p, levels)
    rows = [
        figures(level, cov, used, window, term_years, payment).__dict__
        for level, cov, used in zip(points.levels, points.covered, points.used, strict=True)
    ]
    at = {name: level_figures(p, window, level, term_years, payment) for name, level in markers.items()}
    return Result(group, markers, at, pd.DataFrame(rows), window, p)


def level_figures(p: Prepared, window: Window, level: float, term_years: int, payment: str) -> Figures:
    points = curve(p, np.array([level]))
    return figures(level, float(points.covered[0]), float(points.used[0]), window, term_years, payment)


def knee(p: Prepared, best: float) -> float:
    """The last level before the marginal savings per $ of commitment falls below 40 % of its peak,
    on a 200-point curve from the lowest hourly usage to 1.2 x the maximum-savings level."""
    low, high = p.lowest_need, 1.2 * best
    if high <= low:
        return low
    levels = np.linspace(low, high, CURVE_POINTS)
    net = curve(p, levels).net
    marginal = np.diff(net) / np.diff(levels)
    peak = float(marginal.max())
    if peak <= 0:
        return low
    below = np.flatnonzero(marginal < KNEE_SHARE * peak)
    return float(levels[below[0]]) if len(below) else low + 0.6 * (best - low)


def _stressed(group: Group, drop: float) -> np.ndarray:
    """The residual if all eligible usage fell by `drop`: existing commitments still cover first,
    so the new commitment loses more than `drop` of its demand."""
    existing = group.total - group.residual
    lowered = group.total * (1 - drop)
    return np.maximum(lowered - existing, 0.0)


def stress(
    group: Group, level: float, term_years: int, payment: str, drops: tuple[float, ...] = STRESS_DROPS
) -> list[tuple[float, Figures]]:
    out = []
    for drop in drops:
        residual = _stressed(group, drop)
        covered, used = evaluate(residual, group.discounts, level)
        window = Window(
            group.residual.shape[0], float(residual.sum()), float(group.total.sum()) * (1 - drop), group.existing_cost
        )
        out.append((drop, figures(level, covered, used, window, term_years, payment)))
    return out


def break_even_drop(group: Group, level: float) -> float | None:
    """The fall in usage at which `level` stops saving; None if it does not save even now."""
    hours = group.residual.shape[0]

    def net(drop: float) -> float:
        covered, _ = evaluate(_stressed(group, drop), group.discounts, level)
        return covered - level * hours

    if level <= 0 or net(0.0) <= 0:
        return None
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        if net(mid) > 0:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class Summary:
    """One marker's figures summed over groups (per-family instruments buy one commitment each)."""

    hourly_commitment: float
    net_savings_monthly: float
    utilization: float | None
    coverage: float | None
    break_even_months: float | None
    upfront: float


def summarise(results: list[Result], marker: str) -> Summary:
    picked = [(r, r.figures[marker]) for r in results]
    cost = sum(f.monthly_commitment for _, f in picked)
    used = sum((f.utilization or 0.0) * f.monthly_commitment for _, f in picked)
    total = sum(r.window.total for r, _ in picked)
    covered_total = sum((f.coverage or 0.0) * r.window.total for r, f in picked)
    upfront = sum(f.upfront for _, f in picked)
    net = sum(f.net_savings_monthly for _, f in picked)
    # gain per month before the upfront is repaid: covered ODE minus the recurring fee
    gain = sum(f.upfront / f.break_even_months for _, f in picked if f.break_even_months and f.upfront > 0)
    if upfront > 0:
        gain += sum(f.net_savings_monthly for _, f in picked if f.upfront == 0 and f.net_savings_monthly > 0)
        be = upfront / gain if gain > 0 else None
    else:
        be = 0.0 if net > 0 else None
    return Summary(
        hourly_commitment=sum(f.hourly_commitment for _, f in picked),
        net_savings_monthly=net,
        utilization=used / cost if cost > 0 else None,
        coverage=covered_total / total if total > 0 else None,
        break_even_months=be,
        upfront=upfront,
    )
