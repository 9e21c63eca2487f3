"""Which periods of a unit-cost run can be read as figures: those whose total has a unit cost, and
of those the whole ones (every day of the period in the view, so not a month to date or a week cut
by the date range). A cut period's unit cost mixes fewer days of cost with fewer days of volume and
would skew a comparison."""

from __future__ import annotations

import datetime as dt
import math

from analytics.periods import month_end
from analytics.queries import PERIOD
from analytics.schema import Grain
from analytics.unit_economics.compute import EXPECTED, UNIT_COST, UnitCosts


def full_length(period: dt.date, grain: Grain) -> int:
    """Days in a whole `grain` period starting on `period` (a month's own length)."""
    if grain is Grain.DAY:
        return 1
    if grain is Grain.WEEK:
        return 7
    return month_end(period).day


def complete(result: UnitCosts) -> list[dt.date]:
    """Periods of the run whose total has a unit cost, oldest first."""
    total = result.total
    return [p for p, u in zip(total[PERIOD], total[UNIT_COST], strict=True) if not math.isnan(u)]


def whole(result: UnitCosts) -> list[dt.date]:
    """Periods whose total has a unit cost and that the view covers in full, oldest first."""
    total = result.total
    return [
        p
        for p, u, n in zip(total[PERIOD], total[UNIT_COST], total[EXPECTED], strict=True)
        if not math.isnan(u) and int(n) == full_length(p, result.grain)
    ]


def latest_full(result: UnitCosts) -> dt.date | None:
    """The last whole period with a unit cost (not a month to date, not cut by the view)."""
    found = whole(result)
    return found[-1] if found else None
