"""The FinOps Foundation's crawl / walk / run marks for the KPIs the app scores, in one table.

Sources: peers.md §3 (allocation) and algorithms.md §4.3 / §6 (commitment coverage and forecast
variance: the current community sample goals; an earlier version of the Foundation's page said
20/15/12% for variance, and peers.md quotes that one). Change a goal here and every page, chart and
CLI follows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import overload


class Kpi(StrEnum):
    ALLOCATED = "allocated"  # share of spend with an owner after the rules (0.9 = 90%)
    COVERAGE = "coverage"  # share of eligible on-demand-equivalent usage covered by commitments
    FORECAST_VARIANCE = "forecast_variance"  # mean |actual - forecast| / forecast; lower is better


@dataclass(frozen=True)
class Goal:
    mark: str
    target: float  # a share: 0.5 is 50%
    strict: bool = False  # the value must pass the target, reaching it is not enough


PRE_CRAWL = "pre-crawl"
LOWER_IS_BETTER = frozenset({Kpi.FORECAST_VARIANCE})
# Best mark first: a value earns the first goal it meets.
GOALS: dict[Kpi, tuple[Goal, ...]] = {
    Kpi.ALLOCATED: (Goal("run", 0.90, strict=True), Goal("walk", 0.80), Goal("crawl", 0.50)),
    Kpi.COVERAGE: (Goal("run", 0.80), Goal("walk", 0.75), Goal("crawl", 0.60)),
    Kpi.FORECAST_VARIANCE: (
        Goal("run", 0.05, strict=True),
        Goal("walk", 0.10, strict=True),
        Goal("crawl", 0.20, strict=True),
    ),
}


def meets(kpi: Kpi, goal: Goal, value: float) -> bool:
    if kpi in LOWER_IS_BETTER:
        return value < goal.target if goal.strict else value <= goal.target
    return value > goal.target if goal.strict else value >= goal.target


@overload
def mark(kpi: Kpi, value: float) -> str: ...
@overload
def mark(kpi: Kpi, value: float | None) -> str | None: ...
def mark(kpi: Kpi, value: float | None) -> str | None:
    """The best mark `value` (a share) earns for `kpi`; "pre-crawl" below every goal, None without a figure."""
    if value is None:
        return None
    return next((goal.mark for goal in GOALS[kpi] if meets(kpi, goal, value)), PRE_CRAWL)


def goals_text(kpi: Kpi) -> str:
    """The goals as a reader meets them, crawl first: "crawl ≥ 50%, walk ≥ 80%, run > 90%"."""
    lower = kpi in LOWER_IS_BETTER
    signs = {(False, False): "≥", (False, True): ">", (True, False): "≤", (True, True): "<"}
    return ", ".join(f"{g.mark} {signs[lower, g.strict]} {g.target:.0%}" for g in reversed(GOALS[kpi]))
