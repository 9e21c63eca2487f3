"""FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) into a typed staging table, repairing the quirks
real exports have and saying what was repaired; values that cannot be read refuse the file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import duckdb

from analytics.ingest import csvread, jsonl
from analytics.ingest.checks import refuse_impossible
from analytics.ingest.report import IngestError, IngestReport
from analytics.schema import ENUMS, FOCUS_COLUMNS, MONEY, QUANTITY, REQUIRED_COLUMNS, TIME
from analytics.store import first_line

# Names from the 1.0-preview and earlier drafts that real files still carry.
ALIASES = {
    "provider": "ProviderName",
    "publisher": "PublisherName",
    "invoiceissuer": "InvoiceIssuerName",
    "chargetype": "ChargeCategory",
    "amortizedcost": "EffectiveCost",
    "usagequantity": "ConsumedQuantity",
    "usageunit": "ConsumedUnit",
}
# Microsoft's FOCUS exports write these placeholders where FOCUS wants a null.
MICROSOFT_PLACEHOLDERS = ("-2", "Unassigned")
PLACEHOLDER_COLUMNS = (
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "SkuId",
    "SkuPriceId",
    "SkuMeter",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "RegionId",
    "RegionName",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "InvoiceId",
)
_MAX_EXAMPLES = 3
RAW = "_raw"  # the file as read


def detect(columns: Sequence[str]) -> bool:
    """A file with several FOCUS-only column names is FOCUS, even if it lacks some mandatory ones
    (then the message lists what is missing rather than calling it an unknown format)."""
    names = {c.strip().lower() for c in columns}
    return len(names & _SIGNATURE) >= 3


_SIGNATURE = {
    name.lower()
    for name in (
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "ChargeCategory",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "BillingAccountId",
        "BillingCurrency",
    )
}


def from_raw(con: duckdb.DuckDBPyConnection, path: Path, report: IngestReport, table: str, source: str = RAW) -> None:
    """Create temp table `table` with FOCUS columns, typed, from `source` (the file as read, or a
    provider format's mapping of it onto FOCUS names, keeping `_row`)."""
    columns = _match_columns(con, path, report, source)
    source_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {source}").fetchall()}
    _refuse_unusable_types(path, columns, source_types)
    exprs = {focus: _typed(raw, source_types[raw], FOCUS_COLUMNS[focus]) for focus, raw in columns.items()}
    if "ProviderName" not in exprs:
        exprs["ProviderName"] = exprs["ServiceProviderName"]
        report.fix("ProviderName taken from ServiceProviderName (FOCUS 1.3)")
    exprs = _repair(exprs, columns, report)
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in exprs.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, {selects} FROM {source}")
    _check_values(con, path, table, columns, source, report)
    refuse_impossible(con, path, table, {name: FOCUS_COLUMNS[name] for name in exprs})
    _report_repairs(con, table, columns, source, report)
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    report.rows_read = int(row[0]) if row else 0
    if report.rows_read == 0:
        raise IngestError(f"{path}: the file has a header but no rows")


def read_raw(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str, report: IngestReport, data: Path | None = None
) -> list[str]:
    """The file as read, into temp table `_raw` with a 1-based `_row`; returns its column names.
    `data` is the staged copy that is parsed (default `path`); messages name `path`."""
    data = data or path
    if kind in ("json", "json.gz"):
        jsonl.read(con, data, RAW, shown=path)
    elif kind == "parquet":
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT file_row_number + 1 AS _row, "
                "* EXCLUDE (file_row_number) FROM read_parquet(?, file_row_number = true)",
                [str(data)],
            )
        except duckdb.Error as exc:
            raise IngestError(f"{path}: not a readable PARQUET file ({first_line(exc)})") from exc
    else:
        # Compression from the bytes (kind), not the name: a gzip called .csv is still gzip.
        csvread.read(con, path, data, "gzip" if kind == "csv.gz" else "none", report, RAW)
    return [r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall() if r[0] != "_row"]


def _match_columns(con: duckdb.DuckDBPyConnection, path: Path, report: IngestReport, source: str) -> dict[str, str]:
    """FOCUS column -> source column name, matching case-insensitively and through the aliases."""
    raw_names = [r[0] for r in con.execute(f"DESCRIBE {source}").fetchall() if r[0] != "_row"]
    by_lower = {name.lower(): name for name in FOCUS_COLUMNS}
    matched: dict[str, str] = {}
    ignored: list[str] = []
    extensions = 0
    for raw in raw_names:
        focus = by_lower.get(raw.strip().lower()) or ALIASES.get(raw.strip().lower())
        if focus is None:
            if raw.startswith("x_"):
                extensions += 1
            else:
                ignored.append(raw)
            continue
        if focus in matched and matched[focus] == focus:
            continue  # the exact spelling wins over a case variant
        if raw != focus:
            report.fix(f"column {raw!r} read as {focus}")
        matched[focus] = raw
    if ignored:
        report.warn(f"ignored columns that are neither FOCUS nor x_-prefixed: {', '.join(ignored)}")
    if extensions:
        report.warn(f"{extensions} provider x_ columns are not stored")
    missing = [c for c in REQUIRED_COLUMNS if c not in matched]
    if "ProviderName" not in matched and "ServiceProviderName" not in matched:
        missing.append("ProviderName")
    if missing:
        raise IngestError(f"{path}: not a FOCUS file, missing mandatory columns: {', '.join(missing)}")
    return matched


def _typed(raw: str, raw_type: str, target: str) -> str:
    col = f'"{raw}"'
    text = raw_type.upper() == "VARCHAR"
    if target == TIME:
        if not text:
            return f"timezone('UTC', {col})" if "TIME ZONE" in raw_type.upper() else f"try_cast({col} AS TIMESTAMP)"
        value = f"trim({col})"
        # US dates with a two-digit year first: a plain cast would read 5/1/25 as the year 5.
        return (
            f"CASE WHEN regexp_matches({value}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2}}(\\D|$)') "
            f"THEN try_strptime({value}, ['%m/%d/%y %H:%M:%S', '%m/%d/%y %H:%M', '%m/%d/%y']) "
            f"WHEN {value} LIKE '%/%' "
            f"THEN try_strptime({value}, ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y']) "
            f"ELSE timezone('UTC', try_cast({value} AS TIMESTAMPTZ)) END"
        )
    if target in (MONEY, QUANTITY):
        # A Parquet NaN, infinity or 1e300 has no DECIMAL value: NULL here, refused by _check_values.
        return f"try_cast(trim({col}) AS {target})" if text else f"try_cast({col} AS {target})"
    if raw_type.upper().startswith(("MAP", "STRUCT")):
        return f"CAST(to_json({col}) AS VARCHAR)"
    return f"nullif({col}, '')" if text else f"CAST({col} AS VARCHAR)"


def _repair(exprs: dict[str, str], columns: dict[str, str], report: IngestReport) -> dict[str, str]:
    fixed = dict(exprs)
    for name, allowed in ENUMS.items():
        if name in fixed:
            cases = " ".join(f"WHEN '{v.lower()}' THEN '{v}'" for v in allowed)
            fixed[name] = f"CASE lower({exprs[name]}) {cases} ELSE {exprs[name]} END"
    placeholders = ", ".join(f"'{p}'" for p in MICROSOFT_PLACEHOLDERS)
    for name in PLACEHOLDER_COLUMNS:
        if name in fixed:
            fixed[name] = (
                f"CASE WHEN {exprs['ProviderName']} = 'Microsoft' AND {exprs[name]} IN ({placeholders}) "
                f"THEN NULL ELSE {fixed[name]} END"
            )
    if "BillingPeriodEnd" in fixed:
        # An inclusive end (the last day of the month) is made exclusive, as FOCUS defines it.
        end, start = exprs["BillingPeriodEnd"], exprs["BillingPeriodStart"]
        fixed["BillingPeriodEnd"] = (
            f"CASE WHEN {end} = CAST(last_day({start}) AS TIMESTAMP) THEN {end} + INTERVAL 1 DAY ELSE {end} END"
        )
    return fixed


def _check_values(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, columns: dict[str, str], source: str, report: IngestReport
) -> None:
    """Refuse the file if a required value is missing or any number or time cannot be read."""
    checks: list[tuple[str, str, str]] = []  # (FOCUS column, failing condition, raw value)
    for focus, raw in columns.items():
        target = FOCUS_COLUMNS[focus]
        parsed = target in (MONEY, QUANTITY, TIME)
        conditions = [f'(r."{raw}" IS NOT NULL AND s."{focus}" IS NULL)'] if parsed else []
        if focus in REQUIRED_COLUMNS:
            conditions.append(f's."{focus}" IS NULL')
        if conditions:
            checks.append((focus, " OR ".join(conditions), f'CAST(r."{raw}" AS VARCHAR)'))
    if not checks:
        return
    flags = ", ".join(f"({condition}) AS f{i}, {value} AS v{i}" for i, (_, condition, value) in enumerate(checks))
    anywhere = " OR ".join(f"({condition})" for _, condition, _ in checks)
    rows = con.execute(
        f"SELECT s._row, {flags} FROM {table} s JOIN {source} r USING (_row) WHERE {anywhere} "
        f"ORDER BY s._row LIMIT {_MAX_EXAMPLES}"
    ).fetchall()
    problems = []
    for found in rows:
        for i, (focus, _, _) in enumerate(checks):
            if found[1 + 2 * i]:
                value = found[2 + 2 * i]
                problems.append(f"row {found[0]}, {focus}: " + _why_unreadable(value, FOCUS_COLUMNS[focus]))
    if problems:
        raise IngestError(f"{path}: {'; '.join(problems[:_MAX_EXAMPLES])}")
    # FOCUS makes these two non-null too; older exports leave them empty (the real sample's Oracle rows).
    optional_money = [c for c in ("ListCost", "ContractedCost") if c in columns]
    if optional_money:
        counts = ", ".join(f'count(*) FILTER (WHERE "{c}" IS NULL)' for c in optional_money)
        empty = con.execute(f"SELECT {counts} FROM {table}").fetchone() or ()
        for focus, n in zip(optional_money, empty, strict=True):
            if n:
                report.warn(f"{focus} is empty on {n:,} rows (FOCUS requires it); those count as 0")


def _why_unreadable(value: str | None, target: str) -> str:
    if value is None:
        return "is empty"
    if target == TIME:
        return f"{value!r} is not a date/time"
    try:
        number = float(value)
    except ValueError:
        return f"{value!r} is not a number"
    if math.isfinite(number) and target == MONEY:
        return f"{value!r} is out of range (amounts are stored below 10^26)"
    return f"{value!r} is not a finite number"


_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL")
_TIME_TYPES = ("TIMESTAMP", "DATE")


def _refuse_unusable_types(path: Path, columns: dict[str, str], source_types: dict[str, str]) -> None:
    """A typed column (Parquet, JSON) whose type cannot mean its FOCUS column: a date stored as a
    number (seconds? days?) is refused rather than guessed."""
    for focus, raw in columns.items():
        target, found = FOCUS_COLUMNS[focus], source_types[raw].upper()
        if found == "VARCHAR" or found == '"NULL"':
            continue
        if target == TIME and not found.startswith(_TIME_TYPES):
            raise IngestError(f"{path}: column {raw!r} holds {found} values, not dates/times ({focus})")
        if target in (MONEY, QUANTITY) and not found.lstrip("U").startswith(_NUMERIC_TYPES):
            raise IngestError(f"{path}: column {raw!r} holds {found} values, not numbers ({focus})")


def _report_repairs(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], source: str, report: IngestReport
) -> None:
    for name, allowed in ENUMS.items():
        if name not in columns:
            continue
        values = ", ".join(f"'{v}'" for v in allowed)
        lowered = ", ".join(f"'{v.lower()}'" for v in allowed)
        raw = f'"{columns[name]}"'
        fixed = con.execute(
            f"SELECT count(*) FROM {source} WHERE {raw} NOT IN ({values}) AND lower({raw}) IN ({lowered})"
        )
        count = (fixed.fetchone() or (0,))[0]
        if count:
            report.fix(f"{name}: {count:,} values with non-standard case normalised (e.g. Usage-based)")
        unknown = con.execute(
            f'SELECT DISTINCT "{name}" FROM {table} WHERE "{name}" IS NOT NULL AND "{name}" NOT IN ({values}) LIMIT 5'
        ).fetchall()
        if unknown:
            report.warn(f"{name} has values outside FOCUS: {', '.join(repr(u[0]) for u in unknown)}")
