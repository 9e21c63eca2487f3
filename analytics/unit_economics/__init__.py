"""Unit economics: cost per unit of a business metric (orders, active users), per owner and over
time, after allocation. Metrics are loaded by `metrics_ingest`, divided in `compute`, a change is
split into "cost grew" and "volume grew" by `decompose`, targets live in `targets`."""

from analytics.unit_economics.compute import UnitCosts, unit_cost, unit_costs
from analytics.unit_economics.decompose import decompose, split_change
from analytics.unit_economics.metrics import UnknownMetric, catalog, default_metric
from analytics.unit_economics.tile import UnitTile, last_full_month_unit_cost

__all__ = [
    "UnitCosts",
    "UnitTile",
    "UnknownMetric",
    "catalog",
    "decompose",
    "default_metric",
    "last_full_month_unit_cost",
    "split_change",
    "unit_cost",
    "unit_costs",
]
