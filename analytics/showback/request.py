"""What a pack covers: whole calendar months (UTC), an owner dimension, a cost basis and a
reporting currency."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from analytics.schema import Filters, Metric

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
BASES = {"effective": Metric.EFFECTIVE, "billed": Metric.BILLED}


def parse_month(text: str) -> dt.date:
    """`YYYY-MM` -> the first day of that month; ValueError with the reason otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class PackRequest:
    """Months `first`..`last` (first days, both inclusive), by `owner`, in `metric` and `currency`;
    `scope`: for a signed-in user who sees less than everything, what they see (the reader holds
    only that; the pack says so, and names nothing of the rest)."""

    first: dt.date
    last: dt.date
    owner: str
    metric: Metric = Metric.EFFECTIVE
    currency: str = "USD"
    scope: str = ""

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("a pack covers whole months: pass the first day of each month")
        if self.last < self.first:
            raise ValueError(f"the last month {self.last:%Y-%m} is before the first {self.first:%Y-%m}")

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    @property
    def end(self) -> dt.date:
        """The last UTC day covered."""
        return add_months(self.last, 1) - dt.timedelta(days=1)

    @property
    def filters(self) -> Filters:
        return Filters(start=self.first, end=self.end)

    @property
    def previous(self) -> PackRequest:
        """The same number of months just before, for "change vs previous"."""
        return PackRequest(
            add_months(self.first, -self.months),
            add_months(self.first, -1),
            self.owner,
            self.metric,
            self.currency,
            self.scope,
        )

    @property
    def label(self) -> str:
        """2026-10, or 2025-11 to 2026-11 for a range."""
        if self.first == self.last:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m} to {self.last:%Y-%m}"

    @property
    def title(self) -> str:
        """October 2026, or November 2025 – November 2026."""
        if self.first == self.last:
            return f"{self.first:%B %Y}"
        return f"{self.first:%B %Y} – {self.last:%B %Y}"
