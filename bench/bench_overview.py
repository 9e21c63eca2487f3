"""Server-side run of the Overview page (the landing page) through AppTest, on a private copy of the
sample store (the app writes to the store it serves, and bench/out is shared).

First, the page's open after a load: each round publishes a new generation (what a load from cron
does: every cache keyed on the generation goes cold, and the app opens a new read-only connection;
no warm-up runs, since the app did not write), then times the page, beside its dominant SQL and all
its SQL on a plain DuckDB connection to the same file (the floor). Then four measures: the first
run of a fresh process (sample check, allocation state, every cache empty); a rerun with the caches
warm (a user coming back within the hour); reruns after clearing every Streamlit data cache, which
recompute everything the page shows (spend queries, the forecast with its backtests, anomaly
detection and the root causes of the open anomalies); and the first
visit after a data change: `data.changed()` (what every write from the app runs: allocation refresh,
cache clear, then the `data.WARM_UP` callables, which the Overview registers) timed as the extra cost
of the write path, then the page's rerun.

    python -m bench.bench_overview --rows 300000        # the default sample
    python -m bench.bench_overview --rows 10000000      # the 10M-row store
    python -m bench.bench_overview --rows 10000000 --rounds 3 --after-load-only
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.common import PROJECT, page_after_loads, peak_rss_mb, private_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page", default=None, help="another page to time the same way, e.g. app_pages/forecast.py")
    parser.add_argument("--after-load-only", action="store_true", help="only the open after a load")
    args = parser.parse_args()
    with private_store(args.rows) as db:
        os.environ["FINOPS_DB"] = str(db)
        os.environ["FINOPS_BUDGETS"] = str(db.parent / "budgets.csv")  # none: the sample's budgets table is used
        page_after_loads(args.page or "app_pages/overview.py", db, args.rounds)
        if not args.after_load_only:
            run(args.page, args.rounds)


def run(page: str | None, rounds: int) -> None:
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=600)
    if page is not None:
        at.switch_page(page)
    started = time.perf_counter()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    print(f"first run (fresh process, every cache empty): {time.perf_counter() - started:.2f} s")
    warm, cold = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
        st.cache_data.clear()
        started = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - started)
        assert not at.exception, [e.value for e in at.exception]
    print(f"rerun, caches warm: median {statistics.median(warm):.3f} s, max {max(warm):.3f} s over {rounds}")
    print(f"rerun, data caches cleared: median {statistics.median(cold):.3f} s, max {max(cold):.3f} s over {rounds}")
    from ui import data  # the module the app's runs imported (same process)

    write, visit = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        data.changed()
        write.append(time.perf_counter() - started)
        started = time.perf_counter()
        at.run()
        visit.append(time.perf_counter() - started)
        assert not at.exception, [e.value for e in at.exception]
    print(
        f"data.changed() (allocation refresh + warm-up, paid by the write): median {statistics.median(write):.3f} s, "
        f"max {max(write):.3f} s; warm-up callables: {len(data.WARM_UP)}"
    )
    print(f"first visit after a data change: median {statistics.median(visit):.3f} s, max {max(visit):.3f} s")
    saved, bare = list(data.WARM_UP), []
    data.WARM_UP.clear()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            data.changed()
            bare.append(time.perf_counter() - started)
    finally:
        data.WARM_UP[:] = saved
    print(f"data.changed() without the warm-up: median {statistics.median(bare):.3f} s (the write path's own cost)")
    print(f"process peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
