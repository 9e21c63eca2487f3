"""The knobs of a rightsizing run, with the defaults of algorithms.md §3.3 (AWS Compute Optimizer's
P99.5 and 20 % headroom, 14-day lookback, 30 hours of data, idle at max CPU <= 1 %)."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.schema import Metric

PERCENTILES = (90.0, 95.0, 99.0, 99.5)
LOOKBACKS = (7, 14, 32, 93)
HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class Settings:
    """Frozen and hashable, so a page can key its cache on it."""

    lookback_days: int = 14
    percentile: float = 99.5  # of CPU over the lookback
    headroom: float = 0.2  # added to CPU and memory before choosing a size: need = usage x (1 + headroom)
    # What the risk level compares the projected utilisation of the new size with (Azure Advisor's
    # 80 % for non-user-facing workloads). Not a sizing cap: as issue 7 defines it, headroom alone
    # sizes, so headroom moves the result at every target.
    target: float = 0.8
    min_hours: float = 30.0
    idle_max_cpu: float = 1.0  # percent; AWS Cost Explorer's idle rule
    families: tuple[str, ...] | None = None  # target families allowed for cross-family moves; None = all
    allow_arch_change: bool = False  # Graviton / Ampere moves only on request (algorithms.md §3.3)
    metric: Metric = Metric.EFFECTIVE  # the cost basis of savings
    currency: str = "USD"

    def check(self) -> None:
        """Raise ValueError naming the bad setting."""
        if not 1 <= self.lookback_days <= 366:
            raise ValueError(f"lookback {self.lookback_days} days: expected 1 to 366")
        if not 50 <= self.percentile <= 100:
            raise ValueError(f"percentile {self.percentile}: expected 50 to 100 (e.g. 90, 95, 99, 99.5)")
        if not 0 <= self.headroom <= 2:
            raise ValueError(f"headroom {self.headroom}: expected a fraction from 0 to 2 (0.2 is 20%)")
        if not 0.05 <= self.target <= 1:
            raise ValueError(f"target utilisation {self.target}: expected a fraction from 0.05 to 1 (0.8 is 80%)")

    @property
    def factor(self) -> float:
        """Capacity needed per unit of observed usage."""
        return 1 + self.headroom
