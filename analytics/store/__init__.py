"""The store: where it lives, its tables, how a process reads it (`reader`: a snapshot) and writes
it (`writing`: one writer at a time, published whole), and transactions inside a write. The files
and their publication are in `snapshots`, the writer's lock in `lock`; docs/store.md explains both."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import duckdb

from analytics.engine import Connection
from analytics.schema import LINE_ITEM_COLUMNS, MONEY
from analytics.store import lock, scoped, snapshots, upgrade
from analytics.store.rollup import CONTRACT_APPLIED_DDL, DAILY_COSTS_DDL, SOURCE_TABLES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
# 2: ServiceProviderName and HostProviderName in daily_costs, the time of each contract commitment load,
# the contract_applied rollup
SCHEMA_VERSION = "2"  # (analytics/store/upgrade.py)
SAMPLE_FORMAT = "sample"
MEMORY_LIMIT = os.environ.get("FINOPS_MEMORY_LIMIT", "1500MB")
# How long a reader that finds a store of an earlier schema waits for the write lock to upgrade it.
UPGRADE_WAIT = 5.0
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$", re.IGNORECASE)


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in one line."""


class GenerationGone(StoreError):
    """A generation asked for by number was tidied away: two writes were published since."""


def default_db_path() -> Path:
    """`FINOPS_DB` if set, else data/finops.duckdb in the project."""
    return Path(os.environ.get("FINOPS_DB") or DATA_DIR / "finops.duckdb")


def _columns_sql(columns: dict[str, str]) -> str:
    return ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())


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
{DAILY_COSTS_DDL.strip()}
{CONTRACT_APPLIED_DDL.strip()}
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
CREATE TABLE IF NOT EXISTS contract_commitments (
    ContractCommitmentId VARCHAR NOT NULL,
    ContractId VARCHAR NOT NULL,
    ContractCommitmentCategory VARCHAR NOT NULL,
    ContractCommitmentType VARCHAR NOT NULL,
    ContractCommitmentDescription VARCHAR,
    ContractCommitmentCost {MONEY},
    ContractCommitmentQuantity {MONEY},
    ContractCommitmentUnit VARCHAR,
    BillingCurrency VARCHAR,
    ContractCommitmentPeriodStart TIMESTAMP NOT NULL,
    ContractCommitmentPeriodEnd TIMESTAMP NOT NULL,
    ContractPeriodStart TIMESTAMP NOT NULL,
    ContractPeriodEnd TIMESTAMP NOT NULL,
    x_SourceId BIGINT NOT NULL,
    x_SourceFile VARCHAR NOT NULL,
    x_FileHash VARCHAR NOT NULL,
    x_IngestedAt TIMESTAMP
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


def connect(path: Path | str | None = None, read_only: bool = False, memory_limit: str = MEMORY_LIMIT) -> Connection:
    """Read-only: `reader`. Otherwise a write session for scripts and tests: it holds the store's
    write lock and publishes what was written when closed (commands and the app use `writing`)."""
    if read_only:
        return reader(path, memory_limit)
    session = WriteSession(store_path(path), memory_limit, timeout=None, note="connect()")
    return cast(Connection, session)


def scratch_folder(con: Connection) -> Path | None:
    """The folder of the database `con` writes when it is a writer's work folder of a store, where
    temporary files die with the work if the process is killed; None otherwise."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    folder = Path(row[0]).parent if row and row[0] else None
    return folder if folder is not None and folder.parent.name == snapshots.WORK else None


def store_path(path: Path | str | None = None) -> Path:
    return Path(path) if path is not None else default_db_path()


def reader(
    path: Path | str | None = None, memory_limit: str = MEMORY_LIMIT, generation: int | None = None
) -> Connection:
    """A read-only connection to the current generation (or to `generation`, while it is kept):
    what it shows never changes, whatever is written meanwhile; open a new one to see later writes."""
    folder = _open_folder(store_path(path), memory_limit)
    # DuckDB creates only the last folder of its temp_directory: without spill/ a query larger
    # than memory fails. A reader that may not write here still reads what fits in memory.
    with contextlib.suppress(OSError):
        if snapshots.is_store(folder):  # nothing to read yet: leave no folder behind
            (folder / snapshots.SPILL).mkdir(exist_ok=True)
    if generation is not None:
        return _named(folder, generation, memory_limit)
    con = _newest(folder, memory_limit)
    return _upgraded(folder, con, memory_limit) if upgrade.needed(con, SCHEMA_VERSION) else con


def _newest(folder: Path, memory_limit: str) -> Connection:
    for _ in range(20):
        now = snapshots.current(folder)
        if now is None:
            raise StoreError(f"{folder}: no data here yet; build the sample with `python -m analytics sample`")
        with contextlib.suppress(GenerationGone):  # two writes published since the manifest was read
            return _named(folder, now.generation, memory_limit)
    raise StoreError(f"{folder}: the store changed 20 times while being opened; try again")


def _upgraded(folder: Path, old: Connection, memory_limit: str) -> Connection:
    """The newest generation once the one `old` reads, written by an earlier schema, is upgraded and
    published as a write (whoever opens the store first does it). While another write holds the
    store for longer than `UPGRADE_WAIT` (that writer upgrades its copy too), or where this process
    may not write, `old` is returned: a reader is never refused for the store's age."""
    try:
        session = WriteSession(folder, memory_limit, UPGRADE_WAIT, f"upgrading the store to schema {SCHEMA_VERSION}")
        if session.upgraded is None:
            session.abandon()  # another process upgraded it while this one waited
        else:
            session.close()
    except (StoreError, OSError) as exc:
        logging.getLogger(__name__).warning(
            "%s: reading it as it is (schema %s) for now; it is upgraded by the next write or reader that can: %s",
            folder,
            upgrade.version(old) or "1",
            first_line(exc),
        )
        return old
    old.close()
    return _newest(folder, memory_limit)


def scoped_reader(
    path: Path | str | None, generation: int, filters: Sequence[scoped.Filter], memory_limit: str = MEMORY_LIMIT
) -> Connection:
    """`reader` of one generation that sees only the rows `filters` grant (see analytics.store.scoped)."""
    folder = _open_folder(store_path(path), memory_limit)
    try:
        return scoped.scoped_reader(folder, generation, filters, memory_limit)
    except scoped.ScopeGone as exc:
        raise GenerationGone(str(exc)) from exc


def _named(folder: Path, generation: int, memory_limit: str) -> Connection:
    file = folder / snapshots.generation_name(generation)
    try:
        return _duckdb(file, memory_limit, read_only=True, spill=snapshots.spill_folder(folder))
    except duckdb.IOException as exc:
        if file.exists():
            raise StoreError(f"{file}: cannot open the database ({first_line(exc)})") from exc
        raise GenerationGone(f"{folder}: generation {generation} is no longer kept") from exc


def generation(path: Path | str | None = None) -> int:
    """The current generation's number (0 before the first write): cheap, for cache keys."""
    return generations(path)[0]


def generations(path: Path | str | None = None) -> tuple[int, int]:
    """The current generation and its data generation, read together ((0, 0) before the first write)."""
    folder = store_path(path)
    try:
        now = snapshots.current(folder) if folder.is_dir() else None
    except snapshots.SnapshotError as exc:  # a damaged manifest: one line, as every store error
        raise StoreError(str(exc)) from exc
    return (now.generation, now.data_generation) if now else (0, 0)


@contextmanager
def writing(
    path: Path | str | None = None,
    timeout: float | None = None,
    note: str = "",
    memory_limit: str = MEMORY_LIMIT,
    publish: bool = True,
    data_changed: bool = True,
) -> Iterator[Connection]:
    """A connection to a private copy of the store, published when the block ends without an
    exception and discarded when one escapes (always, with `publish=False`: a what-if). Writers
    queue: a second waits up to `timeout` seconds (`FINOPS_LOCK_TIMEOUT`, 60 by default), then
    fails naming who holds the store. `data_changed=False`: the write only records something beside
    the data (see `snapshots.Current.data_generation`), so what was cached stays valid."""
    session = WriteSession(store_path(path), memory_limit, timeout, note or lock.command_line(), data_changed)
    try:
        yield session.con
    except BaseException:
        session.abandon()
        raise
    if publish:
        session.close()
    else:
        session.abandon()


class WriteSession:
    """One write: the lock, the private copy and its connection. `close` publishes; `abandon` does not."""

    def __init__(
        self, folder: Path, memory_limit: str, timeout: float | None, note: str, data_changed: bool = True
    ) -> None:
        self.folder = _open_folder(folder, memory_limit)
        self.note = note
        self.data_changed = data_changed
        self._held: contextlib.AbstractContextManager[None] | None = lock.holding(self.folder / snapshots.LOCK, timeout)
        try:
            self._held.__enter__()
        except lock.LockTimeout as exc:
            raise StoreError(str(exc)) from exc
        try:
            snapshots.tidy(self.folder, locked=True)
            self.draft, self.generation = snapshots.start(self.folder)
            self.con = _duckdb(self.draft, memory_limit, read_only=False, spill=self.draft.parent / "spill")
            self.con.execute(DDL)
            self.upgraded = self._upgrade()
        except BaseException:
            self._release(publish=False)
            raise

    def _upgrade(self) -> upgrade.Upgrade | None:
        """The copy brought to this schema when an earlier one wrote it (published with the write)."""
        try:
            return upgrade.run(self.con, SCHEMA_VERSION, str(self.folder))
        except duckdb.Error as exc:
            raise StoreError(
                f"{self.folder}: cannot upgrade the store to schema {SCHEMA_VERSION} ({first_line(exc)}); "
                "it is left as it was"
            ) from exc

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "con":
            raise AttributeError(name)  # not yet set: __init__ failed part-way
        return getattr(self.con, name)  # so that scripts can use the session as the connection

    def close(self) -> None:
        self._release(publish=True)

    def abandon(self) -> None:
        self._release(publish=False)

    def _release(self, publish: bool) -> None:
        if self._held is None:
            return
        try:
            con = getattr(self, "con", None)
            if con is not None:
                if publish:
                    con.execute("CHECKPOINT")
                con.close()
            if publish:
                snapshots.publish(self.folder, self.draft, self.generation, self.note, self.data_changed)
        finally:
            snapshots.discard(self.folder)
            held, self._held = self._held, None
            held.__exit__(None, None, None)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.abandon()


def _duckdb(file: Path, memory_limit: str, read_only: bool, spill: Path) -> Connection:
    if not _MEMORY.match(memory_limit):
        raise StoreError(f"memory limit {memory_limit!r}: expected a size such as 2GB or 512MB")
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
    }
    con = duckdb.connect(str(file), read_only=read_only, config=config)
    # FOCUS times are UTC; a timestamp written without an offset must not be read in the host's zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _open_folder(path: Path, memory_limit: str) -> Path:
    """The store's folder, after converting a single-file database found at `path` and removing
    what killed processes left behind."""
    convert(path, memory_limit)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: not a FinOps Lens store (not a folder)")
    if path.is_dir() and not snapshots.is_store(path) and not snapshots.unpublished(path):
        raise StoreError(f"{path}: not a FinOps Lens store (a folder without {snapshots.MANIFEST})")
    path.mkdir(parents=True, exist_ok=True)
    try:
        # A writer killed between publication's two renames left a generation newer than the
        # manifest's; it can be told from one about to be named only while no writer is at work.
        with lock.if_free(path / snapshots.LOCK) as free:
            snapshots.tidy(path, locked=free)
    except snapshots.SnapshotError as exc:
        raise StoreError(str(exc)) from exc
    return path


@dataclass(frozen=True)
class Conversion:
    """A single-file database turned into a store: its totals by currency, before and after."""

    database: Path
    before: dict[str, Decimal]
    after: dict[str, Decimal]


_TOTALS = "SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY ALL ORDER BY 1"


def convert(path: Path, memory_limit: str = MEMORY_LIMIT) -> Conversion | None:
    """A database from before the store had generations becomes generation 1, unchanged (None when
    `path` is no such database)."""
    if not path.is_file() or path.is_symlink():
        return None
    refuse_foreign(path, memory_limit)
    try:
        con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    except duckdb.IOException as exc:
        raise StoreError(f"{path}: cannot convert it while another process has it open ({first_line(exc)})") from exc
    try:
        con.execute("CHECKPOINT")  # folds the WAL in, so the file alone is the whole database
        before = {str(c): Decimal(v) for c, v in con.execute(_TOTALS).fetchall()}
    finally:
        con.close()
    try:
        snapshots.adopt(path, path)
    except FileNotFoundError:
        return None  # another process converted it first
    check = reader(path, memory_limit)
    try:
        after = {str(c): Decimal(v) for c, v in check.execute(_TOTALS).fetchall()}
    finally:
        check.close()
    done = Conversion(path, before, after)
    logging.getLogger(__name__).warning(
        "converted %s into a store: billed %s before, %s after", path, _amounts(before), _amounts(after)
    )
    return done


def _amounts(totals: dict[str, Decimal]) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in totals.items()) or "nothing"


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
def transaction(con: Connection) -> Iterator[Connection]:
    """All or nothing: a failure inside leaves the database exactly as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def get_meta(con: Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_meta(con: Connection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def is_sample(con: Connection) -> bool:
    """True when something is loaded and all of it is the generated sample company."""
    formats = {r[0] for r in con.execute("SELECT DISTINCT x_SourceFormat FROM sources").fetchall()}
    return formats == {SAMPLE_FORMAT}


def delete_sample(con: Connection) -> None:
    """Remove the sample's rows and the tables only the sample fills; the caller holds the transaction."""
    sample_sources = "SELECT x_SourceId FROM sources WHERE x_SourceFormat = ?"
    for table in SOURCE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE x_SourceId IN ({sample_sources})", [SAMPLE_FORMAT])
    con.execute("DELETE FROM sources WHERE x_SourceFormat = ?", [SAMPLE_FORMAT])
    for table in ("utilization", "budgets", "business_metrics"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM meta WHERE starts_with(key, 'sample_')")


def is_empty(con: Connection) -> bool:
    row = con.execute("SELECT count(*) FROM sources").fetchone()
    return row is None or row[0] == 0
