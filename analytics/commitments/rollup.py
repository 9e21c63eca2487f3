"""The commitment line items summed per commitment, start time, currency and kind of row: tens of
thousands of rows where the line items hold millions. Built at write time (with the allocation,
which every write path refreshes), so the inventory reads it instead of the line items. A reader
uses it only when it was built from the data as it is now (its stamp is the sources' stamp), and
reads the line items otherwise, so a write path that forgot to rebuild it costs time, never a
wrong figure."""

from __future__ import annotations

from analytics.commitments.money import ode
from analytics.engine import Connection, Engine
from analytics.store import set_meta

TABLE = "commitment_starts"
STAMP_KEY = "commitment_starts_stamp"
# What changes whenever a source is loaded, replaced or removed (as analytics.allocation.apply's).
_SOURCES_STAMP = (
    "SELECT concat_ws('|', count(*), max(x_SourceId), CAST(max(x_IngestedAt) AS VARCHAR)) AS stamp FROM sources"
)

STARTS_SQL = f"""
    SELECT r.CommitmentDiscountId AS id, r.ChargePeriodStart AS start, r.BillingCurrency,
           r.ChargeCategory AS charge, r.CommitmentDiscountStatus AS status, r.ChargeFrequency AS frequency,
           any_value(r.CommitmentDiscountName) AS name,
           any_value(r.CommitmentDiscountType) AS type,
           any_value(r.CommitmentDiscountCategory) AS category,
           any_value(r.CommitmentDiscountUnit) AS unit,
           any_value(r.ProviderName) AS provider,
           any_value(r.SubAccountName) AS account,
           max(r.ChargePeriodEnd) AS last_end,
           sum(r.EffectiveCost) AS cost,
           sum({ode("r")}) AS ode,
           sum(r.CommitmentDiscountQuantity) AS quantity
    FROM line_items r
    WHERE r.CommitmentDiscountId IS NOT NULL AND r.ChargeCategory IN ('Usage', 'Purchase')
    GROUP BY r.CommitmentDiscountId, r.ChargePeriodStart, r.BillingCurrency, charge, status, frequency
"""


def build(con: Connection) -> None:
    """Rebuild the table from the line items and stamp it; the caller holds the transaction."""
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {STARTS_SQL}")
    set_meta(con, STAMP_KEY, str(con.execute(_SOURCES_STAMP).fetchall()[0][0]))


def source(engine: Engine) -> str:
    """What the inventory reads its rows from: the table when it was built from the data as it is,
    else the query over the line items."""
    fresh = engine.query(f"SELECT (SELECT value FROM meta WHERE key = ?) = ({_SOURCES_STAMP}) AS fresh", [STAMP_KEY])
    return TABLE if bool(fresh["fresh"].fillna(False).iloc[0]) else f"({STARTS_SQL})"
