"""What the store's generations cost: a write's fixed cost (copy, checkpoint, publish) beside its
floor (copying the same file), the first query of a reader after a publication, and how long reads
take while a write is under way. Run on a copy of the sample store, so the benchmark changes nothing:

    python -m bench.bench_store --rows 10000000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import threading
import time
from pathlib import Path

from analytics.store import reader, snapshots, writing
from bench.common import OUT, sample_db

QUERY = "SELECT ServiceName, sum(EffectiveCost) FROM daily_costs GROUP BY ALL"


def _seconds(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def _read(db: Path) -> None:
    con = reader(db)
    try:
        con.execute(QUERY).fetchall()
    finally:
        con.close()


def _empty_write(db: Path) -> None:
    with writing(db, note="bench_store"):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    source = sample_db(args.rows)
    _read(source)  # converts a database built before the store's generations
    db = OUT / f"store-bench-{args.rows}"
    shutil.rmtree(db, ignore_errors=True)
    shutil.copytree(source, db, ignore=shutil.ignore_patterns("work", "spill", "write.lock"))
    try:
        current = snapshots.current(db)
        assert current is not None
        size = current.file.stat().st_size
        floor = [_seconds(lambda: shutil.copyfile(current.file, OUT / "copy-floor.duckdb")) for _ in range(args.rounds)]
        (OUT / "copy-floor.duckdb").unlink(missing_ok=True)
        writes = [_seconds(lambda: _empty_write(db)) for _ in range(args.rounds)]
        first_reads = []
        for _ in range(args.rounds):
            _empty_write(db)
            first_reads.append(_seconds(lambda: _read(db)))
        during: list[float] = []
        writer = threading.Thread(target=_empty_write, args=(db,))
        writer.start()
        while writer.is_alive():
            during.append(_seconds(lambda: _read(db)))
        writer.join()
        print(f"store at {args.rows:,} rows: generation file {size / 1e9:.2f} GB")
        print(f"copy of the file (floor):          median {statistics.median(floor):.2f} s, max {max(floor):.2f} s")
        print(f"empty write (copy, publish):       median {statistics.median(writes):.2f} s, max {max(writes):.2f} s")
        print(f"reader's first query after a write: median {statistics.median(first_reads) * 1000:.0f} ms")
        print(f"reads during a write: {len(during)} reads, max {max(during) * 1000:.0f} ms")
    finally:
        shutil.rmtree(db, ignore_errors=True)


if __name__ == "__main__":
    main()
