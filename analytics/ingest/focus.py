"""FOCUS 1.0-1.4 files (CSV, CSV.gz, Parquet) into a typed staging table, repairing the quirks
real exports have and saying what was repaired; values that cannot be read refuse the file."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from analytics.engine import Connection, EngineError
from analytics.ingest import csvread, jsonl
from analytics.ingest import focus_providers as providers
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
RAW_KEPT = RAW + csvread.KEPT_SUFFIX  # the columns of a CSV file read, under view `_raw`, if narrowed
RAW_CELLS = RAW + csvread.CELLS_SUFFIX  # what DuckDB read of a CSV file, under those views
_RAW_PREFIX = "_read:"  # a column's value as read, beside its typed value, while checking


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


def from_raw(
    con: Connection,
    path: Path,
    report: IngestReport,
    table: str,
    source: str = RAW,
    lazy: bool = False,
    carry: Sequence[str] = (),
    precheck: Callable[[], None] | None = None,
) -> None:
    """Create temp table `table` with FOCUS columns, typed, from `source` (the file as read, or a
    provider format's mapping of it onto FOCUS names, keeping `_row`). With `lazy`, `table` is a
    view: each check reads only the columns it needs, the typed rows are computed once, as they are
    stored, and `source` must outlive `table` (the caller drops both). Otherwise the `carry`
    columns of `source` (a provider's own checks) are copied into `table` as they are, and
    `precheck` runs once it exists, before the values are checked."""
    columns = _match_columns(con, path, report, source, carry)
    source_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {source}").fetchall()}
    _refuse_unusable_types(path, columns, source_types)
    exprs = {focus: _typed(raw, source_types[raw], FOCUS_COLUMNS[focus]) for focus, raw in columns.items()}
    exprs["ProviderName"] = providers.provider(exprs, report)
    checked_raw = {focus: raw for focus, raw in columns.items() if _checked(focus)}
    raws = "".join(f', "{raw}" AS "{_RAW_PREFIX}{focus}"' for focus, raw in checked_raw.items())
    reads = "".join(f', "{_RAW_PREFIX}{focus}"' for focus in checked_raw)
    # Typed in an inner SELECT, repaired in an outer one: a repair reads its column several times,
    # and DuckDB computes a typed value (a date parsed from text) once per reference.
    typed = ", ".join(f'{expr} AS "{name}"' for name, expr in exprs.items())
    repaired = _repair({name: f'"{name}"' for name in exprs}, columns, report)
    selects = ", ".join(f'{expr} AS "{name}"' for name, expr in repaired.items())
    carried = "".join(f", {jsonl.ident(name)}" for name in carry)
    inner = f"(SELECT _row, {typed}{raws}{carried} FROM {source})"
    if lazy:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT _row, {selects} FROM {inner}")
        checked = f"(SELECT _row, {selects}{reads} FROM {inner})"
    else:
        # The values as read are kept beside the typed ones (store_rows ignores them), so that
        # `source`, often a mapping that is costly to compute, is computed once.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, {selects}{reads}{carried} FROM {inner}")
        checked = table
        if precheck is not None:
            precheck()
    report.rows_read = _check_values(con, path, checked, columns, report)
    if report.rows_read == 0:
        raise IngestError(f"{path}: the file has a header but no rows")
    refuse_impossible(con, path, table, {name: FOCUS_COLUMNS[name] for name in exprs})
    _report_repairs(con, table, columns, source, report)
    if source == RAW:  # a provider format's mapping sets ServiceProviderName itself (AWS CUR)
        providers.report_other_providers(con, table, columns, report)


def normalise(con: Connection, path: Path, report: IngestReport, table: str) -> None:
    """A FOCUS file: view `table` of its rows typed, checked and repaired (see `from_raw`)."""
    from_raw(con, path, report, table, lazy=True)


def drop(con: Connection, *names: str) -> None:
    """Drop the temp tables or views `names` (identifiers of this package), whichever each is."""
    for name in names:
        found = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_catalog = 'temp' AND table_name = ?", [name]
        ).fetchone()
        if found:
            con.execute(f"DROP {'VIEW' if found[0] == 'VIEW' else 'TABLE'} {name}")


def read_raw(
    con: Connection,
    path: Path,
    kind: str,
    report: IngestReport,
    data: Path | None = None,
    keep: csvread.Keep | None = None,
) -> list[str]:
    """The file as read, into temp table `_raw` with a 1-based `_row` (a view over a Parquet file);
    returns its column names. `keep` names, from a CSV header, the columns to fill (see csvread).
    `data` is the staged copy that is parsed (default `path`); messages name `path`."""
    data = data or path
    if kind in ("json", "json.gz"):
        jsonl.read(con, data, RAW, shown=path)
    elif kind == "parquet":
        try:
            # A view, not a copy: Parquet is columnar and typed, so each check reads only the
            # columns it needs and the rows are written once, into line_items. A view takes no
            # parameters; the staged copy's path is ours, not the user's, quoted all the same.
            literal = str(data).replace("'", "''")
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {RAW} AS SELECT file_row_number + 1 AS _row, "
                f"* EXCLUDE (file_row_number) FROM read_parquet('{literal}', file_row_number = true)"
            )
        except EngineError as exc:
            raise IngestError(f"{path}: not a readable PARQUET file ({first_line(exc)})") from exc
    else:
        # Compression from the bytes (kind), not the name: a gzip called .csv is still gzip.
        csvread.read(con, path, data, "gzip" if kind == "csv.gz" else "none", report, RAW, keep)
    return [r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall() if r[0] != "_row"]


def _match_columns(
    con: Connection, path: Path, report: IngestReport, source: str, carry: Sequence[str] = ()
) -> dict[str, str]:
    """FOCUS column -> source column name, matching case-insensitively and through the aliases."""
    described = [r[0] for r in con.execute(f"DESCRIBE {source}").fetchall()]
    raw_names = [name for name in described if name != "_row" and name not in carry]
    by_lower = {name.lower(): name for name in FOCUS_COLUMNS}
    matched: dict[str, str] = {}
    ignored: list[str] = []
    unstored = providers.unstored(raw_names)
    extensions = 0
    for raw in raw_names:
        focus = by_lower.get(raw.strip().lower()) or ALIASES.get(raw.strip().lower())
        if focus is None:
            if raw.startswith("x_"):
                extensions += 1
            elif raw in unstored:
                continue
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
    if unstored:
        report.warn(f"FOCUS 1.4 columns not stored by this version: {', '.join(unstored)}")
    if extensions:
        report.warn(f"{extensions} provider x_ columns are not stored")
    missing = [c for c in REQUIRED_COLUMNS if c not in matched]
    if "ProviderName" not in matched and "ServiceProviderName" not in matched:
        # A 1.3 or 1.4 file names its provider in ServiceProviderName; older files in ProviderName.
        missing.append("ProviderName" if providers.version(raw_names) == "1.0-1.2" else "ServiceProviderName")
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
        # ISO times (no slash) first, as most are; then US dates with a two-digit year, which a
        # plain cast would read as the year 5 (5/1/25); then US dates with four digits.
        return (
            f"CASE WHEN NOT contains({value}, '/') THEN timezone('UTC', try_cast({value} AS TIMESTAMPTZ)) "
            f"WHEN regexp_matches({value}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2}}(\\D|$)') "
            f"THEN try_strptime({value}, ['%m/%d/%y %H:%M:%S', '%m/%d/%y %H:%M', '%m/%d/%y']) "
            f"ELSE try_strptime({value}, ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y']) END"
        )
    if target in (MONEY, QUANTITY):
        # A Parquet NaN, infinity or 1e300 has no DECIMAL value: NULL here, refused by _check_values.
        return cast_number(col, target) if text else f"try_cast({col} AS {target})"
    if raw_type.upper().startswith(("MAP", "STRUCT")):
        return f"CAST(to_json({col}) AS VARCHAR)"
    return f"nullif({col}, '')" if text else f"CAST({col} AS VARCHAR)"


def cast_number(column: str, target: str) -> str:
    """Text `column` (SQL) as a number of type `target`, NULL when it is none. The cast itself
    allows ASCII blanks around the number; trim, which also takes Unicode spaces (a no-break
    space), costs twice the cast, so it is tried only on text that failed."""
    casts = [f"try_cast({column} AS {target})", f"try_cast(trim({column}) AS {target})"]
    if target == MONEY:
        # Amounts below 10^6 fit 64 bits, which parse ten times faster than the 128 of MONEY, to
        # the same value (rounded to 12 decimals the same way).
        casts.insert(0, f"try_cast({column} AS DECIMAL(18,12))")
    return f"coalesce({', '.join(casts)})"


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


def _check_values(con: Connection, path: Path, checked: str, columns: dict[str, str], report: IngestReport) -> int:
    """Refuse the file if a required value is missing or any number or time cannot be read; warn of
    empty optional costs; return the number of rows. One pass over `checked`: `_row`, the typed
    FOCUS columns and each one's value as read (prefixed `_RAW_PREFIX`)."""
    checks: list[tuple[str, str]] = []  # (FOCUS column, failing condition)
    for focus in filter(_checked, columns):
        conditions = [f'("{_RAW_PREFIX}{focus}" IS NOT NULL AND "{focus}" IS NULL)'] if _parsed(focus) else []
        if focus in REQUIRED_COLUMNS:
            conditions.append(f'"{focus}" IS NULL')
        checks.append((focus, " OR ".join(conditions)))
    # FOCUS makes these two non-null too; older exports leave them empty (the real sample's Oracle rows).
    optional_money = [c for c in ("ListCost", "ContractedCost") if c in columns]
    empties = "".join(f', count(*) FILTER (WHERE "{c}" IS NULL)' for c in optional_money)
    anywhere = " OR ".join(f"({condition})" for _, condition in checks) or "FALSE"
    found = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {anywhere}){empties} FROM {checked}").fetchone()
    rows, failing, *empty = found or (0, 0)
    problems = _problems(con, checked, checks) if failing else []
    if problems:
        raise IngestError(f"{path}: {'; '.join(problems)}")
    for focus, n in zip(optional_money, empty, strict=True):
        if n:
            report.warn(f"{focus} is empty on {n:,} rows (FOCUS requires it); those count as 0")
    return int(rows)


def _problems(con: Connection, checked: str, checks: list[tuple[str, str]]) -> list[str]:
    """The first rows failing a check, each problem named (only run when a check failed)."""
    flags = ", ".join(
        f"""({condition}) AS f{i}, CAST("{_RAW_PREFIX}{focus}" AS VARCHAR) AS v{i}"""
        for i, (focus, condition) in enumerate(checks)
    )
    anywhere = " OR ".join(f"({condition})" for _, condition in checks)
    rows = con.execute(
        f"SELECT _row, {flags} FROM {checked} WHERE {anywhere} ORDER BY _row LIMIT {_MAX_EXAMPLES}"
    ).fetchall()
    problems = [
        f"row {found[0]}, {focus}: " + _why_unreadable(found[2 + 2 * i], FOCUS_COLUMNS[focus])
        for found in rows
        for i, (focus, _) in enumerate(checks)
        if found[1 + 2 * i]
    ]
    return problems[:_MAX_EXAMPLES]


def _parsed(focus: str) -> bool:
    return FOCUS_COLUMNS[focus] in (MONEY, QUANTITY, TIME)


def _checked(focus: str) -> bool:
    return _parsed(focus) or focus in REQUIRED_COLUMNS


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


def _report_repairs(con: Connection, table: str, columns: dict[str, str], source: str, report: IngestReport) -> None:
    """Enumerated values written in another case (repaired), and values FOCUS does not know, one
    pass over the file as read and one over the typed rows for all the enumerated columns."""
    names = [name for name in ENUMS if name in columns]
    if not names:
        return
    recased, unknown = [], []
    for name in names:
        values = ", ".join(f"'{v}'" for v in ENUMS[name])
        lowered = ", ".join(f"'{v.lower()}'" for v in ENUMS[name])
        raw = f'"{columns[name]}"'
        recased.append(f"count(*) FILTER (WHERE {raw} NOT IN ({values}) AND lower({raw}) IN ({lowered}))")
        unknown.append(f'list_sort(list(DISTINCT "{name}") FILTER (WHERE "{name}" NOT IN ({values})))')
    fixed = con.execute(f"SELECT {', '.join(recased)} FROM {source}").fetchone() or ()
    outside = con.execute(f"SELECT {', '.join(unknown)} FROM {table}").fetchone() or ()
    for name, count, values in zip(names, fixed, outside, strict=True):
        if count:
            report.fix(f"{name}: {count:,} values with non-standard case normalised (e.g. Usage-based)")
        if values:
            report.warn(f"{name} has values outside FOCUS: {', '.join(repr(u) for u in values[:5])}")
