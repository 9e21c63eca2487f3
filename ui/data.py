"""The app's data: one read-write DuckDB connection per process (the Data page loads and removes
sources in-process), the first-start sample build, and cached query wrappers keyed on the hashable
Filters (a `.cursor()` per query, via DuckDBEngine). After every write, `changed()` clears the caches."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from analytics import queries, sources, store
from analytics.allocation.refresh import Status, refresh
from analytics.allocation.rules import default_rules_path
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, FxError, FxTable, load_fx
from analytics.queries import SpendResult
from analytics.schema import EVERYTHING, Filters, Grain, Metric

# Size of the sample built on a first start; None means the sample's own default. Tests shrink it.
FIRST_START_ROWS: int | None = None
FIRST_START_MONTHS: int | None = None
TTL = 3600  # seconds; every write from the app clears the caches at once, so this only bounds memory

# One writer at a time in this process (sample build, ingest, removal): DuckDB would otherwise
# abort one of two concurrent writes with a conflict. Readers are never blocked.
_write_lock = threading.RLock()
_prepared: set[str] = set()
# Callables run after every write (`changed()`) and after a database is first prepared, so the heavy
# cached results (forecasts, anomaly detection) are computed when data is loaded, not on the next
# visit. Modules register their own; each must be cheap to call twice (it fills st.cache_data).
WARM_UP: list[Callable[[], None]] = []


def _refuse_foreign(path: Path) -> None:
    """Refuse, before anything is written, a database that is not FinOps Lens's. Probed with the
    same settings as the app's connection, so it also works while that connection is open."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        probe = duckdb.connect(str(path), config={"memory_limit": store.MEMORY_LIMIT})
    except duckdb.Error:
        return  # store.connect, next, says why in one line
    try:
        tables = {row[0] for row in probe.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        probe.close()
    if "sources" not in tables:
        raise store.StoreError(f"{path}: not a FinOps Lens database (it has no `sources` table)")


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    """The process's one connection to `path`, read-write: DuckDB lets one process write a file and
    will not open it read-only and read-write at once in the same process."""
    _refuse_foreign(Path(path))
    return store.connect(path)


def _needs_sample(con: duckdb.DuckDBPyConnection) -> bool:
    """True when nothing is loaded (unless a user removed everything on purpose) or when a sample
    build was cut short (its rows are there but not the `sample_as_of` it writes last)."""
    formats = {row[0] for row in con.execute("SELECT DISTINCT x_SourceFormat FROM sources").fetchall()}
    if formats == {store.SAMPLE_FORMAT}:
        return store.get_meta(con, "sample_as_of") is None
    return not formats and store.get_meta(con, sources.EMPTIED_KEY) is None


def _build_sample(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    from analytics.sample import DEFAULT_ROWS, build_sample  # only needed on a first start

    with st.status("First start: building a sample dataset to explore", expanded=True) as status:
        st.write(
            f"There is no cost data in `{path.name}` yet, so FinOps Lens builds a realistic sample "
            "company (several clouds, a year of daily costs). This happens once."
        )
        bar = st.progress(0.0, text="Starting")

        def progress(fraction: float, message: str) -> None:
            # If the visitor leaves or reloads, finish the build anyway: every session needs it.
            with contextlib.suppress(ScriptControlException):
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        size = {"months": FIRST_START_MONTHS} if FIRST_START_MONTHS is not None else {}
        build_sample(con, rows=FIRST_START_ROWS or DEFAULT_ROWS, progress=progress, **size)
        status.update(label="Sample dataset ready", state="complete", expanded=False)


def _prepare(path: Path) -> duckdb.DuckDBPyConnection:
    """The connection, after making sure the database has data (the sample, on a first start)."""
    con = _connection(str(path))
    key = str(path)
    if key in _prepared:
        return con
    with _write_lock:  # two first visits at once must not build twice
        if key not in _prepared:
            with writer() as cur:
                if _needs_sample(cur):
                    _build_sample(path, cur)
                _allocate(cur)
            _prepared.add(key)
            _warm_up()
    return con


def _warm_up() -> None:
    """Precompute what pages registered as slow; only a speed-up, so a failure here must not fail
    the write that triggered it (the page itself shows the error when it is opened)."""
    for warm in list(WARM_UP):
        try:
            warm()
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("warming %s failed", getattr(warm, "__qualname__", warm))


def db_path() -> Path:
    """The database file the app works on."""
    return store.default_db_path()


def db_key() -> str:
    """Identifies the database and what is loaded in it, in cache keys: a query that started before
    a write and finished after `changed()` cannot be served again once the data moved on."""
    cur = engine().con.cursor()
    try:
        version = cur.execute("SELECT count(*), max(x_SourceId), max(x_IngestedAt) FROM sources").fetchone()
    finally:
        cur.close()
    return f"{store.default_db_path()}@{version}"


def engine() -> DuckDBEngine:
    """The engine over the process's one connection; stops the page with a clear message when the
    database cannot be opened."""
    path = store.default_db_path()
    try:
        con = _prepare(path)
    except store.StoreError as exc:
        st.error(f"Cannot open the cost database. {exc}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop raises
    _follow_rules_file()
    return DuckDBEngine(con)


def _rules_stamp() -> tuple[str, float]:
    rules = default_rules_path()
    return str(rules), rules.stat().st_mtime if rules.exists() else 0.0


def _follow_rules_file() -> None:
    """A rules file edited by hand while the app runs is applied on the next page run."""
    status = _allocation.get(str(store.default_db_path()))
    if status is not None and status.stamp != _rules_stamp():
        with writer() as cur:
            _allocate(cur)
        st.cache_data.clear()


@contextlib.contextmanager
def writer() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the process's connection for a write, holding the process's write lock; its
    own cursor keeps the write's transaction and temp tables apart from concurrent readers."""
    with _write_lock:
        cur = _connection(str(store.default_db_path())).cursor()
        try:
            yield cur
        finally:
            cur.close()


_allocation: dict[str, Status] = {}


def _allocate(cur: duckdb.DuckDBPyConnection) -> Status:
    """Re-apply the allocation rules if they or the data changed (the caller holds the write lock)."""
    stamp = _rules_stamp()
    with st.spinner("Applying the allocation rules"):
        status = dataclasses.replace(refresh(cur), stamp=stamp)
    _allocation[str(store.default_db_path())] = status
    return status


def allocation() -> Status:
    """The rules in force, and why the rules file could not be used, if it could not."""
    engine()
    status = _allocation.get(str(store.default_db_path()))
    if status is None:
        with writer() as cur:
            status = _allocate(cur)
    return status


def changed() -> None:
    """After a write: the allocation follows the data (or the rules), and every page, in every
    session, reads the new data on its next run."""
    with writer() as cur:
        _allocate(cur)
    st.cache_data.clear()
    _warm_up()


@st.cache_resource(max_entries=4, show_spinner=False)
def _fx(path: str, modified: float) -> FxTable:
    return load_fx(path)


def fx_path() -> Path:
    return DEFAULT_FX_PATH


def fx() -> FxTable:
    """The exchange-rate table, re-read when its file changes; stops the page if unusable."""
    path = fx_path()
    try:
        return _fx(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except FxError as exc:
        st.error(f"The exchange-rate table cannot be used: {exc}", icon=":material/error:")
        st.stop()
        raise


@st.cache_data(ttl=TTL, max_entries=512, show_spinner=False)
def _spend(
    _engine: DuckDBEngine,
    _fx_table: FxTable,
    db: str,
    fx_stamp: tuple[str, float],
    filters: Filters,
    group_by: tuple[str, ...],
    metric: Metric,
    grain: Grain,
    currency: str,
) -> SpendResult:
    return queries.spend(_engine, _fx_table, filters, group_by, metric, grain, currency)


def spend(
    filters: Filters,
    group_by: tuple[str, ...] = (),
    metric: Metric = Metric.EFFECTIVE,
    grain: Grain = Grain.NONE,
    currency: str = "USD",
) -> SpendResult:
    """`metric` per group (and period) in `currency`; see analytics.queries.spend."""
    table = fx()
    stamp = (table.source, Path(table.source).stat().st_mtime if Path(table.source).exists() else 0.0)
    return _spend(engine(), table, db_key(), stamp, filters, group_by, Metric(metric), Grain(grain), currency)


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _dimension_values(_engine: DuckDBEngine, db: str, dimension: str, filters: Filters) -> list[str | None]:
    return queries.dimension_values(_engine, dimension, filters)


def dimension_values(dimension: str, filters: Filters = EVERYTHING) -> list[str | None]:
    """Values of `dimension`, largest spend first; None is "not set"."""
    return _dimension_values(engine(), db_key(), dimension, filters)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _dimensions(_engine: DuckDBEngine, db: str) -> list[str]:
    return queries.dimensions(_engine)


def dimensions() -> list[str]:
    """Every dimension name: FOCUS columns, then `tag:<key>` by spend."""
    return _dimensions(engine(), db_key())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _span(_engine: DuckDBEngine, db: str) -> tuple[Any, Any] | None:
    return queries.data_span(_engine)


def data_span() -> tuple[Any, Any] | None:
    """(first, last) UTC day with charges, or None when nothing is loaded."""
    return _span(engine(), db_key())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _sources(_engine: DuckDBEngine, db: str) -> list[dict[str, Any]]:
    return sources.list_sources(_engine)


def loaded_sources() -> list[dict[str, Any]]:
    """One entry per loaded source file; see analytics.sources.list_sources."""
    return _sources(engine(), db_key())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _freshness(_engine: DuckDBEngine, db: str, today: dt.date) -> list[dict[str, Any]]:
    return sources.freshness(_engine, today)


def freshness() -> list[dict[str, Any]]:
    """Latest UTC day with charges per provider, and whether it is stale; see analytics.sources."""
    return _freshness(engine(), db_key(), dt.datetime.now(dt.UTC).date())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _is_sample(_engine: DuckDBEngine, db: str) -> bool:
    cur = _engine.con.cursor()
    try:
        return store.is_sample(cur) and store.get_meta(cur, "sample_as_of") is not None
    finally:
        cur.close()


def is_sample() -> bool:
    """True when everything loaded is the generated sample."""
    return _is_sample(engine(), db_key())


def sample_banner() -> None:
    """Says, on every page, that the figures are the sample's and how to load real exports."""
    if is_sample():
        st.info(
            "You are looking at **sample data** (a generated multi-cloud company). To see your own "
            "costs, load your exports on the **Data** page (or, with the app stopped, "
            "`python -m analytics ingest PATH`): they replace the sample.",
            icon=":material/science:",
        )


def rules_banner() -> None:
    """Says, on every page, when the allocation rules file cannot be used."""
    status = allocation()
    if status.error:
        st.error(
            f"The allocation rules cannot be applied: {status.error}. The rules applied before stay in force; "
            "fix the file or edit the rules on the Allocation page.",
            icon=":material/error:",
        )
