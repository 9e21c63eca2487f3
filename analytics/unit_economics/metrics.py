"""What business metrics are stored, and their values summed per period (and owner)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.engine import Engine
from analytics.schema import Grain

DEFAULT_METRIC = "orders"  # the sample company's; otherwise the first metric by name


class UnknownMetric(ValueError):
    """A metric name that is not in `business_metrics`."""


@dataclass(frozen=True)
class MetricInfo:
    """One stored metric: the owner dimensions it has values for (None: company-wide) and its days."""

    name: str
    dimensions: tuple[str | None, ...]
    first: dt.date
    last: dt.date

    @property
    def company_wide(self) -> bool:
        return None in self.dimensions

    @property
    def owner_dimensions(self) -> tuple[str, ...]:
        return tuple(d for d in self.dimensions if d is not None)


def catalog(engine: Engine) -> dict[str, MetricInfo]:
    """Every stored metric by name."""
    frame = engine.query(
        "SELECT metric, dimension, min(date) AS first, max(date) AS last FROM business_metrics "
        "GROUP BY ALL ORDER BY metric, dimension NULLS FIRST"
    )
    found: dict[str, MetricInfo] = {}
    for name, rows in frame.groupby("metric", sort=True):
        found[str(name)] = MetricInfo(
            name=str(name),
            dimensions=tuple(None if pd.isna(d) else str(d) for d in rows["dimension"]),
            first=pd.Timestamp(rows["first"].min()).date(),
            last=pd.Timestamp(rows["last"].max()).date(),
        )
    return found


def stamp(engine: Engine) -> str:
    """Changes whenever the stored metrics do: loading metrics leaves the cost data, and so the
    store's own version, as it was, so caches of unit costs key on this as well."""
    row = engine.query("SELECT count(*) AS n, sum(value) AS s, max(date) AS d FROM business_metrics")
    return "|".join(str(v) for v in row.iloc[0].tolist())


def default_metric(found: dict[str, MetricInfo]) -> str | None:
    if DEFAULT_METRIC in found:
        return DEFAULT_METRIC
    return next(iter(sorted(found)), None)


def check_metric(found: dict[str, MetricInfo], metric: str) -> MetricInfo:
    if metric in found:
        return found[metric]
    known = ", ".join(sorted(found)) or "none loaded yet (python -m analytics ingest-metrics FILE)"
    raise UnknownMetric(f"unknown metric {metric!r}; known metrics: {known}")


def period_sql(grain: Grain, column: str) -> str:
    """The period a day belongs to, cut as analytics.queries cuts cost periods (weeks from Monday)."""
    if grain is Grain.DAY:
        return column
    return f"CAST(date_trunc('{grain.value}', {column}) AS DATE)"


def values(
    engine: Engine, metric: str, dimension: str | None, start: dt.date, end: dt.date, grain: Grain
) -> pd.DataFrame:
    """Sum of `metric` per period and owner for one owner dimension (None: the company-wide rows),
    over whole UTC days [start, end]. Columns: period, owner, value, days (the days with a value)."""
    frame = engine.query(
        f"SELECT {period_sql(grain, 'date')} AS period, owner, sum(value) AS value, count(DISTINCT date) AS days "
        "FROM business_metrics WHERE metric = ? AND dimension IS NOT DISTINCT FROM ? AND date BETWEEN ? AND ? "
        "GROUP BY ALL",
        [metric, dimension, start, end],
    )
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["owner"] = frame["owner"].astype(object).where(frame["owner"].notna(), None)
    return frame


def company_values(
    engine: Engine, info: MetricInfo, preferred: str | None, start: dt.date, end: dt.date, grain: Grain
) -> tuple[pd.DataFrame, str]:
    """The whole company's value per period: the company-wide rows when the metric has them, else
    the sum over the owners of `preferred` (or of its only owner dimension). Also says which."""
    if info.company_wide:
        return values(engine, info.name, None, start, end, grain), "company-wide values"
    options = info.owner_dimensions
    dimension = preferred if preferred in options else (options[0] if len(options) == 1 else None)
    if dimension is None:
        raise UnknownMetric(
            f"metric {info.name!r} has no company-wide values, only per owner of {', '.join(options)}: "
            "choose one of these as the owner dimension"
        )
    # Days count once however many owners report on them: a day with any owner's value is measured.
    frame = engine.query(
        f"SELECT {period_sql(grain, 'date')} AS period, sum(value) AS value, count(DISTINCT date) AS days "
        "FROM business_metrics WHERE metric = ? AND dimension = ? AND date BETWEEN ? AND ? GROUP BY ALL",
        [info.name, dimension, start, end],
    )
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame.assign(owner=None), f"the sum over {dimension}"
