"""A rightsizing run: read the lookback's utilisation and cost once (`prepare`), then evaluate any
percentile, headroom, target and family choice on it without going back to the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable
from analytics.rightsizing.inventory import OWNER, owner_dimension, resource_facts
from analytics.rightsizing.prices import data_prices, sheet_for_regions
from analytics.rightsizing.recommend import evaluate, scenario_savings
from analytics.rightsizing.settings import PERCENTILES, Settings
from analytics.rightsizing.shapes import Shapes, load_shapes
from analytics.rightsizing.stats import utilisation_stats, window


@dataclass(frozen=True)
class Inputs:
    """What the database says over one lookback, for one cost basis and currency."""

    start: dt.date | None
    end: dt.date | None
    stats: pd.DataFrame
    facts: pd.DataFrame
    od_prices: pd.DataFrame
    sheet_prices: pd.DataFrame
    owner: str | None
    percentiles: tuple[float, ...]


def prepare(
    engine: Engine,
    fx: FxTable,
    settings: Settings,
    sheet: pd.DataFrame | None = None,
    owner: str | None = OWNER,
    shapes: Shapes | None = None,
) -> Inputs:
    shapes = shapes or load_shapes()
    percentiles = tuple(sorted({*PERCENTILES, settings.percentile}))
    span = window(engine, settings.lookback_days)
    dimension = owner_dimension(engine, owner)
    if span is None:
        empty = pd.DataFrame()
        return Inputs(None, None, empty, empty, empty, empty, dimension, percentiles)
    start, end = span
    stats = utilisation_stats(engine, start, end, percentiles)
    facts = resource_facts(
        engine, fx, shapes, list(stats["resource_id"]), start, end, settings.metric, settings.currency, dimension
    )
    if facts.empty:
        facts = pd.DataFrame(columns=["resource_id", "provider", "region", "instance_type", "rate", "running_hours"])
    od = data_prices(facts, shapes)
    regions = facts[["provider", "region"]].dropna().drop_duplicates()
    return Inputs(start, end, stats, facts, od, sheet_for_regions(sheet, regions), dimension, percentiles)


def recommendations(inputs: Inputs, settings: Settings, shapes: Shapes | None = None) -> pd.DataFrame:
    """The recommendation per measured resource (empty when no utilisation is loaded)."""
    if inputs.stats.empty:
        return pd.DataFrame(columns=["resource_id", "current", "proposed", "action", "monthly_savings", "risk"])
    if settings.percentile not in inputs.percentiles:
        raise ValueError(f"percentile {settings.percentile} was not prepared")
    return evaluate(
        inputs.stats, inputs.facts, shapes or load_shapes(), settings, inputs.od_prices, inputs.sheet_prices
    )


def sensitivity(
    inputs: Inputs, settings: Settings, headrooms: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
) -> pd.DataFrame:
    """Total monthly savings for each prepared percentile and headroom, other settings as given."""
    scenarios = [(q, h) for q in inputs.percentiles for h in headrooms]
    if inputs.stats.empty:
        return pd.DataFrame({"percentile": [], "headroom": [], "monthly_savings": []})
    shapes = load_shapes()
    return scenario_savings(
        inputs.stats, inputs.facts, shapes, settings, inputs.od_prices, inputs.sheet_prices, scenarios
    )
