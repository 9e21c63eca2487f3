"""Ingest of a FOCUS Parquet file of N line items into an empty database: wall time and peak memory.

python -m bench.bench_ingest --rows 10000000
"""

from __future__ import annotations

import argparse

import duckdb

from analytics.schema import FOCUS_COLUMNS
from bench.common import OUT, sample_db, timed_ingest


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
    target = OUT / f"ingest-{args.rows}.duckdb"
    print(f"ingest FOCUS Parquet {timed_ingest(focus_parquet(args.rows), target)}")


if __name__ == "__main__":
    main()
