"""Server-side rerun of the Explore page after changing `explore_group_by`, through AppTest.

Two measures: "new view" changes to a group-by not asked for before in this process (the sidebar's
cached option lists stay warm, as they are for a user); "all caches cold" clears every Streamlit data
cache before the change, so the rerun runs every query of the page. Beside each group-by, its floor:
the rerun's dominant SQL (the spend query) run on a plain DuckDB connection to the same file, in a
child process, outside the app. Works on a private copy of the sample store.

    python -m bench.bench_explore --rows 10000000        # the 10M-row database
    python -m bench.bench_explore --rows 300000          # about the default sample
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.common import PROJECT, current_file, peak_rss_mb, plain_seconds, private_store, recording, short

GROUP_BYS = ("tag:team", "SubAccountName", "tag:env", "RegionId", "alloc:business_unit", "ChargeCategory")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--period", default="last_90_days", help="date preset the page opens with")
    args = parser.parse_args()
    with private_store(args.rows) as store:
        os.environ["FINOPS_DB"] = str(store)
        at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=300)
        at.query_params["period"] = args.period
        at.switch_page("app_pages/explore.py")  # the landing page is the Overview
        started = time.perf_counter()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        print(f"first run (cold process, every cache empty): {time.perf_counter() - started:.2f} s")
        report(at, store, "new view", clear=False, rounds=1)
        report(at, store, "all caches cold", clear=True, rounds=args.rounds)
    print(f"process peak RSS {peak_rss_mb():,.0f} MB")


def report(at: AppTest, store: Path, label: str, clear: bool, rounds: int) -> None:
    timings: dict[str, list[float]] = {g: [] for g in GROUP_BYS}
    dominant: dict[str, tuple] = {}
    for _ in range(rounds):
        for group_by in GROUP_BYS:
            if clear:
                st.cache_data.clear()
            widget = at.selectbox(key="explore_group_by")
            with recording() as found:
                started = time.perf_counter()
                widget.set_value(group_by).run()
                timings[group_by].append(time.perf_counter() - started)
            assert not at.exception, [e.value for e in at.exception]
            dominant[group_by] = found.dominant()
    every = [t for runs in timings.values() for t in runs]
    print(f"{label}: median {statistics.median(every):.3f} s, max {max(every):.3f} s over {len(every)} reruns")
    database = current_file(store)
    for group_by, runs in timings.items():
        seconds, sql, _, _ = dominant[group_by]
        cold, warm = plain_seconds(database, [dominant[group_by]], repeat=3)
        print(
            f"  {group_by:>20}: median {statistics.median(runs):.3f} s; dominant SQL {seconds:.3f} s in the app; "
            f"plain DuckDB {warm:.3f} s warm, {cold:.3f} s on a fresh connection ({short(sql, 50)})"
        )


if __name__ == "__main__":
    main()
