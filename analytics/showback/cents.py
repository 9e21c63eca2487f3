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
    target = cents(sum(exact, Decimal(0)))
    floors = [p.quantize(CENT, ROUND_FLOOR) for p in exact]
    left = int((target - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    result = list(floors)
    for i in order[:left]:
        result[i] += CENT
    return result
