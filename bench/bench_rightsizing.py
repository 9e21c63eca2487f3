"""Rightsizing at scale and on the page.

"evaluate": N resources x D days of hourly CPU (avg, max) and memory (max) in a fresh database,
then the lookback statistics (one grouped DuckDB pass) and the vectorised recommendation, timed
apart; the cost facts are built in memory (this measures the evaluation, not the cost query).
"page": the Rightsizing page's server-side run through AppTest on a copy of the default sample,
first run and reruns after changing the percentile with every data cache cleared.

    python -m bench.bench_rightsizing --resources 10000 --days 14
    python -m bench.bench_rightsizing --page --rows 300000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import PROJECT, peak_rss_mb, sample_db


def evaluate_bench(resources: int, days: int) -> None:
    from analytics.engine import DuckDBEngine
    from analytics.rightsizing.prices import data_prices, sheet_for_regions
    from analytics.rightsizing.recommend import evaluate
    from analytics.rightsizing.settings import PERCENTILES, Settings
    from analytics.rightsizing.shapes import load_shapes
    from analytics.rightsizing.stats import utilisation_stats
    from analytics.store import connect

    rng = np.random.default_rng(1)
    hours = days * 24
    start = dt.datetime(2026, 11, 1)
    ids = np.array([f"i-{i:08x}" for i in range(resources)])
    base = rng.choice([0.5, 5.0, 12.0, 40.0, 70.0], resources)
    shape = 1 + 0.3 * np.sin(np.arange(hours) / 24 * 2 * np.pi)
    cpu = np.clip(base[:, None] * shape[None, :] * rng.lognormal(0, 0.1, (resources, hours)), 0, 100).ravel()
    stamps = np.tile(np.datetime64(start, "us") + np.arange(hours) * np.timedelta64(1, "h"), resources)
    rid = np.repeat(ids, hours)
    mem = np.clip(np.repeat(rng.uniform(5, 80, resources), hours) + rng.normal(0, 2, resources * hours), 0, 100)
    frames = [
        pd.DataFrame({"resource_id": rid, "timestamp": stamps, "metric": "cpu_pct", "stat": "avg", "value": cpu}),
        pd.DataFrame(
            {
                "resource_id": rid,
                "timestamp": stamps,
                "metric": "cpu_pct",
                "stat": "max",
                "value": np.minimum(cpu * 1.5, 100),
            }
        ),
        pd.DataFrame({"resource_id": rid, "timestamp": stamps, "metric": "mem_pct", "stat": "max", "value": mem}),
    ]
    util = pd.concat(frames, ignore_index=True).assign(interval_seconds=3600)
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        con.register("u", util)
        con.execute(
            "INSERT INTO utilization SELECT resource_id, timestamp, metric, stat, value, interval_seconds FROM u"
        )
        con.unregister("u")
        print(f"{len(util):,} utilisation rows ({resources:,} resources x {hours} h x 3 series)")
        shapes = load_shapes()
        types = np.array(["m6i.8xlarge", "m6i.4xlarge", "c6i.8xlarge", "r6i.4xlarge", "m6i.2xlarge"])
        itype = types[rng.integers(0, len(types), resources)]
        price = shapes.table.set_index("instance_type")["normalization_factor"] * 0.024
        facts = pd.DataFrame(
            {
                "resource_id": ids,
                "provider": "aws",
                "region": "us-east-1",
                "instance_type": itype,
                "resource_name": ids,
                "account": "prod",
                "owner": "team",
                "running_hours": float(hours),
                "monthly_hours": 730.0,
                "rate": price.loc[itype].to_numpy(),
                "list_rate": price.loc[itype].to_numpy(),
                "committed_share": 0.0,
                "commitment": None,
            }
        )
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            stats = utilisation_stats(
                DuckDBEngine(con), start.date(), start.date() + dt.timedelta(days=days - 1), PERCENTILES
            )
            mid = time.perf_counter()
            od = data_prices(facts, shapes)
            out = evaluate(stats, facts, shapes, Settings(), od, sheet_for_regions(None, facts[["provider", "region"]]))
            done = time.perf_counter()
            timings.append((mid - began, done - mid, done - began))
        con.close()
    best = min(timings, key=lambda t: t[2])
    print(
        f"statistics {best[0]:.2f} s + recommendations {best[1]:.2f} s = {best[2]:.2f} s (best of 3; "
        f"median total {statistics.median(t[2] for t in timings):.2f} s)"
    )
    print(out["action"].value_counts().to_dict(), f"peak RSS {peak_rss_mb():,.0f} MB")


def page_bench(rows: int, rounds: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "sample.duckdb"
        shutil.copy(sample_db(rows), copy)  # the app opens its database read-write
        os.environ["FINOPS_DB"] = str(copy)
        at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=300)
        at.switch_page("app_pages/rightsizing.py")
        began = time.perf_counter()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        print(f"first run (cold process, every cache empty): {time.perf_counter() - began:.2f} s")
        for clear, label in ((False, "percentile change, warm lookback"), (True, "percentile change, caches cold")):
            times = []
            for i in range(rounds):
                for value in (99.0, 95.0, 90.0, 99.5):
                    if clear:
                        st.cache_data.clear()
                    began = time.perf_counter()
                    at.selectbox(key="rightsizing_percentile").set_value(value).run()
                    times.append(time.perf_counter() - began)
                    assert not at.exception, [e.value for e in at.exception]
                del i
            print(f"{label}: median {statistics.median(times):.3f} s, max {max(times):.3f} s over {len(times)} reruns")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--page", action="store_true", help="time the page through AppTest instead")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.page:
        page_bench(args.rows, args.rounds)
    else:
        evaluate_bench(args.resources, args.days)


if __name__ == "__main__":
    main()
