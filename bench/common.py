"""Shared by the benchmarks: where their databases live, and how to build them once."""

from __future__ import annotations

import os
import pickle
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "bench" / "out"
AS_OF = "2026-11-27"  # fixed, so every run benchmarks the same data


def sample_db(rows: int) -> Path:
    """A sample database of about `rows` line items, built once and reused."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"sample-{rows}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "analytics", "sample", "--rows", str(rows), "--as-of", AS_OF, "--db", str(path)],
            cwd=PROJECT,
            check=True,
        )
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def env_with_db(db: Path) -> dict[str, str]:
    return {**os.environ, "FINOPS_DB": str(db)}


def timed_ingest(source: Path | str, target: Path) -> str:
    """`python -m analytics ingest source` into a new database `target`, in a child process: its wall
    time, peak RSS, and what it loaded, as one line."""
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "analytics", "ingest", str(source), "--db", str(target)]
    subprocess.run(command, cwd=PROJECT, check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    con = duckdb.connect(str(target), read_only=True)
    loaded, billed = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone()  # type: ignore[misc]
    rollup = con.execute("SELECT count(*) FROM daily_costs").fetchone()[0]  # type: ignore[index]
    con.close()
    return (
        f"{loaded:,} rows (rollup {rollup:,} rows, Σ BilledCost {billed:,.2f}): "
        f"{seconds:.1f} s, peak RSS {peak_mb:,.0f} MB"
    )


def current_file(store: Path) -> Path:
    """The DuckDB file of a store's current generation (a plain database: open it with duckdb)."""
    from analytics.store import snapshots

    now = snapshots.current(store)
    if now is None:
        raise SystemExit(f"{store}: no generation yet")
    return now.file


@contextmanager
def private_store(rows: int) -> Iterator[Path]:
    """A private copy of the sample store of `rows` line items (the app writes to the store it
    serves, and bench/out is shared), removed afterwards. Its first open converts it into a store."""
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        db = work / "finops.duckdb"
        source = sample_db(rows)
        shutil.copy(current_file(source) if source.is_dir() else source, db)
        yield db
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish_a_load(store: Path) -> None:
    """What a load from cron does to a serving app: a new generation is published. Nothing else
    changes, so the figures stay comparable, but every cache keyed on the generation goes cold and
    the app opens a new read-only connection (DuckDB's own buffers cold too)."""
    from analytics.store import set_meta, writing

    with writing(store, note="bench: a load") as con:
        set_meta(con, "bench_load", str(time.time()))


@dataclass
class Recorded:
    """The SQL an app run sent through `Engine.query`: seconds, statement, parameters, frames."""

    queries: list[tuple[float, str, Any, Mapping[str, pd.DataFrame] | None]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(q[0] for q in self.queries)

    def dominant(self) -> tuple[float, str, Any, Mapping[str, pd.DataFrame] | None]:
        return max(self.queries, key=lambda q: q[0])


@contextmanager
def recording() -> Iterator[Recorded]:
    """Every `DuckDBEngine.query` made inside the block, timed (the app's queries, for the floors)."""
    from analytics.engine import DuckDBEngine

    found = Recorded()
    original = DuckDBEngine.query

    def query(self: DuckDBEngine, sql: str, params: Any = (), frames: Any = None) -> pd.DataFrame:
        started = time.perf_counter()
        try:
            return original(self, sql, params, frames)
        finally:
            found.queries.append((time.perf_counter() - started, sql, params, frames))

    DuckDBEngine.query = query  # type: ignore[method-assign]
    try:
        yield found
    finally:
        DuckDBEngine.query = original  # type: ignore[method-assign]


def plain_seconds(database: Path, queries: list[tuple[float, str, Any, Any]], repeat: int = 1) -> tuple[float, float]:
    """The same statements on a plain DuckDB connection outside the app: a child process (DuckDB
    allows one configuration per file in a process, and the app's is open here) opens the file
    fresh and runs them in order, `repeat` times. (First pass: cold, as the app's new connection is
    after a load; best pass: warm, as its connection is for a rerun.) The floor the app's figure is
    set against."""
    with tempfile.TemporaryDirectory() as folder:
        job = Path(folder) / "queries.pickle"
        statements = [(sql, params, frames) for _, sql, params, frames in queries]
        job.write_bytes(pickle.dumps((str(database), statements, repeat)))
        command = [sys.executable, "-c", "from bench.common import run_plain; run_plain()", str(job)]
        done = subprocess.run(command, cwd=PROJECT, check=True, capture_output=True, text=True)
    first, best = done.stdout.strip().splitlines()[-1].split()
    return float(first), float(best)


def run_plain() -> None:
    """In the child process of `plain_seconds`: print the first pass's seconds and the best pass's."""
    database, queries, repeat = pickle.loads(Path(sys.argv[1]).read_bytes())  # noqa: S301  (written by this module)
    con = duckdb.connect(database, read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        for sql, params, frames in queries:
            cur = con.cursor()
            for name, frame in (frames or {}).items():
                cur.register(name, frame)
            cur.execute(sql, params).fetchall()
            cur.close()
        passes.append(time.perf_counter() - started)
    print(passes[0], min(passes))
    con.close()


def short(sql: str, width: int = 110) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def page_after_loads(page: str, store: Path, rounds: int, app: Path | None = None) -> None:
    """The server-side open of `page` (AppTest) after a load: each round publishes a new generation,
    then times the page's run, with every query recorded; beside it, in the same round, the page's
    dominant SQL and all its SQL run on a plain DuckDB connection to the new generation's file."""
    import streamlit as st  # noqa: F401  (AppTest needs the runtime imported)
    from streamlit.testing.v1 import AppTest

    os.environ["FINOPS_DB"] = str(store)
    at = AppTest.from_file(str(app or PROJECT / "app.py"), default_timeout=600)
    at.switch_page(page)
    started = time.perf_counter()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    print(f"{page}: first run of a fresh process (app start, every cache empty): {time.perf_counter() - started:.2f} s")
    opens, sql, floors, everything = [], [], [], []
    dominant = ""
    for _ in range(rounds):
        publish_a_load(store)
        with recording() as found:
            started = time.perf_counter()
            at.run()
            opens.append(time.perf_counter() - started)
        assert not at.exception, [e.value for e in at.exception]
        sql.append(found.seconds)
        top = found.dominant()
        dominant = short(top[1])
        database = current_file(store)
        floors.append(plain_seconds(database, [top])[0])
        everything.append(plain_seconds(database, found.queries)[0])
    n = len(found.queries)
    print(
        f"{page}: open after a load (new generation, caches cold): median {statistics.median(opens):.2f} s, "
        f"max {max(opens):.2f} s over {rounds}; of which {n} queries {statistics.median(sql):.2f} s"
    )
    print(
        f"  floor, plain DuckDB on the same file, fresh connection: dominant SQL median "
        f"{statistics.median(floors):.3f} s; all {n} statements {statistics.median(everything):.2f} s"
    )
    print(f"  dominant SQL: {dominant}")
    print("  slowest statements of the last round:")
    for seconds, statement, _, _ in sorted(found.queries, key=lambda q: -q[0])[:8]:
        print(f"    {seconds:.3f} s  {short(statement, 100)}")
