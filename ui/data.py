"""The app's data: the first-start sample build, one read-only DuckDB connection per process, and
cached query wrappers keyed on the hashable Filters (a `.cursor()` per query, via DuckDBEngine)."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from analytics import queries, sources, store
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, FxError, FxTable, load_fx
from analytics.queries import SpendResult
from analytics.schema import EVERYTHING, Filters, Grain, Metric

# Size of the sample built on a first start; None means the sample's own default. Tests shrink it.
FIRST_START_ROWS: int | None = None
FIRST_START_MONTHS: int | None = None
TTL = 3600  # seconds; the data only changes when the app is restarted after an ingest

_prepare_lock = threading.Lock()
_prepared: set[str] = set()


def _needs_sample(path: Path) -> bool:
    """True for a missing or empty file, a FinOps Lens database with nothing loaded, or a sample
    whose build was cut short (its rows are there but not the `sample_as_of` it writes last).
    Any other database is refused rather than written into."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    con = store.connect(path, read_only=True)
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "sources" not in tables:
            raise store.StoreError(f"{path}: not a FinOps Lens database (it has no `sources` table)")
        formats = {row[0] for row in con.execute("SELECT DISTINCT x_SourceFormat FROM sources").fetchall()}
        unfinished = formats == {"sample"} and store.get_meta(con, "sample_as_of") is None
        return store.is_empty(con) or unfinished
    finally:
        con.close()


def _build_sample(path: Path) -> None:
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

        con = store.connect(path)
        try:
            rows = FIRST_START_ROWS or DEFAULT_ROWS
            if FIRST_START_MONTHS is None:
                build_sample(con, rows=rows, progress=progress)
            else:
                build_sample(con, rows=rows, months=FIRST_START_MONTHS, progress=progress)
        finally:
            con.close()
        status.update(label="Sample dataset ready", state="complete", expanded=False)


def _prepare(path: Path) -> None:
    """Make sure the database has data, building the sample on a first start. Once per process."""
    key = str(path)
    if key in _prepared:
        return
    with _prepare_lock:  # two first visits at once must not build twice
        if key in _prepared:
            return
        if _needs_sample(path):
            _build_sample(path)
        _prepared.add(key)


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return store.connect(path, read_only=True)


def db_key() -> str:
    """Identifies the database in cache keys."""
    return str(store.default_db_path())


def engine() -> DuckDBEngine:
    """The engine over the process's one read-only connection; stops the page with a clear
    message when the database cannot be opened."""
    path = store.default_db_path()
    try:
        _prepare(path)
        return DuckDBEngine(_connection(str(path)))
    except store.StoreError as exc:
        st.error(f"Cannot open the cost database. {exc}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop raises


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
def _is_sample(_engine: DuckDBEngine, db: str) -> bool:
    meta = _engine.query("SELECT value FROM meta WHERE key = ?", ["sample_as_of"])
    formats = _engine.query("SELECT DISTINCT x_SourceFormat AS format FROM sources")
    return bool(len(meta)) and not formats.empty and set(formats["format"]) == {"sample"}


def is_sample() -> bool:
    """True when everything loaded is the generated sample."""
    return _is_sample(engine(), db_key())


def sample_banner() -> None:
    """Says, on every page, that the figures are the sample's and how to load real exports."""
    if is_sample():
        st.info(
            "You are looking at **sample data** (a generated multi-cloud company). To see your own "
            "costs, stop the app, load your FOCUS exports (CSV, CSV.gz or Parquet) with "
            "`python -m analytics ingest PATH`, then start the app again.",
            icon=":material/science:",
        )
