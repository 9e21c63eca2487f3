"""Loading utilisation metrics (algorithms.md §3.2, the long layout): read a CSV, CSV.gz or Parquet
file, check every line, and replace the stored rows of the same resource, metric, stat and
timestamp in one transaction. A file with any problem changes nothing; the error lists the
problems by line and field."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.engine import Connection, Engine
from analytics.input_files import FileRefused, read_rows, replace_rows

COLUMNS = ("resource_id", "timestamp", "metric", "stat", "value", "interval_seconds")
METRICS = ("cpu_pct", "mem_pct", "net_out_mbps", "net_in_mbps", "disk_iops", "gpu_pct")
STATS = ("avg", "max", "p95", "p99")
PERCENT_METRICS = ("cpu_pct", "mem_pct", "gpu_pct")
SCALES = ("auto", "percent", "fraction")
MAX_LISTED = 20
MAX_INTERVAL = 86_400  # one day, in seconds
KEY = ["resource_id", "metric", "stat", "timestamp"]


class UtilizationError(FileRefused):
    """A utilisation file refused; `problems` are one line each."""


@dataclass
class UtilizationReport:
    source: str
    rows: int
    replaced: int
    resources: int
    metrics: list[str]
    first: str
    last: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source}: {self.rows:,} rows for {self.resources:,} resources ({', '.join(self.metrics)}), "
            f"{self.first} to {self.last}; {self.replaced:,} earlier rows replaced"
        )


def validate(
    frame: pd.DataFrame, source: str, known_ids: set[str] | None, scale: str = "auto"
) -> tuple[pd.DataFrame, list[str]]:
    """Typed, checked rows and notes; raises UtilizationError listing every problem by line."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r}: expected one of {', '.join(SCALES)}")
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns}).reset_index(drop=True)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise UtilizationError(source, [f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"])
    if frame.empty:
        raise UtilizationError(source, ["no rows"])
    text = {c: frame[c].astype(str).str.strip() for c in ("resource_id", "metric", "stat")}
    stamps = pd.to_datetime(frame["timestamp"].astype(str).str.strip(), errors="coerce", utc=True, format="mixed")
    values = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    intervals = pd.to_numeric(frame["interval_seconds"], errors="coerce")
    problems: list[tuple[int, str]] = []

    def flag(mask: pd.Series, message: str) -> None:
        for i in mask[mask].index[:MAX_LISTED]:
            problems.append((int(i), message.format(row=frame.loc[i])))
        if mask.sum() > MAX_LISTED:
            problems.append((int(mask[mask].index[MAX_LISTED]), f"... {int(mask.sum()) - MAX_LISTED} more like it"))

    flag(text["resource_id"] == "", "field resource_id: empty")
    flag(stamps.isna(), "field timestamp: {row[timestamp]!r} is not a date and time")
    flag(~text["metric"].isin(METRICS), "field metric: {row[metric]!r} is not one of " + ", ".join(METRICS))
    flag(~text["stat"].isin(STATS), "field stat: {row[stat]!r} is not one of " + ", ".join(STATS))
    flag(values.isna(), "field value: {row[value]!r} is not a number")
    infinite = values.notna() & ~np.isfinite(values)
    flag(infinite, "field value: {row[value]!r} is not a finite number")
    values = values.where(~infinite)  # reported once, not again by the range checks below
    # Stored as int32; a day is the longest interval any monitoring export aggregates to.
    flag(
        intervals.isna() | (intervals % 1 != 0) | (intervals < 1) | (intervals > MAX_INTERVAL),
        "field interval_seconds: {row[interval_seconds]!r} is not a whole number of seconds from 1 to "
        f"{MAX_INTERVAL}",
    )
    percent = text["metric"].isin(PERCENT_METRICS)
    notes: list[str] = []
    if scale == "auto" and percent.any() and values[percent].max() <= 1.0 and percent.sum() >= 24:
        problems.append(
            (
                int(np.flatnonzero(percent.to_numpy())[0]),
                "field value: every *_pct value is between 0 and 1, which looks like fractions "
                "(GCP Cloud Monitoring reports CPU utilisation as 0-1); load with scale 'fraction' to multiply by 100, "
                "or 'percent' if they really are percentages",
            )
        )
    if scale == "fraction":
        values = values.where(~percent, values * 100)
        notes.append("*_pct values read as fractions 0-1 and multiplied by 100")
    flag(
        percent & values.notna() & ((values < 0) | (values > 100)),
        "field value: {row[value]} is outside 0-100 for {row[metric]}",
    )
    flag(~percent & values.notna() & (values < 0), "field value: {row[value]} is negative")
    rows = pd.DataFrame(
        {
            "resource_id": text["resource_id"],
            "timestamp": stamps.dt.tz_convert("UTC").dt.tz_localize(None),
            "metric": text["metric"],
            "stat": text["stat"],
            "value": values,
            "interval_seconds": intervals,
        }
    )
    dupes = rows.duplicated(KEY, keep="first") & rows["timestamp"].notna()
    first_of = rows[rows.duplicated(KEY, keep=False)].groupby(KEY).head(1)
    first_line = {
        tuple(r): int(i) + 2 for i, r in zip(first_of.index, first_of[KEY].itertuples(index=False), strict=True)
    }
    for i in dupes[dupes].index[:MAX_LISTED]:
        key = tuple(rows.loc[i, KEY])
        problems.append(
            (int(i), f"duplicate of line {first_line.get(key, '?')}: same resource_id, metric, stat and timestamp")
        )
    if known_ids is not None:
        unknown = ~rows["resource_id"].isin(known_ids) & (rows["resource_id"] != "")
        ids = list(dict.fromkeys(rows.loc[unknown, "resource_id"]))
        for rid in ids[:MAX_LISTED]:
            line = int(unknown[unknown & (rows["resource_id"] == rid)].index[0])
            problems.append((line, f"field resource_id: {rid!r} is not a ResourceId in the cost data"))
        if len(ids) > MAX_LISTED:
            problems.append(
                (int(np.flatnonzero(unknown.to_numpy())[0]), f"... {len(ids) - MAX_LISTED} more unknown resource ids")
            )
    if problems:
        problems.sort()
        raise UtilizationError(source, [f"line {i + 2}, {message}" for i, message in problems])
    rows["interval_seconds"] = rows["interval_seconds"].astype("int32")
    return rows, notes


def has_utilization(engine: Engine) -> bool:
    """Whether any utilisation is stored."""
    return bool(engine.query("SELECT count(*) AS n FROM utilization")["n"].iloc[0])


def known_resource_ids(con: Connection) -> set[str]:
    return {
        str(r[0])
        for r in con.execute("SELECT DISTINCT ResourceId FROM line_items WHERE ResourceId IS NOT NULL").fetchall()
    }


def load_utilization(
    con: Connection,
    name: str,
    data: bytes | None = None,
    scale: str = "auto",
    check_ids: bool = True,
) -> UtilizationReport:
    """Validate the file and replace the matching stored rows atomically."""
    rows, notes = validate(
        read_rows(name, data, UtilizationError), name, known_resource_ids(con) if check_ids else None, scale
    )
    replaced = replace_rows(
        con,
        rows,
        "DELETE FROM utilization u USING _new n WHERE u.resource_id = n.resource_id "
        'AND u.metric = n.metric AND u.stat = n.stat AND u."timestamp" = n."timestamp"',
        'INSERT INTO utilization SELECT resource_id, "timestamp", metric, stat, value, interval_seconds FROM _new',
    )
    return UtilizationReport(
        source=name,
        rows=len(rows),
        replaced=replaced,
        resources=int(rows["resource_id"].nunique()),
        metrics=sorted(rows["metric"].unique()),
        first=str(rows["timestamp"].min()),
        last=str(rows["timestamp"].max()),
        notes=notes,
    )
