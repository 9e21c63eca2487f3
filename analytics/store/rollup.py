"""The daily rollup `daily_costs`: its table and how it is built from `line_items`, by ingest for
each new source and by the store's upgrade for all of them (so both build the same rows)."""

from __future__ import annotations

from analytics.engine import Connection
from analytics.schema import MONEY, ROLLUP_DIMENSIONS

_DIMENSIONS = ",\n    ".join(f'"{d}" VARCHAR' for d in ROLLUP_DIMENSIONS)

DAILY_COSTS_DDL = f"""
CREATE TABLE IF NOT EXISTS daily_costs (
    ChargeDay DATE NOT NULL,
    BillingPeriodStart TIMESTAMP,
    {_DIMENSIONS},
    x_TagSetId BIGINT,
    x_SourceId BIGINT NOT NULL,
    BilledCost {MONEY},
    EffectiveCost {MONEY},
    ListCost {MONEY},
    ContractedCost {MONEY},
    LineItems BIGINT NOT NULL
);
"""


def build_rollup(con: Connection, source_id: int) -> None:
    """Daily sums of the four cost metrics per rollup dimension and tag set, for one source."""
    dims = ", ".join(f'"{d}"' for d in ROLLUP_DIMENSIONS)
    # Columns named: a table with its columns in another order still gets each value in its place.
    con.execute(
        f"""
        INSERT INTO daily_costs (ChargeDay, BillingPeriodStart, {dims}, x_TagSetId, x_SourceId,
                                 BilledCost, EffectiveCost, ListCost, ContractedCost, LineItems)
        SELECT CAST(ChargePeriodStart AS DATE), BillingPeriodStart, {dims}, x_TagSetId, x_SourceId,
               sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost), count(*)
        FROM line_items WHERE x_SourceId = ?
        GROUP BY ALL
        """,
        [source_id],
    )


def rebuild_rollups(con: Connection) -> int:
    """`daily_costs` dropped and built again from the line items, source by source as ingest built
    it (so the rows stay in source order, which date-range scans rely on); returns the rows built.
    The caller holds the transaction."""
    con.execute("DROP TABLE IF EXISTS daily_costs")
    con.execute(DAILY_COSTS_DDL)
    ids = [int(r[0]) for r in con.execute("SELECT DISTINCT x_SourceId FROM line_items ORDER BY 1").fetchall()]
    for source_id in ids:
        build_rollup(con, source_id)
    row = con.execute("SELECT count(*) FROM daily_costs").fetchone()
    return int(row[0]) if row else 0
