"""The DuckDB database: where it lives, its tables, and transactions around writes."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analytics.schema import LINE_ITEM_COLUMNS, MONEY, ROLLUP_DIMENSIONS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
SCHEMA_VERSION = "1"
SAMPLE_FORMAT = "sample"
MEMORY_LIMIT = os.environ.get("FINOPS_MEMORY_LIMIT", "1500MB")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$", re.IGNORECASE)


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in one line."""


def default_db_path() -> Path:
    """`FINOPS_DB` if set, else data/finops.duckdb in the project."""
    return Path(os.environ.get("FINOPS_DB") or DATA_DIR / "finops.duckdb")


def _columns_sql(columns: dict[str, str]) -> str:
    return ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())


_ROLLUP_DIMS = ",\n    ".join(f'"{d}" VARCHAR' for d in ROLLUP_DIMENSIONS)

DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS sources (
    x_SourceId BIGINT PRIMARY KEY,
    x_SourceFile VARCHAR NOT NULL,
    x_SourceFormat VARCHAR NOT NULL,
    x_FileHash VARCHAR NOT NULL,
    x_IngestedAt TIMESTAMP NOT NULL,
    x_IngestBatch VARCHAR NOT NULL,
    RowsRead BIGINT NOT NULL,
    Report VARCHAR
);
CREATE TABLE IF NOT EXISTS line_items (
    {_columns_sql(LINE_ITEM_COLUMNS)}
);
CREATE TABLE IF NOT EXISTS tag_sets (
    x_TagSetId BIGINT NOT NULL,
    TagKey VARCHAR NOT NULL,
    TagValue VARCHAR,
    PRIMARY KEY (x_TagSetId, TagKey)
);
CREATE TABLE IF NOT EXISTS daily_costs (
    ChargeDay DATE NOT NULL,
    BillingPeriodStart TIMESTAMP,
    {_ROLLUP_DIMS},
    x_TagSetId BIGINT,
    x_SourceId BIGINT NOT NULL,
    BilledCost {MONEY},
    EffectiveCost {MONEY},
    ListCost {MONEY},
    ContractedCost {MONEY},
    LineItems BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS utilization (
    resource_id VARCHAR NOT NULL,
    "timestamp" TIMESTAMP NOT NULL,
    metric VARCHAR NOT NULL,
    stat VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    interval_seconds INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS budgets (
    owner_dimension VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    month DATE NOT NULL,
    amount {MONEY} NOT NULL,
    currency VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS business_metrics (
    date DATE NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    dimension VARCHAR,
    owner VARCHAR
);
CREATE TABLE IF NOT EXISTS showback_packs (
    generated_at TIMESTAMP NOT NULL,
    first_month DATE NOT NULL,
    last_month DATE NOT NULL,
    owner_dimension VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    rules_fingerprint VARCHAR NOT NULL,
    data_fingerprint VARCHAR NOT NULL,
    sources VARCHAR NOT NULL,
    output VARCHAR
);
INSERT OR IGNORE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');
"""


def connect(
    path: Path | str | None = None, read_only: bool = False, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """Open the database (creating and migrating it unless read-only). DuckDB would otherwise take
    80% of RAM for its buffers; `memory_limit` keeps the app and ingest within their budgets."""
    if not _MEMORY.match(memory_limit):
        raise StoreError(f"memory limit {memory_limit!r}: expected a size such as 2GB or 512MB")
    db = Path(path) if path is not None else default_db_path()
    if read_only and not db.exists():
        raise StoreError(f"{db}: no database here yet; build one with `python -m analytics sample`")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db), read_only=read_only, config={"memory_limit": memory_limit})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"{db}: the database is open in another process (is the app running? stop it, then retry)"
            ) from exc
        raise StoreError(f"{db}: cannot open the database ({first_line(exc)})") from exc
    except duckdb.Error as exc:
        raise StoreError(f"{db}: not a FinOps Lens database ({first_line(exc)})") from exc
    # FOCUS times are UTC; a timestamp written without an offset must not be read in the host's zone.
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    if not read_only:
        _remove_stale_spill(con, db)
        con.execute(DDL)
    return con


_OPENED: set[Path] = set()


def _remove_stale_spill(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """Empty `<db>.tmp`, where DuckDB spills big queries, of what a killed process left there (it can
    hold gigabytes). Safe because the caller holds the database's write lock (no other process uses
    the folder) and this database has no temporary file in use (no query of this process spills);
    the folder itself goes only on this process's first open, before any query could need it."""
    spill = db.with_name(db.name + ".tmp")
    first_open = db.resolve() not in _OPENED
    _OPENED.add(db.resolve())
    if not spill.is_dir() or spill.is_symlink():
        return
    stale = list(spill.iterdir())
    in_use = con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()
    if in_use and in_use[0]:
        return
    for entry in stale:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if first_open:
        with contextlib.suppress(OSError):
            spill.rmdir()


def refuse_foreign(path: Path, memory_limit: str = MEMORY_LIMIT) -> None:
    """StoreError, before anything is written, when `path` is a DuckDB database that is not FinOps
    Lens's (it has no `sources` table). Probed with the settings `connect` uses, so it also works
    while that process holds the file open; a file DuckDB cannot open is left to `connect` to explain."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        probe = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    except duckdb.Error:
        return
    try:
        tables = {row[0] for row in probe.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        probe.close()
    if "sources" not in tables:
        raise StoreError(f"{path}: not a FinOps Lens database (it has no `sources` table)")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (DuckDB's run to several), for one-line errors."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside leaves the database exactly as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def is_sample(con: duckdb.DuckDBPyConnection) -> bool:
    """True when something is loaded and all of it is the generated sample company."""
    formats = {r[0] for r in con.execute("SELECT DISTINCT x_SourceFormat FROM sources").fetchall()}
    return formats == {SAMPLE_FORMAT}


def delete_sample(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the sample's rows and the tables only the sample fills; the caller holds the transaction."""
    sample_sources = "SELECT x_SourceId FROM sources WHERE x_SourceFormat = ?"
    for table in ("line_items", "daily_costs"):
        con.execute(f"DELETE FROM {table} WHERE x_SourceId IN ({sample_sources})", [SAMPLE_FORMAT])
    con.execute("DELETE FROM sources WHERE x_SourceFormat = ?", [SAMPLE_FORMAT])
    for table in ("utilization", "budgets", "business_metrics"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM meta WHERE starts_with(key, 'sample_')")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM sources").fetchone()
    return row is None or row[0] == 0
