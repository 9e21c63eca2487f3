"""Date-range presets (month to date, last 30 days, ...) turned into whole UTC days, anchored on
the last day that has data rather than on today, so a view of an export never starts empty."""

from __future__ import annotations

import datetime as dt

# id -> label, in the order a picker shows them. Ids appear in URLs, so they stay stable.
PRESETS: dict[str, str] = {
    "month_to_date": "Month to date",
    "last_month": "Last month",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "last_12_months": "Last 12 months",
    "year_to_date": "Year to date",
    "all": "All data",
    "custom": "Custom range",
}
DEFAULT_PRESET = "last_90_days"


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    """First day of `day`'s month, or of the month `months_back` before it (negative: after it)."""
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """Last day of `day`'s month."""
    return month_start(day, -1) - dt.timedelta(days=1)


def last_full_month(last: dt.date) -> dt.date:
    """First day of the last whole month in data ending on `last`: its own month when `last` is a
    month's last day, else the month before."""
    return month_start(last) if last == month_end(last) else month_start(last, 1)


def preset_range(preset: str, anchor: dt.date, first: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """[start, end], both inclusive UTC days, for `preset` ending on `anchor` (the last day with data).

    `first` is the first day with data; it bounds "all" and no other preset. "last_month" is the
    calendar month before the anchor's; "last_12_months" is the anchor's month and the 11 before it,
    so monthly bars are whole months. "custom" has no range of its own and raises ValueError.
    """
    if preset == "month_to_date":
        return month_start(anchor), anchor
    if preset == "last_month":
        start = month_start(anchor, 1)
        return start, month_start(anchor) - dt.timedelta(days=1)
    if preset == "last_30_days":
        return anchor - dt.timedelta(days=29), anchor
    if preset == "last_90_days":
        return anchor - dt.timedelta(days=89), anchor
    if preset == "last_12_months":
        return month_start(anchor, 11), anchor
    if preset == "year_to_date":
        return dt.date(anchor.year, 1, 1), anchor
    if preset == "all":
        return (first if first is not None else anchor), anchor
    raise ValueError(f"unknown date preset {preset!r}; choose one of {', '.join(PRESETS)}")


def clamp_range(start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """A custom range kept inside [first, last] and in order; a range wholly outside collapses
    onto the nearest edge."""
    if start > end:
        start, end = end, start
    start = min(max(start, first), last)
    end = min(max(end, first), last)
    return start, end


def period_starts(start: dt.date, end: dt.date, grain: str) -> list[dt.date]:
    """First day of every `grain` period ("day", "week" from Monday, "month") touching [start, end],
    the same cut as the queries' date_trunc, so a chart can show the periods without spend."""
    if grain == "day":
        first = start
    elif grain == "week":
        first = start - dt.timedelta(days=start.weekday())
    elif grain == "month":
        first = month_start(start)
    else:
        raise ValueError(f"unknown grain {grain!r}; choose day, week or month")
    days: list[dt.date] = []
    day = first
    while day <= end:
        days.append(day)
        day = month_start(day, -1) if grain == "month" else day + dt.timedelta(days=1 if grain == "day" else 7)
    return days


def describe_range(start: dt.date, end: dt.date) -> str:
    """'1 Mar – 31 May 2026 (92 days)': short, unambiguous, for captions and KPI labels."""
    days = (end - start).days + 1
    plural = "day" if days == 1 else "days"
    if start.year == end.year:
        text = f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    else:
        text = f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    return f"{text} ({days} {plural})"
