"""Allocation: re-applying changed rules to the whole history, grouping by an `alloc:` dimension
against grouping by a column or a tag, and the Allocation page's server-side open after a load.

    python -m bench.bench_allocation --rows 10000000
    python -m bench.bench_allocation --rows 10000000 --page     # the page only (AppTest, caches cold)

The page: a private copy of the store; each round publishes a new generation (what a load from cron
does), then times the page's run, beside its dominant SQL on a plain DuckDB connection (the floor).

Re-apply: the shipped rules and a variant of them (the Support pool split evenly instead of
proportionally) are applied in turn, so every round is a real change. Group-by: `spend()` by month
over all the data, medians of 5 after one warm-up."""

from __future__ import annotations

import argparse
import statistics
import time

from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import load_rules, parse_rules
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.queries import spend
from analytics.schema import EVERYTHING, Grain
from analytics.store import DATA_DIR, connect
from bench.common import page_after_loads, peak_rss_mb, private_store, sample_db

GROUP_BYS = ("SubAccountName", "tag:team", "alloc:business_unit", "alloc:shared_pool")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", action="store_true", help="time the Allocation page's open after a load")
    args = parser.parse_args()
    if args.page:
        with private_store(args.rows) as store:
            page_after_loads("app_pages/allocation.py", store, args.rounds)
        print(f"peak RSS {peak_rss_mb():.0f} MB")
        return
    shipped = load_rules(DATA_DIR / "allocation.yaml")
    variant = parse_rules(shipped.text.replace("split: proportional", "split: even"))
    con = connect(sample_db(args.rows))
    try:
        rows = con.execute("SELECT count(*) FROM line_items").fetchall()[0][0]
        seconds = []
        for i in range(args.rounds * 2):
            applied = apply_rules(con, variant if i % 2 == 0 else shipped)
            seconds.append(applied.seconds)
        print(
            f"{rows:,} line items, {applied.rows:,} allocated rollup rows: re-apply median "
            f"{statistics.median(seconds):.2f} s (max {max(seconds):.2f}) over {len(seconds)} rounds"
        )
        engine, fx = DuckDBEngine(con), load_fx()
        for group_by in GROUP_BYS:
            spend(engine, fx, EVERYTHING, [group_by], grain=Grain.MONTH)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                spend(engine, fx, EVERYTHING, [group_by], grain=Grain.MONTH)
                times.append(time.perf_counter() - started)
            print(f"group by {group_by} x month: median {statistics.median(times) * 1000:.0f} ms")
    finally:
        con.close()
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
