"""Time: the window of whole UTC hours the sample covers, and the hours each schedule runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

ONE_HOUR = np.timedelta64(1, "h")
ONE_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Window:
    start: dt.datetime  # midnight UTC of the first day of the first month
    end: dt.datetime  # exclusive: midnight UTC of as_of
    periods: tuple[tuple[dt.datetime, dt.datetime], ...]  # billing periods (full months), last may be open

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def hour(self, moment: dt.datetime) -> int:
        return int((moment - self.start).total_seconds() // 3600)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def make_window(as_of: dt.date, months: int) -> Window:
    """`months` full months before as_of's month, then that month up to the day before as_of."""
    first = add_months(as_of.replace(day=1), -months)
    periods = []
    month = first
    while month < as_of:
        periods.append((midnight(month), midnight(add_months(month, 1))))
        month = add_months(month, 1)
    if not periods:
        raise ValueError("the sample would be empty: use months >= 1 or an as_of after the 1st of a month")
    return Window(midnight(first), midnight(as_of), tuple(periods))


def schedule_masks(window: Window) -> np.ndarray:
    """Whether a resource on each schedule runs, per window hour: bool[schedule, hour]. Schedules:
    0 always on, 1 weekday autoscaling (06-22 UTC), 2 business hours (dev), 3 nightly batch."""
    hours = np.arange(window.hours)
    hour_of_day = hours % 24
    weekday = (window.start.weekday() + hours // 24) % 7 < 5
    return np.stack(
        [
            np.ones(window.hours, dtype=bool),
            weekday & (hour_of_day >= 6) & (hour_of_day < 22),
            weekday & (hour_of_day >= 7) & (hour_of_day < 19),
            (hour_of_day >= 1) & (hour_of_day < 5),
        ]
    )


def expand(starts: np.ndarray, ends: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(resource position, slot) for every slot in the sorted `slots` inside [start, end)."""
    lo, hi = np.searchsorted(slots, starts), np.searchsorted(slots, ends)
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    pos = np.repeat(np.arange(len(starts)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return pos, slots[np.repeat(lo, counts) + offset]


def running_hours(
    chosen: np.ndarray, resources: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], hours_on: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(resource, hour) for every hour a chosen resource runs, given per resource (start, end, schedule,
    priority) and the sorted hours each schedule runs. Sorted by hour, then priority: the order in
    which commitments cover rows, so sizing and billing fill them the same way."""
    start, end, schedule, priority = resources
    rids, slots = [], []
    for s, on in enumerate(hours_on):
        these = chosen[schedule[chosen] == s]
        pos, slot = expand(start[these], end[these], on)
        rids.append(these[pos])
        slots.append(slot)
    rid, hour = np.concatenate(rids), np.concatenate(slots)
    order = np.lexsort((priority[rid], hour))
    return rid[order], hour[order]
