"""Unit economics at scale and on the page.

"query": unit cost of `orders` per owner (alloc:business_unit, then tag:team) per month over all the
data, and per owner per day, on a sample database opened read-only (the 10M one by default); each
timed a few times, median and best reported.
"page": the Unit economics page's server-side run through AppTest on a copy of the default sample,
first run and reruns after changing the grain with every data cache cleared.

    python -m bench.bench_unit_economics --rows 10000000
    python -m bench.bench_unit_economics --page --rows 300000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import PROJECT, peak_rss_mb, sample_db


def query_bench(rows: int, repeat: int) -> None:
    from analytics.engine import DuckDBEngine
    from analytics.fx import DEFAULT_FX_PATH, load_fx
    from analytics.schema import Grain
    from analytics.store import connect
    from analytics.unit_economics import unit_cost

    con = connect(sample_db(rows), read_only=True)
    engine, fx = DuckDBEngine(con), load_fx(DEFAULT_FX_PATH)
    for by, grain in (
        ("alloc:business_unit", Grain.MONTH),
        ("tag:team", Grain.MONTH),
        ("alloc:business_unit", Grain.DAY),
    ):
        times, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = unit_cost(engine, fx, "orders", by, grain)
            times.append(time.perf_counter() - started)
        assert result is not None
        print(
            f"{rows:,} rows, orders by {by} per {grain.value}: {len(result.frame):,} owner-periods, "
            f"median {statistics.median(times):.3f} s, best {min(times):.3f} s over {repeat} runs"
        )
    con.close()
    print(f"peak RSS {peak_rss_mb():.0f} MB")


def page_bench(rows: int, repeat: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    folder = Path(tempfile.mkdtemp(prefix="bench-unit-"))
    db = shutil.copy(sample_db(rows), folder / "app.duckdb")
    os.environ["FINOPS_DB"] = str(db)
    os.environ["FINOPS_UNIT_TARGETS"] = str(folder / "unit_targets.csv")
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=300)
    at.switch_page("app_pages/unit_economics.py")
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    assert not at.exception, [e.value for e in at.exception]
    reruns = []
    for i in range(repeat):
        st.cache_data.clear()
        grain = at.selectbox(key="unit_grain")
        grain.set_value(grain.options[2 if i % 2 == 0 else 1])  # month, week, month, ...
        started = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - started)
        assert not at.exception, [e.value for e in at.exception]
    print(
        f"page on {rows:,} rows: first run {first:.2f} s (sample check, allocation, queries); "
        f"rerun after a grain change, caches cleared: median {statistics.median(reruns):.2f} s, "
        f"best {min(reruns):.2f} s over {repeat}"
    )
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--page", action="store_true")
    args = parser.parse_args()
    if args.page:
        page_bench(args.rows, args.repeat)
    else:
        query_bench(args.rows, args.repeat)


if __name__ == "__main__":
    main()
