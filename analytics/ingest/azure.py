"""Azure cost details (EA and MCA, actual and amortized, every header generation) mapped onto FOCUS
as in the FinOps toolkit's conversion (reference/focus.md §7.2); docs/formats.md (Azure) has the tables.

Each file is one *view* of its billing period: actual (what is invoiced) or amortized (commitment
purchases spread over the usage they cover). Rows are labelled with their view in x_SourceFormat;
analytics/ingest/views.py combines the two views of one period into one set of rows at load."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest import azure_lookups as lk
from analytics.ingest import focus
from analytics.ingest.azure_mapping import COMMITMENT_MODELS, COST, DATE, Columns, select_list
from analytics.ingest.readable import as_text
from analytics.ingest.report import IngestReport

NAME = "azure"
VIEW = "_azure"
_METER = ("meterid", "metercategory", "metername")


def detect(columns: Sequence[str]) -> bool:
    """A cost in billing currency (any generation's spelling), a usage date and meter columns."""
    names = {c.strip().lower() for c in columns}
    return bool(names & set(COST)) and bool(names & set(DATE)) and bool(names & set(_METER))


def generation(col: Columns) -> str:
    """Which header generation the file is, for the report."""
    cost = col.raw(*COST) or ""
    case = "PascalCase" if cost[:1].isupper() else "camelCase"
    if cost.lower() == "pretaxcost":
        return f"v1 {case} (PreTaxCost, UsageDateTime)"
    if cost.lower() == "cost":
        return "v2 PascalCase EA (Cost, BillingCurrency)"
    return f"v2 {case} {'EA' if case == 'PascalCase' else 'MCA'} ({cost})"


def view_of(con: Connection, path: Path, col: Columns) -> tuple[str, str]:
    """'actual' or 'amortized', and why. The data decides where it can: only an amortized export has
    unused-commitment rows or commitment-covered usage with a cost; only an actual one has
    commitment purchases with a cost or covered usage at zero. Else the file name; else actual."""
    charge, model, cost = f"lower({col('chargetype')})", f"lower({col('pricingmodel')})", col(*COST)
    amount = f"try_cast(trim({cost}) AS DOUBLE)"
    covered = f"{charge} = 'usage' AND {model} IN {COMMITMENT_MODELS}"
    row = con.execute(
        f"""SELECT
            count(*) FILTER (WHERE {charge} IN ('unusedreservation', 'unusedsavingsplan')
                             OR ({covered} AND {amount} <> 0)),
            count(*) FILTER (WHERE ({charge} IN ('purchase', 'refund') AND {model} IN {COMMITMENT_MODELS}
                             AND {amount} <> 0) OR ({covered} AND {amount} = 0))
        FROM {focus.RAW} r"""
    ).fetchone() or (0, 0)
    if row[0]:
        return "amortized", f"{row[0]:,} rows of amortised commitment cost"
    if row[1]:
        return "actual", f"{row[1]:,} commitment purchases or zero-cost covered usage rows"
    name = path.name.lower()
    if "amortiz" in name:
        return "amortized", "file name"
    if "actual" in name:
        return "actual", "file name"
    return "actual", "no commitment rows, so the actual and amortized views of this file are the same"


def normalise(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """Map `_raw` onto FOCUS names in view `_azure`, let the FOCUS reader type and check it, and
    label every row with its view."""
    as_text(con)
    col = Columns([r[0] for r in con.execute(f"DESCRIBE {focus.RAW}").fetchall() if r[0] != "_row"])
    view, reason = view_of(con, path, col)
    report.fix(f"Azure cost details, {generation(col)}, {view} cost ({reason})")
    lk.create(con)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {VIEW} AS {mapping_sql(col, view)}")
        _report_mapping(con, col, report, view)
        focus.from_raw(con, path, report, table, source=VIEW)
        con.execute(f"ALTER TABLE {table} ADD COLUMN x_SourceFormat VARCHAR DEFAULT '{NAME}-{view}'")
    finally:
        con.execute(f"DROP VIEW IF EXISTS {VIEW}")
        lk.drop(con)


def mapping_sql(col: Columns, view: str) -> str:
    """SELECT _row, <FOCUS column> ... FROM _raw: values stay text where the FOCUS reader parses them."""
    return f"SELECT r._row, {select_list(col, view, resource_type_sql(col))} FROM {focus.RAW} r {joins(col)}"


def joins(col: Columns) -> str:
    resource_type = resource_type_sql(col)
    return (
        f"LEFT JOIN {lk.SERVICES_BY_TYPE} st ON st.key = {resource_type} "
        f"LEFT JOIN {lk.SERVICES_BY_CONSUMED} sc ON sc.key = lower(trim({col('consumedservice')})) "
        f"LEFT JOIN {lk.REGIONS} rg ON rg.key = lower(trim({col('resourcelocation')})) "
        f"LEFT JOIN {lk.UNITS} un ON un.key = {col('unitofmeasure')}"
    )


def resource_type_sql(col: Columns) -> str:
    """ResourceType column (v1), else namespace/type from the ARM id after its last /providers/."""
    resource_id = col("resourceid", "instanceid", "instancename")
    from_id = f"nullif(lower(regexp_extract({resource_id}, '(?i).*/providers/([^/]+/[^/]+)', 1)), '')"
    return f"coalesce(lower(trim({col('resourcetype')})), {from_id})"


def _report_mapping(con: Connection, col: Columns, report: IngestReport, view: str) -> None:
    """Say which lookups fell back, so a user knows why a service or unit looks raw."""
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE st.key IS NULL AND sc.key IS NULL),
                   count(*) FILTER (WHERE {col("unitofmeasure")} IS NOT NULL AND un.key IS NULL),
                   count(*) FILTER (WHERE {col("resourcelocation")} IS NOT NULL AND rg.key IS NULL)
            FROM {focus.RAW} r {joins(col)}"""
    ).fetchone() or (0, 0, 0)
    services, units, regions = row
    if services:
        report.warn(f"{services:,} rows have a service Microsoft's Services.csv does not list; MeterCategory used")
    if units:
        report.warn(f"{units:,} rows have a unit PricingUnits.csv does not list; kept as given, block size 1")
    if regions:
        report.warn(f"{regions:,} rows have a location Regions.csv does not list; RegionId made from it")
    if col.raw("tags"):
        braceless = con.execute(
            f"SELECT count(*) FROM {focus.RAW} r WHERE trim({col('tags')}) <> '' AND trim({col('tags')}) NOT LIKE '{{%'"
        ).fetchone()
        if braceless and braceless[0]:
            report.fix("Tags without outer braces (Azure style) read as a JSON object")
    if col.raw("billingperiodenddate"):
        report.fix("BillingPeriodEndDate is the last day (inclusive); stored as the next day (exclusive)")
    if not col.raw("billingperiodstartdate"):
        report.fix("no billing period columns (v1): the calendar month of each charge is its billing period")
    if not col.raw("billingaccountid", "billingprofileid"):
        report.fix("no billing account column (v1): the subscription is the billing account")
