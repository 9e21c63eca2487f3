"""The app's data: a read-only snapshot of the store per generation (each page run reads one
generation, the newest when the run starts, so a load from cron shows at the next rerun), writes
through the store's one-writer sessions, the first-start sample build, the exchange-rate table, the
allocation rules in force, and the generation for cache keys (the cached reads are in ui.queries,
built with ui.cache). After every write, `changed()` clears the caches."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from analytics import queries, sources, store
from analytics.access import Scope
from analytics.allocation.refresh import Status, refresh
from analytics.allocation.rules import EMPTY, default_rules_path
from analytics.engine import Connection, DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, FxError, FxTable, load_fx
from analytics.logs import log_failure, one_line
from ui import identity

# Size of the sample built on a first start; None means the sample's own default. Tests shrink it.
FIRST_START_ROWS: int | None = None
FIRST_START_MONTHS: int | None = None
TTL = 3600  # seconds; every write from the app clears the caches at once, so this only bounds memory

# One writer at a time in this process (the store queues processes; this queues this process's
# threads, and lets a write re-enter, e.g. a removal that re-applies the rules). Readers never wait.
_write_lock = threading.RLock()
_writing = threading.local()
_PIN = "_finops_store_generation"  # the generation this page run reads
_prepared: set[str] = set()
# Callables run after every write (`changed()`) and after a database is first prepared, so the heavy
# cached results (forecasts, anomaly detection) are computed when data is loaded, not on the next
# visit. Modules register their own; each must be cheap to call twice (it fills st.cache_data).
WARM_UP: list[Callable[[], None]] = []


@st.cache_resource(max_entries=4, show_spinner=False)
def _reader(path: str, generation: int) -> Connection:
    """The process's read-only connection to one generation; a run that began on an older one
    keeps its own until it ends (dropped, not closed, when evicted)."""
    return store.reader(path, generation=generation)


@st.cache_resource(max_entries=16, show_spinner=False)
def _limited(path: str, generation: int, scope_key: str, _scope: Scope) -> Connection:
    """A reader of one generation that holds only what `_scope` grants; shared by the sessions of
    that scope (each query runs on its own cursor), keyed by the scope's fingerprint."""
    return store.scoped_reader(path, generation, _scope.filters)


def _scoped_reader(path: str, generation: int) -> Connection:
    """This session's reader: every query the pages run sees only the signed-in user's scope."""
    scope = identity.grant().scope
    if scope.everything:
        return _reader(path, generation)
    return _limited(path, generation, scope.key(), scope)


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _dimensions(path: str, generation: int, data_generation: int) -> list[str]:
    return queries.dimensions(DuckDBEngine(_reader(path, generation)))


def known_dimensions() -> list[str]:
    """Every dimension the data has, whatever the visitor's scope (to check the access rules)."""
    _prepare(store.default_db_path())
    return _dimensions(str(store.default_db_path()), *_pinned())


Progress = Callable[[float, str], None]


def _in_run() -> bool:
    """Whether this thread runs a page (not the first-start thread)."""
    return get_script_run_ctx(suppress_warning=True) is not None


def _build_sample(path: Path, con: Connection, progress: Progress | None) -> None:
    from analytics.sample import DEFAULT_ROWS, build_sample  # only needed on a first start

    if progress is not None:  # the first-start thread (ui.first_start) shows it to every visitor
        _build(con, DEFAULT_ROWS, build_sample, progress)
        return
    with st.status("First start: building a sample dataset to explore", expanded=True) as status:
        st.write(
            f"There is no cost data in `{path.name}` yet, so FinOps Lens builds a realistic sample "
            "company (several clouds, a year of daily costs). This happens once."
        )
        bar = st.progress(0.0, text="Starting")

        def shown(fraction: float, message: str) -> None:
            # If the visitor leaves or reloads, finish the build anyway: every session needs it.
            with contextlib.suppress(ScriptControlException):
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        _build(con, DEFAULT_ROWS, build_sample, shown)
        status.update(label="Sample dataset ready", state="complete", expanded=False)


def _build(con: Connection, default_rows: int, build: Callable, progress: Progress) -> None:
    rows = FIRST_START_ROWS or default_rows
    if FIRST_START_MONTHS is None:
        build(con, rows=rows, progress=progress)
    else:
        build(con, rows=rows, months=FIRST_START_MONTHS, progress=progress)


def _prepare(path: Path, progress: Progress | None = None) -> None:
    """Make sure the store has data (the sample, on a first start) and its allocation follows the
    rules. `progress`: called as the sample is built, from the first-start thread (ui.first_start);
    without it the build draws its own progress in the calling page."""
    key = str(path)
    if key in _prepared:
        return
    with _write_lock:  # two first visits at once must not build twice
        if key not in _prepared:
            if sources.settled(path) is None:
                with writer(upkeep=True) as cur:
                    if sources.needs_sample(cur):
                        _build_sample(path, cur, progress)
            _prepared.add(key)
            _warm_up()


def prepare_in_background(progress: Progress) -> None:
    """For the first-start thread: open the database, build the sample if it needs one (reporting
    to `progress`), apply the rules and warm the caches. Errors are left for `engine()` to show."""
    _prepare(store.default_db_path(), progress)


def _warm_up() -> None:
    """Precompute what pages registered as slow; only a speed-up, so a failure here must not fail
    the write that triggered it (the page itself shows the error when it is opened)."""
    try:
        _fx(*file_stamp(fx_path()))
    except FxError:
        return  # every warm-up converts amounts; fx() would stop the whole run, the Data page's too
    for warm in list(WARM_UP):
        try:
            warm()
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("warming %s failed", getattr(warm, "__qualname__", warm))


def db_path() -> Path:
    """The database file the app works on."""
    return store.default_db_path()


def db_key() -> str:
    """Identifies the store, the data this run reads and the scope it is read in, in cache keys:
    every write of data makes a new data generation, so nothing cached before it is served after
    it, and users of different scopes never share a cached result."""
    engine()
    return f"{store.default_db_path()}@{_pinned()[1]}#{identity.grant().scope.key()}"


def new_run() -> None:
    """At the top of every page run: this run will read the newest generation, and only that one."""
    st.session_state.pop(_PIN, None)


def _pinned() -> tuple[int, int]:
    """The generation of this page run and its data generation (pinned on first use); outside a
    run, the newest."""
    if not _in_run():
        return store.generations(store.default_db_path())
    if _PIN not in st.session_state:
        st.session_state[_PIN] = store.generations(store.default_db_path())
    generation, data_generation = st.session_state[_PIN]
    return int(generation), int(data_generation)


def engine() -> DuckDBEngine:
    """The engine over this run's snapshot of the store; stops the page with a clear message when
    the store cannot be opened."""
    path = store.default_db_path()
    try:
        _prepare(path)
        _follow_rules_file()
        try:
            con = _scoped_reader(str(path), _pinned()[0])
        except store.GenerationGone:  # pinned before two writes that came before its first query
            new_run()
            con = _scoped_reader(str(path), _pinned()[0])
    except store.StoreError as exc:
        st.error(f"Cannot open the cost database. {_for_admins(exc, 'opening the store')}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop raises
    return DuckDBEngine(con)


def _for_admins(exc: Exception, doing: str) -> str:
    """The problem as an admin may read it (it can name server files); others get a reference into
    the server log."""
    if identity.is_admin():
        return str(exc)
    reference = log_failure(logging.getLogger(__name__), doing, exc)
    return f"Reference {reference}: an administrator can see why in the server log."


def file_stamp(path: str | Path) -> tuple[str, float]:
    """(path, modification time; 0.0 while it does not exist): changes whenever the file is edited,
    so a cache keyed on it follows a file edited by hand while the app runs."""
    found = Path(path)
    return str(found), found.stat().st_mtime if found.exists() else 0.0


def _rules_stamp() -> tuple[str, float]:
    return file_stamp(default_rules_path())


def _follow_rules_file() -> None:
    """A rules file edited by hand while the app runs is applied on the next page run."""
    status = _allocation.get(str(store.default_db_path()))
    if status is not None and status.stamp != _rules_stamp():
        with writer(upkeep=True) as cur:
            _allocate(cur)
        st.cache_data.clear()


@contextlib.contextmanager
def writer(publish: bool = True, data_changed: bool = True, upkeep: bool = False) -> Iterator[Connection]:
    """A connection to a private copy of the store, published (with the allocation re-applied)
    when the block ends without an exception; `publish=False` for a what-if that is thrown away;
    `data_changed=False` for a record beside the data, which leaves every cache valid.
    Only an administrator writes; `upkeep=True` is for what the app does itself whoever visits
    (the sample on a first start, a rules or budgets file edited by hand).
    Inside another writer of this thread, that one's connection."""
    if not upkeep and _in_run() and not identity.grant().is_admin:
        st.error(
            "Only an administrator can change the data, rules, budgets or targets. Nothing was saved.",
            icon=":material/lock:",
        )
        st.stop()
    outer = getattr(_writing, "con", None)
    if outer is not None:
        yield outer
        return
    with _write_lock:
        try:
            with store.writing(
                store.default_db_path(), note="the app", publish=publish, data_changed=data_changed
            ) as con:
                _writing.con = con
                try:
                    yield con
                    if publish and data_changed:
                        _allocate(con)
                finally:
                    _writing.con = None
        except store.StoreError as exc:
            if not _in_run():
                raise  # the first-start thread: engine() shows it in the next page run
            st.error(f"Nothing was saved. {exc}", icon=":material/error:")
            st.stop()
    if publish and _in_run():
        st.session_state.pop(_PIN, None)  # the rest of this run reads what it just wrote


_allocation: dict[str, Status] = {}


def _allocate(cur: Connection) -> Status:
    """Re-apply the allocation rules if they or the data changed (the caller holds the write lock)."""
    stamp = _rules_stamp()
    # Outside a page run (the first-start thread) there is no page to show a spinner on.
    shown = st.spinner("Applying the allocation rules") if _in_run() else contextlib.nullcontext()
    with shown:
        try:
            status = dataclasses.replace(refresh(cur), stamp=stamp)
        except Exception as exc:  # noqa: BLE001
            # A stored value the allocation cannot use must not take down every page, the Data page
            # (where the source can be removed) first: the rules banner says what failed.
            reference = log_failure(logging.getLogger(__name__), "applying the allocation rules", exc)
            reason = f"{one_line(exc)} (reference {reference}, details in the server log)"
            status = Status(EMPTY, default_rules_path(), reason, stamp=stamp)
    _allocation[str(store.default_db_path())] = status
    return status


def allocation() -> Status:
    """The rules in force, and why the rules file could not be used, if it could not."""
    engine()
    status = _allocation.get(str(store.default_db_path()))
    if status is None:
        with _write_lock:
            settled = sources.settled(store.default_db_path())
            if settled is None:
                with writer(upkeep=True) as cur:
                    status = _allocate(cur)
            else:
                status = _allocation[str(store.default_db_path())] = dataclasses.replace(settled, stamp=_rules_stamp())
    return status


def changed() -> None:
    """After a write (which re-applied the allocation): every page, in every session, reads the new
    data on its next run."""
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
        return _fx(*file_stamp(path))
    except FxError as exc:
        st.error(
            f"The exchange-rate table cannot be used: {_for_admins(exc, 'reading the rates')}", icon=":material/error:"
        )
        st.stop()
        raise


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _is_sample(_engine: DuckDBEngine, db: str) -> bool:
    return sources.shows_sample(_engine)


def is_sample() -> bool:
    """True when everything loaded is the generated sample."""
    return _is_sample(engine(), db_key())


def sample_banner() -> None:
    """Says, on every page, that the figures are the sample's and how to load real exports."""
    if is_sample():
        how = (
            "To see your own costs, load your exports on the **Data** page (or with "
            "`python -m analytics ingest PATH`): they replace the sample."
            if identity.is_admin()
            else "An administrator loads your company's real exports in its place."
        )
        st.info(
            f"You are looking at **sample data** (a generated multi-cloud company). {how}", icon=":material/science:"
        )


def rules_banner() -> None:
    """Says, on every page, when the allocation rules file cannot be used."""
    status = allocation()
    if status.error:
        why = status.error if identity.is_admin() else "an administrator can see why on the Allocation page"
        st.error(
            f"The allocation rules cannot be applied: {why}. The rules applied before stay in force; "
            "fix the file or edit the rules on the Allocation page.",
            icon=":material/error:",
        )
