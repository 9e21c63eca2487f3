"""Ingest of a FOCUS Parquet file of N line items into an empty store, beside its floor: DuckDB's raw
`CREATE TABLE AS SELECT * FROM read_parquet(file)` of the same file into a fresh database file, in
the same run. Both run in a child process; wall time and that process's peak RSS.

python -m bench.bench_ingest --rows 10000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from analytics.schema import FOCUS_COLUMNS
from bench.common import OUT, PROJECT, sample_db


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    output: str
    cpu: float = 0.0  # user + system seconds of the child, all its threads

    def __str__(self) -> str:
        return f"{self.seconds:.1f} s ({self.cpu:.1f} CPU-s), peak RSS {self.peak_mb:,.0f} MB"


def timed(command: list[str], cwd: Path = PROJECT) -> Run:
    """`command` in a child process: its wall time and its own peak RSS (not its siblings')."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{output[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, output, usage.ru_utime + usage.ru_stime)


def ingest(source: Path, target: Path) -> Run:
    """`python -m analytics ingest source` into a new store `target`."""
    shutil.rmtree(target, ignore_errors=True)
    return timed([sys.executable, "-m", "analytics", "ingest", str(source), "--db", str(target)])


def loaded(target: Path) -> str:
    """What the store holds: line items, rollup rows and the billed total, from the store itself."""
    from analytics.store import reader

    con = reader(target)
    try:
        rows, billed = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone() or (0, 0)
        rollup = (con.execute("SELECT count(*) FROM daily_costs").fetchone() or (0,))[0]
    finally:
        con.close()
    return f"{rows:,} rows (rollup {rollup:,} rows, Σ BilledCost {billed:,.2f})"


_FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [sys.argv[2]])
con.close()
"""


def floor(source: Path) -> Run:
    """DuckDB's raw CTAS of `source` into a fresh database file, default settings, closed (checkpointed)."""
    database = OUT / "ingest-floor.duckdb"
    database.unlink(missing_ok=True)
    Path(f"{database}.wal").unlink(missing_ok=True)
    try:
        return timed([sys.executable, "-c", _FLOOR, str(database), str(source)])
    finally:
        database.unlink(missing_ok=True)


def focus_parquet(rows: int) -> Path:
    """The sample's line items written out as a FOCUS Parquet export (FOCUS columns only)."""
    path = OUT / f"focus-{rows}.parquet"
    if not path.exists():
        from analytics.store import reader

        columns = ", ".join(f'"{c}"' for c in FOCUS_COLUMNS)
        con = reader(sample_db(rows))
        partial = path.with_suffix(".partial")
        con.execute(f"COPY (SELECT {columns} FROM line_items) TO '{partial}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
        con.close()
        partial.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    source = focus_parquet(args.rows)
    target = OUT / f"ingest-{args.rows}.store"
    # The floor before and after: on a shared machine the load changes during a run.
    before = floor(source)
    ours = ingest(source, target)
    after = floor(source)
    base = (before.seconds + after.seconds) / 2
    print(f"floor: DuckDB CREATE TABLE AS SELECT * FROM read_parquet, fresh file: {before} (before), {after} (after)")
    print(f"ingest FOCUS Parquet {loaded(target)}: {ours}")
    print(f"ratio ingest / floor: {ours.seconds / base:.2f}x (target at most 2x)")
    shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()
