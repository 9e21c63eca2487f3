"""Google Cloud billing export (standard and resource-level; CSV with dotted column names or
newline-delimited JSON) onto FOCUS: one FOCUS row per export row, credits netted into the cost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest import focus, gcp_lookups
from analytics.ingest.gcp_lookups import Columns
from analytics.ingest.readable import number, refuse_unreadable
from analytics.ingest.report import IngestError, IngestReport

PROVIDER = "Google Cloud"
REQUIRED = (
    "billing_account_id",
    "cost",
    "currency",
    "usage_start_time",
    "usage_end_time",
    "service.description",
    "invoice.month",
)
_SIGNATURE = {"billing_account_id", "cost", "currency", "usage_start_time", "service.description"}
_VIEW = "_gcp"


def detect(columns: Sequence[str]) -> bool:
    """The export's own field names; the JSON form has them too once objects are flattened."""
    return {c.strip().lower() for c in columns} >= _SIGNATURE


def normalise(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """Temp table `table` with FOCUS columns from the export rows in `_raw`."""
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {focus.RAW}").fetchall()}
    missing = [c for c in REQUIRED if c not in types]
    if missing:
        raise IngestError(f"{path}: a Google Cloud billing export needs the fields {', '.join(missing)}")
    cols = Columns(types)
    _refuse_unreadable(con, path, cols)
    try:
        joins = gcp_lookups.build(con, path, report, cols)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_VIEW} AS {_mapping(cols, joins)}")
        if "cost_at_list" not in types:
            report.warn("ListCost is the cost before credits: this export has no cost_at_list field")
        focus.from_raw(con, path, report, table, source=_VIEW)
    finally:
        con.execute(f"DROP VIEW IF EXISTS {_VIEW}")
        gcp_lookups.drop(con)


def _refuse_unreadable(con: Connection, path: Path, cols: Columns) -> None:
    """The two values the mapping computes with must be readable; FOCUS parsing checks the rest."""
    cost, month = cols.text("cost"), f"trim({cols.text('invoice.month')})"
    bad_month = f"NOT regexp_full_match({month}, '\\d{{6}}') OR try_strptime({month}, '%Y%m') IS NULL"
    refuse_unreadable(
        con, path, [("cost", cost, number(cost), "a number"), ("invoice.month", month, bad_month, "a month (YYYYMM)")]
    )


def _mapping(cols: Columns, joins: gcp_lookups.Joins) -> str:
    """SELECT of `_raw` under FOCUS names; values may stay text, `focus.from_raw` types them."""
    t = cols.text
    cost = f"CAST(trim({t('cost')}) AS DECIMAL(38,12))"
    period = f"strptime(trim({t('invoice.month')}), '%Y%m')"
    cost_type, sku = f"lower({t('cost_type')})", t("sku.description")
    category = (
        f"CASE WHEN {cost_type} = 'tax' THEN 'Tax' "
        f"WHEN {cost_type} IN ('adjustment', 'rounding_error') THEN 'Adjustment' "
        f"WHEN {cost_type} = 'credit' THEN 'Credit' "
        # Committed use discount fees arrive as regular rows whose SKU names the commitment.
        f"WHEN {sku} ILIKE 'Commitment%' THEN 'Purchase' "
        f"WHEN {cost_type} IS NULL OR {cost_type} = 'regular' THEN 'Usage' "
        f"ELSE {t('cost_type')} END"
    )
    # Google prices in US dollars; `currency_conversion_rate` is USD -> billing currency (1 for USD).
    rate = f"try_cast(trim({t('currency_conversion_rate')}) AS DECIMAL(38,12))"
    fields = {
        "PricingCurrency": f"CASE WHEN {rate} > 0 THEN 'USD' ELSE {t('currency')} END",
        "PricingCurrencyEffectiveCost": f"({cost} + {joins.credits}) / coalesce(nullif({rate}, 0), 1)",
        "BilledCost": f"{cost} + {joins.credits}",
        "EffectiveCost": f"{cost} + {joins.credits}",
        "ContractedCost": t("cost"),
        "ListCost": f"coalesce({t('cost_at_list')}, {t('cost')})",
        "BillingAccountId": t("billing_account_id"),
        "BillingCurrency": t("currency"),
        "BillingPeriodStart": period,
        "BillingPeriodEnd": f"{period} + INTERVAL 1 MONTH",
        "ChargePeriodStart": cols.raw("usage_start_time"),
        "ChargePeriodEnd": cols.raw("usage_end_time"),
        "ChargeCategory": category,
        "ChargeDescription": sku,
        "ServiceName": t("service.description"),
        "ServiceCategory": joins.category,
        "SkuId": t("sku.id"),
        "SubAccountId": t("project.id"),
        "SubAccountName": t("project.name"),
        "SubAccountType": f"CASE WHEN {t('project.id')} IS NOT NULL THEN 'Project' END",
        "RegionId": f"coalesce({t('location.region')}, {t('location.location')})",
        "AvailabilityZone": t("location.zone"),
        "ResourceId": t("resource.global_name"),
        "ResourceName": t("resource.name"),
        "ConsumedQuantity": cols.raw("usage.amount"),
        "ConsumedUnit": t("usage.unit"),
        "PricingQuantity": cols.raw("usage.amount_in_pricing_units"),
        "PricingUnit": t("usage.pricing_unit"),
        "ProviderName": f"'{PROVIDER}'",
        "PublisherName": f"coalesce({t('seller_name')}, '{PROVIDER}')",
        "InvoiceIssuerName": f"'{PROVIDER}'",
        "Tags": joins.tags,
    }
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in fields.items())
    frequency = (
        "CASE \"ChargeCategory\" WHEN 'Usage' THEN 'Usage-Based' WHEN 'Purchase' THEN 'Recurring' ELSE 'One-Time' END"
    )
    inner = f"SELECT r._row, {selects} FROM {focus.RAW} r {joins.sql}"
    return f'SELECT *, {frequency} AS "ChargeFrequency" FROM ({inner})'
