"""Server-side rerun of the Explore page after changing `explore_group_by`, through AppTest.

Two measures: "new view" changes to a group-by not asked for before in this process (the sidebar's
cached option lists stay warm, as they are for a user); "all caches cold" clears every Streamlit data
cache before the change, so the rerun runs every query of the page.

    python -m bench.bench_explore --rows 10000000        # the 10M-row database
    python -m bench.bench_explore --rows 300000          # about the default sample
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.common import PROJECT, peak_rss_mb, sample_db

GROUP_BYS = ("tag:team", "SubAccountName", "tag:env", "RegionId", "alloc:business_unit", "ChargeCategory")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--period", default="last_90_days", help="date preset the page opens with")
    args = parser.parse_args()
    os.environ["FINOPS_DB"] = str(sample_db(args.rows))
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=300)
    at.query_params["period"] = args.period
    at.switch_page("app_pages/explore.py")  # the landing page is the Overview
    started = time.perf_counter()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    print(f"first run (cold process, every cache empty): {time.perf_counter() - started:.2f} s")
    report(at, "new view", clear=False, rounds=1)
    report(at, "all caches cold", clear=True, rounds=args.rounds)
    print(f"process peak RSS {peak_rss_mb():,.0f} MB")


def report(at: AppTest, label: str, clear: bool, rounds: int) -> None:
    timings: dict[str, list[float]] = {g: [] for g in GROUP_BYS}
    for _ in range(rounds):
        for group_by in GROUP_BYS:
            if clear:
                st.cache_data.clear()
            widget = at.selectbox(key="explore_group_by")
            started = time.perf_counter()
            widget.set_value(group_by).run()
            timings[group_by].append(time.perf_counter() - started)
            assert not at.exception, [e.value for e in at.exception]
    every = [t for runs in timings.values() for t in runs]
    print(f"{label}: median {statistics.median(every):.3f} s, max {max(every):.3f} s over {len(every)} reruns")
    for group_by, runs in timings.items():
        print(f"  {group_by:>16}: median {statistics.median(runs):.3f} s")


if __name__ == "__main__":
    main()
