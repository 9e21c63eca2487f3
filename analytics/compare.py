"""Ranking of groups against the previous period, and top-N + "Other" bucketing for charts.
Pure pandas over frames shaped like `queries.spend` results: group columns plus `cost`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics.csv_safety import csv_bytes
from analytics.schema import is_tag

COST = "cost"
SHARED = "shared"
OTHER = "Other"
UNTAGGED = "(untagged)"
NOT_SET = "(not set)"
RANKING_COLUMNS = ("total", "share", "previous", "change", "change_pct")


def missing_label(dimension: str) -> str:
    """How a missing value of `dimension` is shown: "(untagged)" for a tag key, else "(not set)"."""
    return UNTAGGED if is_tag(dimension) else NOT_SET


def label(value: object, dimension: str) -> str:
    """The text shown for one value; None and NaN become the missing label."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return missing_label(dimension)
    return str(value)


def labelled(frame: pd.DataFrame, dimensions: Sequence[str]) -> pd.DataFrame:
    """A copy with each dimension column turned into display text, missing values labelled."""
    out = frame.copy()
    for dimension in dimensions:
        out[dimension] = pd.Series([label(v, dimension) for v in out[dimension]], index=out.index, dtype=object)
    return out


def order(frame: pd.DataFrame, column: str, cost: str = COST) -> list[str]:
    """Values of `column`, largest total first, with "Other" always last."""
    totals = frame.groupby(column, dropna=False)[cost].sum().sort_values(ascending=False, kind="stable")
    values = [str(v) for v in totals.index if v != OTHER]
    return values + ([OTHER] if OTHER in set(totals.index) else [])


def top_n(frame: pd.DataFrame, column: str, n: int, cost: str = COST) -> pd.DataFrame:
    """Keep the `n` values of `column` with the largest total; fold the rest into one "Other"
    row per combination of the remaining columns. Expects labelled (text) group columns."""
    if frame.empty:
        return frame.copy()
    keep = set(order(frame, column, cost)[: max(n, 0)])
    out = frame.copy()
    out[column] = out[column].where(out[column].isin(keep), OTHER)
    keys = [c for c in out.columns if c not in (cost, SHARED)]
    return out.groupby(keys, dropna=False, sort=False)[cost].sum().reset_index()


def fill_periods(frame: pd.DataFrame, periods: Sequence[object], column: str, period: str = "period") -> pd.DataFrame:
    """Every (period, value of `column`) pair, with 0 where there was no spend, so a stacked
    chart neither skips nor interpolates across empty periods."""
    values = list(dict.fromkeys(frame[column]))
    if not values:
        return frame.copy()
    grid = pd.MultiIndex.from_product([list(periods), values], names=[period, column])
    summed = frame.groupby([period, column], dropna=False)[COST].sum()
    full = pd.MultiIndex.from_tuples([*grid, *summed.index], names=[period, column]).unique()
    return summed.reindex(full, fill_value=0.0).reset_index()


def ranking_table(current: pd.DataFrame, previous: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per group of `keys`: `total` now, `share` of the grand total, `previous` total over
    the period of the same length before, `change` and `change_pct` (NaN when nothing before), and,
    when shared-cost pools were split onto these groups, `shared`: the part of `total` they received.
    Groups that only had spend before are kept, with a total of 0. Largest total first."""
    keys = list(keys)
    now = current.groupby(keys, dropna=False)[COST].sum().rename("total")
    before = previous.groupby(keys, dropna=False)[COST].sum().rename("previous")
    table = pd.concat([now, before], axis=1).fillna(0.0).reset_index()
    table.columns = [*keys, "total", "previous"]
    grand = float(table["total"].sum())
    table["share"] = table["total"] / grand if grand else float("nan")
    table["change"] = table["total"] - table["previous"]
    base = table["previous"].abs()
    table["change_pct"] = (table["change"] / base).where(base > 0)
    table = table.sort_values(["total", *keys], ascending=[False, *([True] * len(keys))], kind="stable")
    columns = [*keys, *RANKING_COLUMNS]
    if SHARED in current and current[SHARED].any():
        received = current.groupby(keys, dropna=False)[SHARED].sum().rename(SHARED).reset_index()
        table = table.merge(received, on=keys, how="left").fillna({SHARED: 0.0})
        columns.insert(len(keys) + 1, SHARED)
    return table[columns].reset_index(drop=True)


def totals(frame: pd.DataFrame) -> float:
    """The grand total of `cost` (0.0 for an empty frame)."""
    return float(frame[COST].sum()) if len(frame) else 0.0


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of `frame`, text cells that would run as a formula made inert (see csv_safety)."""
    return csv_bytes(frame)
