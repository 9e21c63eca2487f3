"""What a rule set would change, before it is saved: the allocation is rebuilt inside a transaction
that is rolled back, so the stored allocation (and every other reader) never sees the draft."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analytics.allocation.apply import build
from analytics.allocation.rules import Rules
from analytics.engine import Connection, Params
from analytics.fx import FxTable
from analytics.queries import COST, SHARED, UnknownDimension, spend
from analytics.schema import Filters, Metric

NOT_DEFINED = "(not defined by these rules)"


class _SameConnection:
    """An engine on the connection itself: a cursor of its own would not see the open transaction."""

    def __init__(self, con: Connection) -> None:
        self.con = con

    def query(self, sql: str, params: Params = (), frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        for name, frame in (frames or {}).items():
            self.con.register(name, frame)
        try:
            return self.con.execute(sql, params).df()
        finally:
            for name in frames or {}:
                self.con.unregister(name)


def _by_owner(con: Connection, fx: FxTable, filters: Filters, owner: str, metric: Metric) -> pd.DataFrame:
    engine = _SameConnection(con)
    try:
        frame = spend(engine, fx, filters, [owner], metric).frame
    except UnknownDimension:
        total = spend(engine, fx, filters, [], metric).frame
        frame = pd.DataFrame({owner: [NOT_DEFINED], COST: total[COST], SHARED: total[SHARED]})
    return frame.rename(columns={owner: "owner"})


def preview(
    con: Connection,
    fx: FxTable,
    draft: Rules,
    owner: str,
    filters: Filters,
    metric: Metric = Metric.EFFECTIVE,
) -> pd.DataFrame:
    """Per owner of `owner`: spend under the rules in force (`before`) and under `draft` (`after`,
    with `shared_after`, the part of it split from shared pools). The caller serialises writes."""
    before = _by_owner(con, fx, filters, owner, metric)
    con.execute("BEGIN TRANSACTION")
    try:
        build(con, draft)
        after = _by_owner(con, fx, filters, owner, metric)
    finally:
        con.execute("ROLLBACK")
    merged = before[["owner", COST]].merge(
        after[["owner", COST, SHARED]], on="owner", how="outer", suffixes=("_before", "_after")
    )
    merged = merged.rename(columns={f"{COST}_before": "before", f"{COST}_after": "after", SHARED: "shared_after"})
    merged[["before", "after", "shared_after"]] = merged[["before", "after", "shared_after"]].fillna(0.0)
    merged["change"] = merged["after"] - merged["before"]
    return merged.sort_values("after", ascending=False, ignore_index=True)
