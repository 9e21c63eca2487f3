"""The daily series watched for anomalies: one column per value of each monitored dimension."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.allocation.coverage import applied_rules
from analytics.engine import Engine
from analytics.forecast.series import EXCLUDED_CATEGORIES
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, UnknownDimension, check_dimension, data_span, spend
from analytics.schema import Filters, Grain, Metric

# algorithms.md §5.2 hierarchies: service, account, owner. Accounts by name, as people know them;
# the owner is the allocation rules' owner dimension (the one budgets and showback use), or the team
# tag when no rule names one.
MONITORED: tuple[str, ...] = ("ServiceName", "SubAccountName", "tag:team")
FALLBACK_OWNER = "tag:team"
TOP_N = 500  # values tracked per dimension, by spend over the last 90 days
NOT_SET = "(not set)"


def owner_dimension(engine: Engine) -> str:
    """The applied allocation rules' owner dimension, else FALLBACK_OWNER."""
    return applied_rules(engine).owner_dimension() or FALLBACK_OWNER


def monitored(engine: Engine) -> list[str]:
    """Service, account and owner dimensions this data has (a tag key nobody used is skipped)."""
    present = []
    wanted = [d if d != FALLBACK_OWNER else owner_dimension(engine) for d in MONITORED]
    for dimension in dict.fromkeys(wanted):
        try:
            present.append(check_dimension(engine, dimension))
        except UnknownDimension:
            continue
    return present


def daily_matrix(
    engine: Engine, fx: FxTable, dimension: str, currency: str, since: dt.date | None = None
) -> pd.DataFrame:
    """Rows: every UTC day loaded (from `since`, if given); columns: the TOP_N values of `dimension`;
    cells: EffectiveCost without purchases, tax and credits (not usage: a commitment bought is not
    an anomaly)."""
    span = data_span(engine)
    if span is None:
        return pd.DataFrame()
    first = max(span[0], since) if since is not None else span[0]
    scope = Filters(start=first, end=span[1])
    result = spend(engine, fx, scope, (dimension, "ChargeCategory"), Metric.EFFECTIVE, Grain.DAY, currency)
    frame = result.frame[~result.frame["ChargeCategory"].isin(EXCLUDED_CATEGORIES)]
    frame = frame.assign(value=frame[dimension].fillna(NOT_SET).astype(str))
    table = frame.pivot_table(index=PERIOD, columns="value", values=COST, aggfunc="sum", fill_value=0.0)
    table.index = pd.to_datetime(table.index)
    table = table.reindex(pd.date_range(first, span[1], freq="D"), fill_value=0.0)
    recent = table[table.index > pd.Timestamp(span[1] - dt.timedelta(days=90))].sum()
    keep = recent.sort_values(ascending=False).index[:TOP_N]
    return table[keep].astype(float)
