"""Staging one provider-month in DuckDB and loading it through the real ingest path (`store_rows`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.engine import Connection
from analytics.ingest.load import store_rows
from analytics.ingest.report import IngestReport
from analytics.sample.charges import (
    commitment_rows,
    credit_rows,
    insert_tax,
    invoice_context,
    marketplace_rows,
    support_row,
)
from analytics.sample.company import PROVIDER_INDEX
from analytics.sample.plan import Plan
from analytics.sample.tables import UTIL_SERIES, utilization_table
from analytics.sample.usage import Arrays, Chunk, daily_usage, hourly_usage
from analytics.schema import FOCUS_COLUMNS, MONEY, QUANTITY, TIME
from analytics.store import SAMPLE_FORMAT

_ARROW_TYPES = {MONEY: pa.float64(), QUANTITY: pa.float64(), TIME: pa.timestamp("us")}
STAGED_SCHEMA = pa.schema([(name, _ARROW_TYPES.get(sql, pa.string())) for name, sql in FOCUS_COLUMNS.items()])
_STAGED_DDL = ", ".join(f'"{name}" {"DOUBLE" if sql == MONEY else sql}' for name, sql in FOCUS_COLUMNS.items())
# The columns a resource's usage rows share, joined onto the numeric facts in SQL.
RESOURCE_DIMENSIONS = (
    "ResourceId", "ResourceName", "ResourceType", "SubAccountId", "SubAccountName", "SubAccountType", "RegionId",
    "RegionName", "AvailabilityZone", "ServiceName", "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceId", "SkuPriceDetails", "PricingUnit", "ConsumedUnit", "ChargeDescription", "ListUnitPrice", "Tags",
    "PublisherName", "ServiceProviderName", "HostProviderName",
)  # fmt: skip
INSERT_USAGE = """
INSERT INTO _sample_staged BY NAME
SELECT k.*, r.* EXCLUDE (rid, SkuPriceId),
       f.ChargePeriodStart, f.ChargePeriodEnd, 'Usage' AS ChargeCategory, 'Usage-Based' AS ChargeFrequency,
       f.PricingQuantity, f.PricingQuantity AS ConsumedQuantity, f.ListCost, f.ContractedCost,
       f.ContractedUnitPrice, f.EffectiveCost, f.BilledCost,
       CASE f.pricing WHEN 1 THEN 'Committed' WHEN 2 THEN 'Dynamic' ELSE 'Standard' END AS PricingCategory,
       CASE f.pricing WHEN 1 THEN r.SkuId || '.' || c.price_code WHEN 2 THEN r.SkuId || '.SPOT'
            ELSE r.SkuPriceId END AS SkuPriceId,
       c.CommitmentDiscountId, c.CommitmentDiscountName, c.CommitmentDiscountCategory,
       c.CommitmentDiscountType, c.CommitmentDiscountUnit,
       CASE WHEN f.cidx >= 0 THEN 'Used' END AS CommitmentDiscountStatus,
       CASE WHEN f.cidx >= 0 THEN f.CommitmentDiscountQuantity END AS CommitmentDiscountQuantity
FROM _sample_facts f
JOIN _sample_resources r ON r.rid = f.rid
CROSS JOIN _sample_context k
LEFT JOIN _sample_commitments c ON c.cidx = f.cidx
"""


def register_plan(con: Connection, plan: Plan) -> None:
    resources = plan.res[["rid", *RESOURCE_DIMENSIONS]]
    con.register("_sample_resources", pa.Table.from_pandas(resources, preserve_index=False))
    commitments = pd.DataFrame(
        {
            "cidx": [c.index for c in plan.commitments],
            "CommitmentDiscountId": [c.spec.id for c in plan.commitments],
            "CommitmentDiscountName": [c.spec.name for c in plan.commitments],
            "CommitmentDiscountCategory": [c.spec.category for c in plan.commitments],
            "CommitmentDiscountType": [c.spec.type for c in plan.commitments],
            "CommitmentDiscountUnit": [c.spec.unit for c in plan.commitments],
            "price_code": [c.price_code for c in plan.commitments],
        }
    )
    con.register("_sample_commitments", pa.Table.from_pandas(commitments, preserve_index=False))
    series = pd.DataFrame(
        {"series": range(len(UTIL_SERIES)), "metric": [m for m, _ in UTIL_SERIES], "stat": [s for _, s in UTIL_SERIES]}
    )
    con.register("_sample_series", pa.Table.from_pandas(series.astype({"series": "int8"}), preserve_index=False))


def unregister_plan(con: Connection) -> None:
    for name in ("_sample_resources", "_sample_commitments", "_sample_series"):
        con.unregister(name)


def _insert_rows(con: Connection, context: dict[str, object], rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    records = [{**context, **row} for row in rows]
    keys = list(dict.fromkeys(k for r in records for k in r))
    schema = pa.schema([STAGED_SCHEMA.field(k) for k in keys])
    con.register("_sample_extra", pa.Table.from_pylist(records, schema=schema))
    con.execute("INSERT INTO _sample_staged BY NAME SELECT * FROM _sample_extra")
    con.unregister("_sample_extra")


def load_chunk(
    con: Connection,
    plan: Plan,
    arrays: Arrays,
    chunk: Chunk,
    batch: str,
    rows: int,
    anomaly_extra: np.ndarray,
) -> int:
    """Generate and load one provider-month; returns the line items loaded."""
    context = invoice_context(plan, chunk)
    hourly, unused, util_rid, util_hour = hourly_usage(plan, arrays, chunk)
    daily = daily_usage(plan, arrays, chunk, anomaly_extra)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sample_staged ({_STAGED_DDL})")
    con.register(
        "_sample_context", pa.Table.from_pylist([context], schema=pa.schema([STAGED_SCHEMA.field(k) for k in context]))
    )
    for facts in (hourly, daily):
        con.register("_sample_facts", facts)
        con.execute(INSERT_USAGE)
        con.unregister("_sample_facts")
    del hourly, daily
    _insert_rows(con, context, commitment_rows(plan, chunk, unused) + marketplace_rows(plan, chunk))
    _insert_rows(con, context, credit_rows(con, plan, chunk))
    support = support_row(con, plan, chunk)
    _insert_rows(con, context, [support] if support else [])
    insert_tax(con, plan, chunk)
    # The sample quotes prices in the billing currency, so the FOCUS 1.2 pricing-currency columns repeat it.
    con.execute(
        "UPDATE _sample_staged SET PricingCurrency = BillingCurrency, PricingCurrencyEffectiveCost = EffectiveCost, "
        "PricingCurrencyListUnitPrice = ListUnitPrice, PricingCurrencyContractedUnitPrice = ContractedUnitPrice"
    )
    con.unregister("_sample_context")
    count = int(con.execute("SELECT count(*) FROM _sample_staged").fetchall()[0][0])
    period = plan.window.periods[chunk.period][0].strftime("%Y-%m")
    report = IngestReport(file=f"sample ({chunk.provider.name})", format=SAMPLE_FORMAT, rows_read=count)
    file_hash = f"sample:seed={plan.seed}:as_of={plan.window.end.date()}:rows={rows}:{chunk.provider.key}:{period}"
    store_rows(con, "_sample_staged", report, file_hash=file_hash, batch=batch)
    con.execute("DROP TABLE _sample_staged")
    util_rng = np.random.default_rng([plan.seed, PROVIDER_INDEX[chunk.provider.key], chunk.period, 7])
    util = utilization_table(plan, arrays, util_rid, util_hour, util_rng)
    if util is not None:
        con.register("_sample_util", util)
        con.execute(
            "INSERT INTO utilization SELECT r.ResourceId, u.timestamp, s.metric, s.stat, u.value, 3600 "
            "FROM _sample_util u JOIN _sample_resources r ON r.rid = u.rid JOIN _sample_series s USING (series)"
        )
        con.unregister("_sample_util")
    return report.rows_loaded
