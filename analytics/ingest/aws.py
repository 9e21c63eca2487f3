"""AWS Cost and Usage Reports into FOCUS: legacy CUR (`lineItem/UnblendedCost`, CSV or CSV.gz, with or
without its manifest) and CUR 2.0 / Athena (`line_item_unblended_cost`, CSV or Parquet).

The provider mapping is a view over the raw table (aws_mapping.py); typing, validation and the
report of repairs are the FOCUS reader's, shared by every format."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest import aws_manifest, focus
from analytics.ingest.aws_columns import PRECAST, Columns, quote_ident, snake_names
from analytics.ingest.aws_mapping import EFFECTIVE_NEEDS, LINE_ITEM_TYPES, NUMERIC, focus_columns
from analytics.ingest.report import IngestError, IngestReport, SkipFile
from analytics.schema import MONEY

MAPPED = "_aws"  # the file mapped onto FOCUS names, values still as the file has them
_BAD = "_aws_unreadable"  # true on a row of MAPPED with an amount that cannot be read
_REQUIRED = (
    "lineItem/UnblendedCost",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/CurrencyCode",
    "bill/PayerAccountId",
)
_PERIOD = {"bill/BillingPeriodStartDate": "BillingPeriodStart", "bill/BillingPeriodEndDate": "BillingPeriodEnd"}
AWS_ENTITY = "Amazon Web Services, Inc."
_ENTITIES = {"PublisherName": "lineItem/LegalEntity", "InvoiceIssuerName": "bill/InvoicingEntity"}
_EMPTY_RECORD = "empty record (no line item type, cost or usage start)"
_MAX_EXAMPLES = 3


def detect_legacy(columns: Sequence[str]) -> bool:
    names = {c.strip().lower() for c in columns}
    return {"lineitem/unblendedcost", "lineitem/usagestartdate"} <= names


def detect_snake(columns: Sequence[str]) -> bool:
    names = {c.strip().lower() for c in columns}
    return {"line_item_unblended_cost", "line_item_usage_start_date"} <= names


def used_legacy(header: Sequence[str]) -> set[str]:
    """The columns of a legacy CUR header that the mapping and its checks read."""
    return _used(header, snake=False)


def used_snake(header: Sequence[str]) -> set[str]:
    return _used(header, snake=True)


def _used(header: Sequence[str], snake: bool) -> set[str]:
    # Every column the SQL reads appears in it quoted; a name matched by mistake is only kept.
    columns = Columns.of([(name, "VARCHAR") for name in header], snake)
    sql = " ".join(
        [
            *focus_columns(columns).values(),
            *(quote_ident(actual) for actual in columns.numeric_columns(NUMERIC).values()),
            *(columns.col(name) or "" for name in _REQUIRED),
        ]
    )
    return {name for name in header if quote_ident(name) in sql}


def from_legacy(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """Legacy CUR (`category/Name` headers) -> temp table `table` of typed FOCUS columns."""
    _normalise(con, path, report, table, snake=False)


def from_snake(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """CUR 2.0 and the Athena/Parquet layout (snake_case headers) -> temp table `table`."""
    _normalise(con, path, report, table, snake=True)


def _normalise(con: Connection, path: Path, report: IngestReport, table: str, snake: bool) -> None:
    described = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {focus.RAW}").fetchall()]
    columns = Columns.of(described, snake)
    checked = columns.numeric_columns(NUMERIC)
    # Each amount read from text is cast once, and the mapping and the check both use it.
    amounts = replace(columns, precast=frozenset(a for a in checked.values() if columns.is_text(a)))
    exprs = focus_columns(amounts)
    if not snake and (current := aws_manifest.superseded_by(path, report)) is not None:
        raise SkipFile(f"an earlier delivery of its month: {current.name} lists the current one's files")
    manifest = None if snake else aws_manifest.find(path, report)
    if manifest is not None:
        _use_manifest(con, columns, manifest, exprs, report)
    missing = [name for name in _REQUIRED if not columns.has(name)]
    missing += [name for name, focus_name in _PERIOD.items() if exprs[focus_name] == "NULL"]
    if missing:
        spelled = [snake_names(name)[0] if snake else name for name in missing]
        raise IngestError(f"{path}: not a complete AWS CUR, missing columns: {', '.join(spelled)}")
    _describe_header(columns, report)
    _fill_entities(columns, exprs, report)
    kind = columns.text("lineItem/LineItemType")
    cost, start = columns.col("lineItem/UnblendedCost"), exprs["ChargePeriodStart"]
    empty = f"({kind} IS NULL AND {cost} IS NULL AND {start} IS NULL)"
    skipped = _report_line_item_types(con, columns, kind, empty, report)
    if skipped and _count(con, f"SELECT count(*) FROM {focus.RAW} WHERE {empty} AND {_unreadable(columns, checked)}"):
        _refuse_unreadable_numbers(con, path, columns)  # an empty record with an unreadable amount
    # Columns the file cannot fill are left out rather than stored as a million NULLs.
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in exprs.items() if expr != "NULL")
    casts = "".join(
        f", {focus.cast_number(quote_ident(a), MONEY)} AS {quote_ident(PRECAST + a)}" for a in sorted(amounts.precast)
    )
    # The mapping is a view, typed into `table` in one pass that also flags unreadable amounts;
    # then the raw file (a hundred text columns) is dropped, before the rows are stored.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {MAPPED} AS SELECT _row, {selects}, {_unreadable(amounts, checked)} AS {_BAD} "
        f"FROM (SELECT *{casts} FROM {focus.RAW}) WHERE NOT {empty}"
    )

    def refuse_flagged() -> None:
        if _count(con, f"SELECT count(*) FROM {table} WHERE {_BAD}"):
            _refuse_unreadable_numbers(con, path, columns)  # the rows and values, named as the file has them

    focus.from_raw(con, path, report, table, source=MAPPED, carry=(_BAD,), precheck=refuse_flagged)
    focus.drop(con, MAPPED, focus.RAW, focus.RAW_KEPT, focus.RAW_CELLS)
    report.skip(_EMPTY_RECORD, skipped)
    report.rows_read += skipped


def _use_manifest(
    con: Connection,
    columns: Columns,
    manifest: aws_manifest.Manifest,
    exprs: dict[str, str],
    report: IngestReport,
) -> None:
    """The manifest fills a billing period the file lacks, and says which of its columns are missing."""
    name = manifest.path.name
    start, end = manifest.period_start, manifest.period_end
    if start and end:
        if exprs["BillingPeriodStart"] == "NULL" or exprs["BillingPeriodEnd"] == "NULL":
            # Formatted from parsed datetimes, so the literals never carry text from the file.
            exprs["BillingPeriodStart"] = f"'{start:%Y-%m-%d %H:%M:%S}'"
            exprs["BillingPeriodEnd"] = f"'{end:%Y-%m-%d %H:%M:%S}'"
            report.fix(f"billing period {start:%Y-%m-%d} to {end:%Y-%m-%d} taken from manifest {name}")
        else:
            period = f"CAST(try_cast({exprs['BillingPeriodStart']} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE)"
            row = con.execute(
                f"SELECT count(*) FROM {focus.RAW} WHERE {period} <> CAST(? AS DATE)",
                [start],
            ).fetchone()
            if row and row[0]:
                report.warn(f"{row[0]:,} rows have a billing period other than manifest {name}'s ({start:%Y-%m})")
    absent = [c for c in manifest.columns if not columns.has(c)]
    if absent:
        shown = ", ".join(absent[:5]) + (", ..." if len(absent) > 5 else "")
        report.warn(f"manifest {name} lists {len(absent)} columns the file lacks: {shown}")


def _fill_entities(columns: Columns, exprs: dict[str, str], report: IngestReport) -> None:
    """CURs older than `lineItem/LegalEntity` and `bill/InvoicingEntity` name neither the seller nor
    the invoice issuer; FOCUS requires both, and without a Marketplace column every charge is AWS's own."""
    for focus_name, cur_name in _ENTITIES.items():
        if not columns.has(cur_name):
            exprs[focus_name] = f"'{AWS_ENTITY}'"
            report.fix(f"{focus_name} set to {AWS_ENTITY!r}: the file has no {cur_name} column (an older CUR)")


def _describe_header(columns: Columns, report: IngestReport) -> None:
    fused = columns.fused()
    if fused:
        report.warn(f"header names that look like two names run together, not used: {', '.join(fused)}")
    categories = columns.cost_categories()
    if categories:
        report.warn(
            f"{len(categories)} cost category columns are not stored (FOCUS has no column for them; "
            "they are not tags): " + ", ".join(categories[:5])
        )


def _unreadable(columns: Columns, checked: dict[str, str]) -> str:
    """SQL true when an amount of the row cannot be read (`checked`: legacy name -> actual column)."""
    bad = [f"({quote_ident(a)} IS NOT NULL AND {columns.number(name)} IS NULL)" for name, a in checked.items()]
    return f"({' OR '.join(bad)})" if bad else "FALSE"


def _refuse_unreadable_numbers(con: Connection, path: Path, columns: Columns) -> None:
    """A cost that cannot be read (text that is no number, a Parquet NaN, infinity or amount of
    10^26 or more) refuses the file, naming the row and the CUR column."""
    checked = columns.numeric_columns(NUMERIC)
    if not checked:
        return
    bad = {
        name: f"({quote_ident(actual)} IS NOT NULL AND {columns.number(name)} IS NULL)"
        for name, actual in checked.items()
    }
    flags = ", ".join(f"{condition}, {quote_ident(checked[name])}" for name, condition in bad.items())
    rows = con.execute(
        f"SELECT _row, {flags} FROM {focus.RAW} WHERE {' OR '.join(bad.values())} ORDER BY _row LIMIT {_MAX_EXAMPLES}"
    ).fetchall()
    problems = [
        f"row {found[0]}, {actual}: {_why_unreadable(found[2 + 2 * i], columns.is_text(actual))}"
        for found in rows
        for i, actual in enumerate(checked.values())
        if found[1 + 2 * i]
    ]
    if problems:
        raise IngestError(f"{path}: {'; '.join(problems[:_MAX_EXAMPLES])}")


def _why_unreadable(value: object, text: bool) -> str:
    if text or not isinstance(value, (int, float, Decimal)):
        return f"{value!r} is not a number"
    if math.isfinite(value):
        return f"{value!r} is out of range (amounts are stored below 10^26)"
    return f"{value!r} is not a finite number"


def _report_line_item_types(con: Connection, columns: Columns, kind: str, empty: str, report: IngestReport) -> int:
    """Warn of unknown line item types and of EffectiveCost rules the file cannot follow; returns
    how many records are empty (one pass)."""
    row = con.execute(
        f"SELECT list(DISTINCT {kind}) FILTER (WHERE NOT {empty}), count(*) FILTER (WHERE {empty}) FROM {focus.RAW}"
    ).fetchone()
    kinds, empties = row or ([], 0)
    found = set(kinds or [])
    unknown = sorted(str(t) for t in found - set(LINE_ITEM_TYPES))
    if unknown:
        report.warn(f"line item types loaded as ChargeCategory Adjustment: {', '.join(unknown)}")
    for line_type, needed in EFFECTIVE_NEEDS.items():
        if line_type in found and not all(columns.has(c) for c in needed):
            report.warn(f"EffectiveCost of {line_type} rows is their billed cost: the file lacks {', '.join(needed)}")
    return int(empties)


def _count(con: Connection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
