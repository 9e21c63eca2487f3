"""The Explore group-by done three ways on the same N line items: FinOps Lens's query on the
daily rollup, the same SQL on the raw line items, and a plain pandas implementation (the baseline).

    python -m bench.bench_groupby --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import duckdb
import pandas as pd

from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.queries import spend
from analytics.schema import Filters, Grain
from bench.bench_ingest import focus_parquet
from bench.common import peak_rss_mb, sample_db

GROUP_BYS = (["ServiceName"], ["tag:team"], ["SubAccountName", "tag:env"])


def median_seconds(work: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pandas_baseline(rows: int) -> None:
    started = time.perf_counter()
    frame = pd.read_parquet(
        focus_parquet(rows), columns=["ChargePeriodStart", "ServiceName", "SubAccountName", "EffectiveCost", "Tags"]
    )
    frame["EffectiveCost"] = frame["EffectiveCost"].astype("float64")
    load = time.perf_counter() - started
    started = time.perf_counter()
    tags = frame["Tags"].map(lambda t: json.loads(t) if isinstance(t, str) else {})
    frame["tag:team"] = tags.map(lambda d: d.get("team"))
    frame["tag:env"] = tags.map(lambda d: d.get("env"))
    parse = time.perf_counter() - started
    frame["period"] = frame["ChargePeriodStart"].dt.to_period("M")
    print(f"pandas: load {load:.1f} s, tag parse {parse:.1f} s, RSS peak {peak_rss_mb():,.0f} MB")
    for group_by in GROUP_BYS:
        seconds = median_seconds(
            lambda g=group_by: frame.groupby([*g, "period"], dropna=False)["EffectiveCost"].sum()  # type: ignore[misc]
        )
        print(f"  pandas group-by {'+'.join(group_by)} x month: median {seconds * 1000:,.0f} ms")


def lens(rows: int) -> None:
    con = duckdb.connect(str(sample_db(rows)), read_only=True, config={"memory_limit": "1GB"})
    engine, fx = DuckDBEngine(con), load_fx()
    for group_by in GROUP_BYS:
        seconds = median_seconds(lambda g=group_by: spend(engine, fx, Filters(), g, grain=Grain.MONTH))  # type: ignore[misc]
        print(f"  FinOps Lens spend() {'+'.join(group_by)} x month (rollup): median {seconds * 1000:,.0f} ms")
    detail = ["ResourceId"]
    seconds = median_seconds(lambda: spend(engine, fx, Filters(), detail, grain=Grain.MONTH), repeat=3)
    print(f"  FinOps Lens spend() ResourceId x month (line items): median {seconds * 1000:,.0f} ms")
    rollup = con.execute("SELECT count(*) FROM daily_costs").fetchone()[0]  # type: ignore[index]
    items = con.execute("SELECT count(*) FROM line_items").fetchone()[0]  # type: ignore[index]
    print(f"  ({items:,} line items, {rollup:,} rollup rows)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    lens(args.rows)
    pandas_baseline(args.rows)


if __name__ == "__main__":
    main()
