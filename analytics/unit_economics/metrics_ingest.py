"""Loading business metrics (`date, metric, value[, dimension, owner]`, CSV, CSV.gz or Parquet) into
`business_metrics`. Every line is checked first; a file with any problem changes nothing and the
error lists the problems by line and field. A good file replaces, in one transaction, what is stored
for the same metric, dimension and dates (a re-delivered day is the whole truth for that day)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.engine import Connection, DuckDBEngine
from analytics.input_files import FileRefused, read_rows, replace_rows
from analytics.queries import UnknownDimension, check_dimension

REQUIRED = ("date", "metric", "value")
KEY = ["date", "metric", "dimension", "owner"]
MAX_LISTED = 20
# A day, as ISO 8601 (optionally with a midnight time, as spreadsheets and Parquet exports write it).
# 03/04/2026 is refused: it is 3 April in Europe and 4 March in the US.
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?$")


class MetricsError(FileRefused):
    """A business metrics file refused; `problems` are one line each."""


@dataclass
class MetricsReport:
    source: str
    rows: int
    replaced: int
    metrics: list[str]
    first: dt.date
    last: dt.date
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source}: {self.rows:,} rows of {', '.join(self.metrics)} from {self.first} to {self.last}; "
            f"{self.replaced:,} stored rows replaced"
        )


def _parse_day(text: str) -> dt.date | None:
    match = _DAY.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def validate(frame: pd.DataFrame, source: str, known_dimension: Callable[[str], str | None]) -> pd.DataFrame:
    """Typed, checked rows. `known_dimension(d)` returns why `d` is not a dimension of the cost
    data, or None when it is. Raises MetricsError listing every problem by line (the header is line 1)."""
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns}).reset_index(drop=True)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        expected = ", ".join(REQUIRED) + " (and optionally dimension, owner)"
        raise MetricsError(source, [f"line 1: missing column(s) {', '.join(missing)}; expected {expected}"])
    if frame.empty:
        raise MetricsError(source, ["no rows"])
    text = {c: frame[c].astype(str).str.strip() if c in frame else pd.Series("", index=frame.index) for c in KEY}
    days = text["date"].map(_parse_day)
    raw_values = frame["value"].astype(str).str.strip()
    values = pd.to_numeric(raw_values, errors="coerce").astype(float)
    problems: list[tuple[int, str]] = []

    def flag(mask: pd.Series, message: Callable[[int], str]) -> None:
        hits = mask[mask].index
        problems.extend((int(i), message(int(i))) for i in hits[:MAX_LISTED])
        if len(hits) > MAX_LISTED:
            problems.append((int(hits[MAX_LISTED]), f"... {len(hits) - MAX_LISTED} more like it"))

    flag(days.isna(), lambda i: f"field date: {text['date'][i]!r} is not a date in YYYY-MM-DD form")
    flag(text["metric"] == "", lambda i: "field metric: empty")
    flag(values.isna() | ~np.isfinite(values), lambda i: f"field value: {raw_values[i]!r} is not a number")
    flag(values < 0, lambda i: f"field value: {raw_values[i]} is negative (a count of business units cannot be)")
    has_dim, has_owner = text["dimension"] != "", text["owner"] != ""
    flag(has_dim & ~has_owner, lambda i: f"field owner: empty while dimension is {text['dimension'][i]!r}")
    flag(has_owner & ~has_dim, lambda i: f"field dimension: empty while owner is {text['owner'][i]!r}")
    for dimension in dict.fromkeys(text["dimension"][has_dim]):
        reason = known_dimension(dimension)
        if reason is not None:
            first = int(text["dimension"][text["dimension"] == dimension].index[0])
            count = int((text["dimension"] == dimension).sum())
            problems.append((first, f"field dimension: {reason} ({count:,} line(s))"))
    rows = pd.DataFrame(
        {
            "date": days,
            "metric": text["metric"],
            "value": values,
            "dimension": text["dimension"].where(has_dim, None),
            "owner": text["owner"].where(has_owner, None),
        }
    )
    keyed = rows[KEY].fillna("\x00")  # duplicated() must see two company-wide rows as the same key
    dupes = keyed.duplicated(keep="first") & rows["date"].notna()
    firsts = keyed[~keyed.duplicated(keep="first")]
    first_of = {tuple(r): int(i) for i, r in zip(firsts.index, firsts.itertuples(index=False), strict=True)}
    flag(
        dupes,
        lambda i: f"duplicate of line {first_of[tuple(keyed.loc[i])] + 2}: same date, metric, dimension and owner",
    )
    if problems:
        problems.sort()
        raise MetricsError(source, [f"line {i + 2}, {message}" for i, message in problems])
    rows["date"] = pd.to_datetime(rows["date"]).dt.date
    return rows


def dimension_checker(con: Connection) -> Callable[[str], str | None]:
    """Why a dimension name is not one of the cost data's (FOCUS column, tag key, `alloc:` name)."""
    engine = DuckDBEngine(con)

    def check(dimension: str) -> str | None:
        try:
            check_dimension(engine, dimension)
        except UnknownDimension as exc:
            return str(exc)
        return None

    return check


def load_metrics(con: Connection, name: str, data: bytes | None = None) -> MetricsReport:
    """Validate the file, then replace the stored rows of its metrics, dimensions and dates atomically."""
    rows = validate(read_rows(name, data, MetricsError), name, dimension_checker(con))
    replaced = replace_rows(
        con,
        rows,
        "DELETE FROM business_metrics b USING (SELECT DISTINCT date, metric, dimension FROM _new) n "
        "WHERE b.date = n.date AND b.metric = n.metric AND b.dimension IS NOT DISTINCT FROM n.dimension",
        "INSERT INTO business_metrics (date, metric, value, dimension, owner) "
        "SELECT date, metric, value, dimension, owner FROM _new",
    )
    return MetricsReport(
        source=name,
        rows=len(rows),
        replaced=replaced,
        metrics=sorted(rows["metric"].unique()),
        first=min(rows["date"]),
        last=max(rows["date"]),
        notes=_notes(rows),
    )


def _notes(rows: pd.DataFrame) -> list[str]:
    zero = int((rows["value"] == 0).sum())
    return [f"{zero:,} row(s) have the value 0: their days have no unit cost (a gap, not a division)"] if zero else []
