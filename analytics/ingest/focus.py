"""FOCUS 1.0-1.3 files (CSV, CSV.gz, Parquet) into a typed staging table, repairing the quirks
real exports have and saying what was repaired; values that cannot be read refuse the file."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from pathlib import Path

import duckdb

from analytics.ingest import jsonl
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
    exprs = {focus: _typed(raw, source_types[raw], FOCUS_COLUMNS[focus]) for focus, raw in columns.items()}
    if "ProviderName" not in exprs:
        exprs["ProviderName"] = exprs["ServiceProviderName"]
        report.fix("ProviderName taken from ServiceProviderName (FOCUS 1.3)")
    exprs = _repair(exprs, columns, report)
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in exprs.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, {selects} FROM {source}")
    _check_values(con, path, table, columns, source, report)
    _report_repairs(con, table, columns, source, report)
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    report.rows_read = int(row[0]) if row else 0
    if report.rows_read == 0:
        raise IngestError(f"{path}: the file has a header but no rows")


def read_raw(con: duckdb.DuckDBPyConnection, path: Path, kind: str, report: IngestReport) -> list[str]:
    """The file as read, into temp table `_raw` with a 1-based `_row`; returns its column names."""
    if kind in ("json", "json.gz"):
        jsonl.read(con, path, RAW)
        return [r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall() if r[0] != "_row"]
    if kind == "parquet":
        source = (
            "SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
            "FROM read_parquet(?, file_row_number = true)"
        )
    else:
        # Compression from the bytes (kind), not the name: a gzip called .csv is still gzip.
        compression = "gzip" if kind == "csv.gz" else "none"
        delimiter = _check_header(con, path, compression, report)
        # Text columns stay text until each is parsed on purpose below; the sniffer would guess.
        source = (
            "SELECT row_number() OVER () AS _row, * FROM read_csv(?, header = true, all_varchar = true, "
            f"nullstr = ['', 'NULL', 'null'], null_padding = true, compression = '{compression}', "
            f"delim = '{delimiter}')"
        )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS {source}", [str(path)])
    except duckdb.Error as exc:
        message = first_line(exc)
        if "unicode" in message.lower() or "utf" in message.lower():
            raise IngestError(f"{path}: not UTF-8 text; re-export the file as UTF-8 ({message})") from exc
        raise IngestError(f"{path}: not a readable {kind.upper()} file ({message})") from exc
    return [r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall() if r[0] != "_row"]


_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _check_header(con: duckdb.DuckDBPyConnection, path: Path, compression: str, report: IngestReport) -> str:
    """The delimiter DuckDB's sniffer finds (reported when it is not a comma), after refusing a
    header that names a column twice: which of the two holds the real values cannot be known."""
    try:
        found = con.execute(
            f"SELECT Delimiter FROM sniff_csv(?, compression = '{compression}', null_padding = true)", [str(path)]
        ).fetchone()
    except duckdb.Error as exc:
        raise IngestError(f"{path}: not a readable CSV file ({first_line(exc)})") from exc
    delimiter = str(found[0]) if found else ","
    if delimiter not in _DELIMITERS:
        raise IngestError(f"{path}: not a readable CSV file (no comma, semicolon, tab or pipe between its fields)")
    if delimiter != ",":
        report.fix(f"fields separated by {_DELIMITERS[delimiter]}s, not commas")
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = name.strip().lower()
        if key in seen:
            raise IngestError(f"{path}, line 1: column {name!r} appears twice (fields {seen[key]} and {position})")
        seen[key] = position
    return delimiter


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
            return f"timezone('UTC', {col})" if "TIME ZONE" in raw_type.upper() else f"CAST({col} AS TIMESTAMP)"
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
        return f"try_cast(trim({col}) AS {target})" if text else f"CAST({col} AS {target})"
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
    raw_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {source}").fetchall()}
    checks: list[tuple[str, str, str]] = []  # (FOCUS column, failing condition, raw value)
    for focus, raw in columns.items():
        target = FOCUS_COLUMNS[focus]
        parsed = target in (MONEY, QUANTITY, TIME) and raw_types[raw].upper() == "VARCHAR"
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
                kind = {MONEY: "a number", QUANTITY: "a number", TIME: "a date/time"}.get(FOCUS_COLUMNS[focus], "")
                problems.append(
                    f"row {found[0]}, {focus}: " + ("is empty" if value is None else f"{value!r} is not {kind}")
                )
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
