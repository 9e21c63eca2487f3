"""The figures of one commitment level over a demand window, scaled to a 730-hour month
(algorithms.md §1.2 and §1.4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.commitments.instruments import HOURS_PER_MONTH, TERM_HOURS, UPFRONT_SHARE


@dataclass(frozen=True)
class Window:
    """What a level is judged against: hours, the on-demand spend the commitment may replace
    (Σ residual), all eligible demand (Σ E) and what existing commitments' coverage cost."""

    hours: int
    residual: float
    total: float
    existing_cost: float  # amortised cost of the ODE existing commitments keep covering


@dataclass(frozen=True)
class Figures:
    hourly_commitment: float
    monthly_commitment: float
    upfront: float
    coverage: float | None  # of all eligible demand, existing commitments included
    utilization: float | None  # of the new commitment
    waste_monthly: float
    net_savings_monthly: float
    savings_pct: float | None  # of the on-demand spend it replaces (EstimatedSavingsPercentage)
    esr: float | None  # of all eligible demand after the purchase (existing unused commitment not included)
    roi: float | None  # net savings / commitment cost
    break_even_months: float | None  # None: never pays back
    on_demand_monthly: float  # left at on-demand prices after the purchase


def figures(level: float, covered: float, used: float, w: Window, term_years: int, payment: str) -> Figures:
    """`covered` ODE and `used` commitment over the window at commitment `level` ($/h)."""
    per_month = HOURS_PER_MONTH / w.hours if w.hours else 0.0
    cost = level * w.hours
    net = covered - cost
    share = UPFRONT_SHARE[payment]
    upfront = share * level * TERM_HOURS[term_years]
    already = w.total - w.residual
    spent_after = w.existing_cost + cost + (w.residual - covered)
    return Figures(
        hourly_commitment=level,
        monthly_commitment=level * HOURS_PER_MONTH,
        upfront=upfront,
        coverage=(already + covered) / w.total if w.total > 0 else None,
        utilization=used / cost if cost > 0 else None,
        waste_monthly=(cost - used) * per_month,
        net_savings_monthly=net * per_month,
        savings_pct=net / w.residual if w.residual > 0 else None,
        esr=(w.total - spent_after) / w.total if w.total > 0 else None,
        roi=net / cost if cost > 0 else None,
        break_even_months=_break_even(upfront, covered * per_month, (1 - share) * level * HOURS_PER_MONTH),
        on_demand_monthly=(w.residual - covered) * per_month,
    )


def _break_even(upfront: float, covered_monthly: float, recurring_monthly: float) -> float | None:
    """m* = upfront / (monthly ODE the commitment covers - its recurring fee) (§1.2). Without an
    upfront it pays back in its first month if it saves at all; that is 0 here."""
    gain = covered_monthly - recurring_monthly
    if upfront <= 0:
        return 0.0 if gain > 0 else None
    return upfront / gain if gain > 0 else None
