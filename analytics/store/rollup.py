"""What is derived from each source's line items when it is stored: the daily rollup `daily_costs`,
and `contract_applied`, the FOCUS 1.3 ContractApplied elements summed per commitment. Ingest builds
them for each new source and the store's upgrade for all of them, so both build the same rows; every
removal of a source's rows removes them from `SOURCE_TABLES` alike."""

from __future__ import annotations

from analytics.contract_applied import AMOUNT, elements_sql
from analytics.engine import Connection
from analytics.schema import MONEY, ROLLUP_DIMENSIONS

# The tables holding rows of a source (by x_SourceId), each with the columns of a delivery's key.
SOURCE_TABLES = ("line_items", "daily_costs", "contract_applied")

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


# Reading ContractApplied parses JSON (about 3 s a million rows): done once per source, here, so the
# Commitments page sums a few rows per commitment instead of every line item's JSON.
CONTRACT_APPLIED_DDL = f"""
CREATE TABLE IF NOT EXISTS contract_applied (
    x_SourceId BIGINT NOT NULL,
    ProviderName VARCHAR,
    BillingAccountId VARCHAR,
    BillingPeriodStart TIMESTAMP,
    ChargeCategory VARCHAR,
    BillingCurrency VARCHAR,
    commitment_id VARCHAR NOT NULL,
    applied_unit VARCHAR,
    applied_cost {AMOUNT},
    applied_quantity {AMOUNT}
);
"""
_KEPT = ("x_SourceId", "ProviderName", "BillingAccountId", "BillingPeriodStart", "ChargeCategory", "BillingCurrency")


def build_contract_applied(con: Connection, source_id: int) -> None:
    """The ContractApplied elements of one source's line items, summed per commitment, unit and the
    columns a delivery is replaced by."""
    rows = f"(SELECT * FROM line_items WHERE x_SourceId = {int(source_id)}) s"
    kept = ", ".join(f'"{c}"' for c in _KEPT)
    con.execute(
        f"""
        INSERT INTO contract_applied ({kept}, commitment_id, applied_unit, applied_cost, applied_quantity)
        SELECT {kept}, commitment_id, applied_unit, sum(applied_cost), sum(applied_quantity)
        FROM ({elements_sql(rows, _KEPT)}) WHERE commitment_id IS NOT NULL
        GROUP BY ALL
        """
    )


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
    it (so the rows stay in source order, which date-range scans rely on), and `contract_applied`
    with it; returns the rollup rows built.
    The caller holds the transaction."""
    con.execute("DROP TABLE IF EXISTS daily_costs")
    con.execute(DAILY_COSTS_DDL)
    con.execute("DELETE FROM contract_applied")
    ids = [int(r[0]) for r in con.execute("SELECT DISTINCT x_SourceId FROM line_items ORDER BY 1").fetchall()]
    for source_id in ids:
        build_rollup(con, source_id)
        build_contract_applied(con, source_id)
    row = con.execute("SELECT count(*) FROM daily_costs").fetchone()
    return int(row[0]) if row else 0
