"""Ingest of a FOCUS Parquet file of N line items into an empty database: wall time and peak memory.

python bench/bench_ingest.py --rows 10000000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import duckdb

from analytics.schema import FOCUS_COLUMNS
from bench.common import OUT, PROJECT, sample_db


def focus_parquet(rows: int) -> str:
    """The sample's line items written out as a FOCUS Parquet export (FOCUS columns only)."""
    path = OUT / f"focus-{rows}.parquet"
    if not path.exists():
        columns = ", ".join(f'"{c}"' for c in FOCUS_COLUMNS)
        con = duckdb.connect(str(sample_db(rows)), read_only=True)
        con.execute(f"COPY (SELECT {columns} FROM line_items) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
        con.close()
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    source = focus_parquet(args.rows)
    target = OUT / f"ingest-{args.rows}.duckdb"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analytics", "ingest", source, "--db", str(target)], cwd=PROJECT, check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    con = duckdb.connect(str(target), read_only=True)
    loaded = con.execute("SELECT count(*) FROM line_items").fetchone()[0]  # type: ignore[index]
    rollup = con.execute("SELECT count(*) FROM daily_costs").fetchone()[0]  # type: ignore[index]
    print(f"ingest {loaded:,} rows (rollup {rollup:,} rows): {seconds:.1f} s, peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
