"""Commitments: the simulator, the Overview KPIs, and the page's server-side run.

    python -m bench.bench_commitments                 # all three (KPIs and page on the 10M store)
    python -m bench.bench_commitments --kpi-rows 300000
    python -m bench.bench_commitments --page-only --page-rows 10000000

1. 8,760 hours x 50 families, a savings curve of 200 commitment levels plus the exact optimum
   (target <= 0.5 s): one savings plan across the 50 families, and 50 per-family curves.
2. `analytics.commitments.kpis` over 30 days (target < 200 ms), from the daily rollup.
3. The Commitments page through AppTest (target <= 1.5 s at 10M): its open after a load, on a
   private copy of the store (each round publishes a new generation, as a load from cron does, so
   every cache is cold), beside its dominant SQL on a plain DuckDB connection (the floor); then a
   rerun after moving the level slider (caches warm).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

import numpy as np
from streamlit.testing.v1 import AppTest

from analytics.commitments import kpis
from analytics.commitments.optimise import Group, analyse
from analytics.commitments.simulate import best_level, curve, prepare
from analytics.engine import DuckDBEngine
from analytics.store import connect
from bench.common import PROJECT, page_after_loads, private_store, sample_db


def _median(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def simulator(rounds: int) -> None:
    rng = np.random.default_rng(0)
    hours, families = 8760, 50
    t = np.arange(hours)
    shape = 1 + 0.3 * np.sin(2 * np.pi * t / 24)[:, None] + 0.15 * (t % 168 < 120)[:, None]
    demand = rng.gamma(4, 5, size=(hours, families)) * shape
    rates = rng.uniform(0.2, 0.6, families)

    def flexible() -> None:
        p = prepare(demand, rates)
        curve(p, np.linspace(0, p.max_need, 200))
        best_level(p)

    def per_family() -> None:
        for f in range(families):
            p = prepare(demand[:, [f]], rates[f : f + 1])
            curve(p, np.linspace(0, p.max_need, 200))
            best_level(p)

    def full() -> None:
        analyse(Group("all", tuple(map(str, range(families))), rates, demand, demand, 0.0), 1, "no-upfront")

    for label, fn in (
        ("one plan over 50 families", flexible),
        ("50 per-family curves", per_family),
        ("analyse() incl. knee, 3-day, figures", full),
    ):
        median, worst = _median(fn, rounds)
        print(f"simulator, {label}: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")


def overview_kpis(rows: int, rounds: int) -> None:
    con = connect(sample_db(rows), read_only=True)
    try:
        engine = DuckDBEngine(con)
        last = engine.query("SELECT max(ChargeDay) AS d FROM daily_costs")["d"].iloc[0]
        end = last.date() if hasattr(last, "date") else last
        start = end - dt.timedelta(days=29)
        median, worst = _median(lambda: kpis(engine, start, end), rounds)
    finally:
        con.close()
    print(f"kpis() over 30 days on the {rows:,}-row database: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")


def page(rows: int, rounds: int) -> None:
    with private_store(rows) as store:
        page_after_loads("app_pages/commitments.py", store, rounds)
        at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=300)  # same process: caches warm
        at.switch_page("app_pages/commitments.py").run()
        warm, _ = _median(lambda: at.slider(key="commitments_level").set_value(1.0).run(), rounds)
        print(f"page rerun after moving the level slider (caches warm): median {warm:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kpi-rows", type=int, default=10_000_000)
    parser.add_argument("--page-rows", type=int, default=10_000_000)
    parser.add_argument("--page-only", action="store_true")
    args = parser.parse_args()
    if not args.page_only:
        simulator(args.rounds)
        overview_kpis(args.kpi_rows, args.rounds)
    page(args.page_rows, args.rounds)


if __name__ == "__main__":
    main()
