"""Utilisation over the lookback, one row per resource: the CPU percentile, peaks and hours of data,
computed in the database (one grouped pass, no Python loop per resource-hour)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.engine import Engine

# The CPU percentile is taken over the series that best describes each interval's busy moments:
# a within-interval p99, else p95, else the average (Compute Optimizer's "P99.5 of 5-minute
# averages" when the data is 5-minute), else the maximum. Memory uses its peak (max of `max`).
CPU_STATS = ("p99", "p95", "avg", "max")
PEAK_STATS = ("max", "p99", "p95", "avg")


def window(engine: Engine, lookback_days: int) -> tuple[dt.date, dt.date] | None:
    """The lookback's first and last UTC day, ending on the last day with utilisation data."""
    frame = engine.query('SELECT max("timestamp") AS last FROM utilization')
    last = frame["last"].iloc[0]
    if frame.empty or pd.isna(last):
        return None
    end = pd.Timestamp(last).date()
    return end - dt.timedelta(days=lookback_days - 1), end


def utilisation_stats(engine: Engine, start: dt.date, end: dt.date, percentiles: tuple[float, ...]) -> pd.DataFrame:
    """Per resource: `hours` of CPU data, `cpu_stat` used, `cpu_p<q>` per percentile, `cpu_max`
    (peak CPU), `mem_max` (peak memory, NaN without memory data), all in percent."""
    fractions = [q / 100 for q in percentiles]
    raw = engine.query(
        """
        SELECT resource_id, metric, stat,
               sum(interval_seconds) / 3600.0 AS hours,
               max(value) AS peak,
               quantile_cont(value, ?::DOUBLE[]) FILTER (WHERE metric = 'cpu_pct') AS q
        FROM utilization
        WHERE "timestamp" >= ? AND "timestamp" < ? AND metric IN ('cpu_pct', 'mem_pct')
        GROUP BY ALL
        """,
        [fractions, dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())],
    )
    columns = ["resource_id", "hours", "cpu_stat", *(_pcol(q) for q in percentiles), "cpu_max", "mem_max"]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    cpu = _first_by_preference(raw[raw["metric"] == "cpu_pct"], CPU_STATS)
    quantiles = np.array([list(q) for q in cpu["q"]], dtype=float).reshape(len(cpu), len(percentiles))
    out = pd.DataFrame({"resource_id": cpu["resource_id"].to_numpy(), "hours": cpu["hours"].to_numpy()})
    out["cpu_stat"] = cpu["stat"].to_numpy()
    for i, q in enumerate(percentiles):
        out[_pcol(q)] = quantiles[:, i]
    cpu_peak = _first_by_preference(raw[raw["metric"] == "cpu_pct"], PEAK_STATS).set_index("resource_id")["peak"]
    mem_peak = _first_by_preference(raw[raw["metric"] == "mem_pct"], PEAK_STATS).set_index("resource_id")["peak"]
    out["cpu_max"] = out["resource_id"].map(cpu_peak)
    out["mem_max"] = out["resource_id"].map(mem_peak).astype(float)
    return out[columns].sort_values("resource_id", ignore_index=True)


def _pcol(q: float) -> str:
    return f"cpu_p{q:g}"


def percentile_column(q: float) -> str:
    return _pcol(q)


def _first_by_preference(frame: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    """Per resource, the row of the most preferred stat present."""
    rank = frame["stat"].map({s: i for i, s in enumerate(order)}).fillna(len(order))
    ranked = frame.assign(_rank=rank.to_numpy()).sort_values(["resource_id", "_rank"], kind="stable")
    return ranked.drop_duplicates("resource_id").drop(columns="_rank")


def resource_series(engine: Engine, resource_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One resource's CPU and memory series over the lookback: timestamp, series ('cpu_pct p95'), value."""
    frame = engine.query(
        """
        SELECT "timestamp", metric || ' ' || stat AS series, value
        FROM utilization
        WHERE resource_id = ? AND "timestamp" >= ? AND "timestamp" < ? AND metric IN ('cpu_pct', 'mem_pct')
        ORDER BY "timestamp", series
        """,
        [
            resource_id,
            dt.datetime.combine(start, dt.time()),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
        ],
    )
    return frame
