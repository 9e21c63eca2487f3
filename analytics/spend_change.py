"""What spend did against comparable periods: the Overview's month-to-date and last-full-month
comparisons, and the values of a dimension whose spend moved most between the last two full months.
Pure pandas over frames shaped like `queries.spend` results (a period column plus cost), so the
figures can be checked without a database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.compare import labelled, missing_label
from analytics.periods import last_full_month, month_end, month_start
from analytics.queries import COST, PERIOD


@dataclass(frozen=True)
class Compared:
    """A period's spend against the comparable period before it (None: no data that far back)."""

    label: str
    value: float
    previous: float | None
    previous_label: str
    note: str | None = None

    @property
    def change(self) -> float | None:
        """Relative change (0.05 = 5% more); None without a previous figure, or when it was zero."""
        return (self.value - self.previous) / self.previous if self.previous else None


def _sum(daily: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    return float(daily.loc[(daily[PERIOD] >= start) & (daily[PERIOD] <= end), COST].sum())


def spend_tiles(daily: pd.DataFrame, last: dt.date, first: dt.date) -> list[Compared]:
    """Month to date against the same days of last month; the last full month against the month
    before, with its change from the same month a year before as a note.

    `daily`: spend per UTC day (`period` as dates, `cost`), any other columns summed over;
    `first`/`last`: the first and last days with data (a period before `first` has no figure)."""
    this = month_start(last)
    prev = month_start(last, 1)
    same_days = min(prev + dt.timedelta(days=(last - this).days), month_end(prev))
    full = last_full_month(last)
    before = month_start(full, 1)
    year_ago = month_start(full, 12)
    full_total = _sum(daily, full, month_end(full))
    year = _sum(daily, year_ago, month_end(year_ago)) if year_ago >= first else None
    year_note = f"{(full_total - year) / year:+.1%} vs {year_ago:%b %Y}" if year else "no data a year before"
    return [
        Compared(
            f"Month to date ({this:%b} 1–{last.day})",
            _sum(daily, this, last),
            _sum(daily, prev, same_days) if prev >= first else None,
            f"{prev:%b} 1–{same_days.day}",
        ),
        Compared(
            f"Last full month ({full:%b %Y})",
            full_total,
            _sum(daily, before, month_end(before)) if before >= first else None,
            f"{before:%b %Y}",
            year_note,
        ),
    ]


def by_month(daily: pd.DataFrame, column: str, last: dt.date, months: int = 13) -> pd.DataFrame:
    """Spend per month (`period` on its first day) and value of `column` (as text, missing values
    labelled) over the `months` months to `last`, this one to date: the Overview's trend."""
    recent = daily[daily[PERIOD] >= month_start(last, months - 1)]
    frame = pd.DataFrame(
        {
            PERIOD: [month_start(day) for day in recent[PERIOD]],
            column: labelled(recent, [column])[column].to_numpy(),
            COST: recent[COST].to_numpy(),
        }
    )
    return frame.groupby([PERIOD, column])[COST].sum().reset_index()


def movers_months(last: dt.date) -> tuple[dt.date, dt.date]:
    """(first day of the month before the last full month, last day of the last full month): the
    range `movers` reads."""
    full = last_full_month(last)
    return month_start(full, 1), month_end(full)


def movers(monthly: pd.DataFrame, dimension: str, last: dt.date, top: int = 5) -> pd.DataFrame:
    """The `top` values of `dimension` whose spend changed most, either way, from the month before
    the last full month to the last full month: one row each with both months' spend (columns named
    "%b %Y"), "Change" and "Change %" (None when the value had no spend before).

    `monthly`: spend per month (`period` on the month's first day) and value of `dimension`."""
    full = last_full_month(last)
    before = month_start(full, 1)
    frame = monthly.assign(
        key=monthly[dimension].map(lambda v: missing_label(dimension) if pd.isna(v) else str(v)),
        month=pd.to_datetime(monthly[PERIOD]).dt.date,
    )
    frame = frame[frame["month"].isin([before, full])]
    by_month = frame.pivot_table(index="key", columns="month", values=COST, aggfunc="sum", fill_value=0.0)
    zero = pd.Series(0.0, index=by_month.index)
    both = pd.DataFrame({"before": by_month.get(before, zero), "after": by_month.get(full, zero)})
    both["change"] = both["after"] - both["before"]
    both["pct"] = both["change"] / both["before"].where(both["before"] != 0)
    both = both.reindex(both["change"].abs().sort_values(ascending=False, kind="stable").index[:top])
    return (
        both.rename_axis(dimension)
        .reset_index()
        .rename(columns={"before": f"{before:%b %Y}", "after": f"{full:%b %Y}", "change": "Change", "pct": "Change %"})
    )


def kpi_window(last: dt.date) -> tuple[dt.date, dt.date]:
    """The Overview's KPI range: the month before `last`'s and its own month to date, so a KPI
    early in a month still rests on a full month of data."""
    return month_start(last, 1), last
