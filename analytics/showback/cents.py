"""Money to the cent, as an invoice rounds, and rounding a set of parts so that they still add up
to their rounded total (the largest-remainder method accountants call penny allocation)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: float | Decimal) -> Decimal:
    """Half-up to the cent, through the shortest decimal text of a float (1.005 -> 1.01)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not an amount: {value}")
    rounded = Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT, ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # no "-0.00"


def allocate_cents(parts: Sequence[float]) -> list[Decimal]:
    """Each part rounded to the cent, up or down, such that the rounded parts add up to the rounded
    sum of the exact parts; each moves less than a cent. Ties go to the earlier part."""
    exact = [Decimal(repr(float(p))) for p in parts]
    return allocate_to(parts, cents(sum(exact, Decimal(0))))


def allocate_to(parts: Sequence[float], target: Decimal) -> list[Decimal]:
    """The parts rounded to the cent so that they add up to `target`, a total rounded elsewhere (an
    owner's Summary figure: the same spend summed by another query, so it may sit a float's breadth
    from the parts' own sum). The parts with the largest remainders take the cents (the earlier on
    a tie); a target beyond the floors' reach moves every part in turn, so nothing is left over."""
    exact = [Decimal(repr(float(p))) for p in parts]
    if not exact:
        return []
    floors = [p.quantize(CENT, ROUND_FLOOR) for p in exact]
    left = int((target - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    if left < 0:
        order.reverse()  # take cents back from the parts that were nearest their floor
    step = CENT if left >= 0 else -CENT
    result = list(floors)
    for k in range(abs(left)):
        result[order[k % len(order)]] += step
    return [r if r else abs(r) for r in result]
