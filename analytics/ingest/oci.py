"""Oracle Cloud legacy cost reports (`reports/cost-csv`: `lineItem/`, `product/`, `cost/`, `usage/`,
`tags/<namespace>.<key>` columns) onto FOCUS: one FOCUS row per report row, BilledCost = cost/myCost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest import focus
from analytics.ingest.jsonl import ident
from analytics.ingest.readable import as_text, number, refuse_unreadable
from analytics.ingest.report import IngestError, IngestReport

PROVIDER = "Oracle"
REQUIRED = (
    "lineItem/intervalUsageStart",
    "lineItem/intervalUsageEnd",
    "product/service",
    "cost/myCost",
    "cost/currencyCode",
    "lineItem/tenantId",
)
_SIGNATURE = {"lineitem/intervalusagestart", "product/service", "cost/mycost", "cost/currencycode"}
_VIEW, _TAGS = "_oci", "_oci_tags"
# FOCUS 1.2 ServiceCategory of the common `product/service` codes; the rest are 'Other'.
CATEGORIES = {
    "COMPUTE": "Compute",
    "FUNCTIONS": "Compute",
    "CONTAINER_ENGINE": "Compute",
    "BLOCK_STORAGE": "Storage",
    "OBJECTSTORE": "Storage",
    "FILE_STORAGE": "Storage",
    "DATABASE": "Databases",
    "MYSQL": "Databases",
    "NOSQL": "Databases",
    "NETWORK": "Networking",
    "LOAD_BALANCER": "Networking",
    "DNS": "Networking",
    "TELEMETRY": "Management and Governance",
    "LOGGING": "Management and Governance",
    "ORACLE_STREAMING_SERVICE": "Integration",
    "DATA_SCIENCE": "AI and Machine Learning",
    "VAULT": "Security",
}


def detect(columns: Sequence[str]) -> bool:
    return {c.strip().lower() for c in columns} >= _SIGNATURE


def normalise(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """Temp table `table` with FOCUS columns from the cost report rows in `_raw`."""
    as_text(con)
    names = [r[0] for r in con.execute(f"DESCRIBE {focus.RAW}").fetchall() if r[0] != "_row"]
    by_lower = {n.strip().lower(): n for n in names}
    missing = [c for c in REQUIRED if c.lower() not in by_lower]
    if missing:
        raise IngestError(f"{path}: an Oracle Cloud cost report needs the columns {', '.join(missing)}")

    def col(name: str) -> str:
        found = by_lower.get(name.lower())
        return f"r.{ident(found)}" if found else "CAST(NULL AS VARCHAR)"

    cost, start = col("cost/myCost"), col("lineItem/intervalUsageStart")
    refuse_unreadable(
        con,
        path,
        [
            ("cost/myCost", cost, number(cost), "a number"),
            ("lineItem/intervalUsageStart", start, f"try_cast(trim({start}) AS TIMESTAMPTZ) IS NULL", "a date/time"),
        ],
    )
    tagged = any(n.startswith("tags/") for n in names)
    try:
        if tagged:
            _tags_table(con)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_VIEW} AS {_mapping(col, tagged)}")
        focus.from_raw(con, path, report, table, source=_VIEW)
    finally:
        con.execute(f"DROP VIEW IF EXISTS {_VIEW}")
        con.execute(f"DROP TABLE IF EXISTS {_TAGS}")
    report.warn("ListCost is not in OCI cost reports (no list price column); it is left empty")
    if "cost/mycostoverage" in by_lower:
        overage = con.execute(
            f"SELECT sum(try_cast(trim({col('cost/myCostOverage')}) AS DECIMAL(38,12))) FROM {focus.RAW} r"
        ).fetchone()
        if overage and overage[0]:
            report.warn(f"cost/myCostOverage sums to {overage[0]:f}; it is not added (BilledCost is cost/myCost)")


def _tags_table(con: Connection) -> None:
    """Tags JSON per row from the `tags/<namespace>.<key>` columns: the key is `<namespace>.<key>`
    as written (a key may hold a backslash); empty cells are no tag. UNPIVOT keeps the column
    names out of the SQL text and drops the nulls."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_TAGS} AS
        SELECT _row, CAST(to_json(map(list(substr(name, 6) ORDER BY name), list(value ORDER BY name))) AS VARCHAR)
               AS tags
        FROM (UNPIVOT (SELECT _row, COLUMNS('^tags/') FROM {focus.RAW})
              ON COLUMNS(* EXCLUDE (_row)) INTO NAME name VALUE value)
        WHERE trim(value) <> ''
        GROUP BY _row
        """
    )


def _mapping(c: Callable[[str], str], tagged: bool) -> str:
    """SELECT of `_raw` under FOCUS names; values stay text, `focus.from_raw` types them."""
    start = c("lineItem/intervalUsageStart")
    month = f"date_trunc('month', timezone('UTC', try_cast(trim({start}) AS TIMESTAMPTZ)))"
    categories = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in CATEGORIES.items())
    fields = {
        "BilledCost": c("cost/myCost"),
        "EffectiveCost": c("cost/myCost"),
        "ContractedCost": c("cost/myCost"),
        "ContractedUnitPrice": c("cost/unitPrice"),
        "BillingAccountId": f"coalesce({c('cost/subscriptionId')}, {c('lineItem/tenantId')})",
        "BillingCurrency": c("cost/currencyCode"),
        # OCI bills by calendar month in UTC; the report has no billing-period column.
        "BillingPeriodStart": month,
        "BillingPeriodEnd": f"{month} + INTERVAL 1 MONTH",
        "ChargePeriodStart": start,
        "ChargePeriodEnd": c("lineItem/intervalUsageEnd"),
        "ChargeCategory": "'Usage'",
        "ChargeClass": f"CASE WHEN lower(trim({c('lineItem/isCorrection')})) = 'true' THEN 'Correction' END",
        "ChargeFrequency": "'Usage-Based'",
        "ChargeDescription": c("product/Description"),
        "ServiceName": c("product/service"),
        "ServiceCategory": f"CASE upper({c('product/service')}) {categories} ELSE 'Other' END",
        "SkuId": c("cost/productSku"),
        "SubAccountId": c("lineItem/tenantId"),
        "SubAccountType": "'Tenancy'",
        "RegionId": c("product/region"),
        "AvailabilityZone": c("product/availabilityDomain"),
        "ResourceId": c("product/resourceId"),
        "ConsumedQuantity": c("usage/billedQuantity"),
        "ConsumedUnit": c("cost/skuUnitDescription"),
        "PricingQuantity": c("usage/billedQuantity"),
        "PricingUnit": c("cost/skuUnitDescription"),
        "ProviderName": f"'{PROVIDER}'",
        "PublisherName": f"'{PROVIDER}'",
        "InvoiceIssuerName": f"'{PROVIDER}'",
        "Tags": "t.tags" if tagged else "CAST(NULL AS VARCHAR)",
    }
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in fields.items())
    join = f"LEFT JOIN {_TAGS} t USING (_row)" if tagged else ""
    return f"SELECT r._row, {selects} FROM {focus.RAW} r {join}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
