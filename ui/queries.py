"""The app's cached reads of what is loaded: spend, dimensions and their values, the data's span,
the sources and their freshness. Keyed on the hashable Filters plus, through ui.cache, the loaded
data's version and the exchange-rate file, so a write or an edited rate is never served stale."""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics import queries, sources
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from analytics.queries import SpendResult
from analytics.schema import EVERYTHING, Filters, Grain, Metric
from ui.cache import cached, cached_fx


@cached_fx(max_entries=512)
def _spend(
    engine: DuckDBEngine,
    fx: FxTable,
    filters: Filters,
    group_by: tuple[str, ...],
    metric: Metric,
    grain: Grain,
    currency: str,
) -> SpendResult:
    return queries.spend(engine, fx, filters, group_by, metric, grain, currency)


def spend(
    filters: Filters,
    group_by: tuple[str, ...] = (),
    metric: Metric = Metric.EFFECTIVE,
    grain: Grain = Grain.NONE,
    currency: str = "USD",
) -> SpendResult:
    """`metric` per group (and period) in `currency`; see analytics.queries.spend."""
    return _spend(filters, tuple(group_by), Metric(metric), Grain(grain), currency)


@cached(max_entries=256)
def _dimension_values(engine: DuckDBEngine, dimension: str, filters: Filters) -> list[str | None]:
    return queries.dimension_values(engine, dimension, filters)


def dimension_values(dimension: str, filters: Filters = EVERYTHING) -> list[str | None]:
    """Values of `dimension`, largest spend first; None is "not set"."""
    return _dimension_values(dimension, filters)


@cached(max_entries=16)
def dimensions(engine: DuckDBEngine) -> list[str]:
    """Every dimension name: FOCUS columns, then `tag:<key>` by spend."""
    return queries.dimensions(engine)


@cached(max_entries=16)
def data_span(engine: DuckDBEngine) -> tuple[Any, Any] | None:
    """(first, last) UTC day with charges, or None when nothing is loaded."""
    return queries.data_span(engine)


@cached(max_entries=16)
def loaded_sources(engine: DuckDBEngine) -> list[dict[str, Any]]:
    """One entry per loaded source file; see analytics.sources.list_sources."""
    return sources.list_sources(engine)


@cached(max_entries=16)
def _freshness(engine: DuckDBEngine, today: dt.date) -> list[dict[str, Any]]:
    return sources.freshness(engine, today)


def freshness() -> list[dict[str, Any]]:
    """Latest UTC day with charges per provider, and whether it is stale; see analytics.sources."""
    return _freshness(dt.datetime.now(dt.UTC).date())
