"""The analytics behind the Forecast and Anomalies pages, timed outside Streamlit on a copy of the
sample database: the forecast with its backtests, anomaly detection over all history, the root cause
of the open anomalies and the budget status; with the backtest's scores.

    python -m bench.bench_forecast --rows 300000
    python -m bench.bench_forecast --rows 10000000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analytics.allocation.refresh import refresh
from analytics.anomalies import explain, find_events
from analytics.budgets import budget_status, read_table
from analytics.engine import DuckDBEngine
from analytics.forecast import forecast
from analytics.fx import load_fx
from analytics.store import connect
from bench.common import peak_rss_mb, sample_db


def timed(label: str, rounds: int, work: Callable[[], Any]) -> Any:
    seconds, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    print(f"{label}: median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s over {rounds}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-forecast-"))
    try:
        db = work / "finops.duckdb"
        shutil.copy(sample_db(args.rows), db)
        con = connect(db)
        refresh(con)  # the allocation state the app would see
        engine, fx = DuckDBEngine(con), load_fx()
        result = timed("forecast (daily + month/quarter totals + backtests)", args.rounds, lambda: forecast(engine, fx))
        s = result.backtest
        print(
            f"  backtest {s.folds} folds x 30 days: WAPE {s.wape:.2%} (naive same weekday {s.naive_wape:.2%}), "
            f"MAPE {s.mape:.2%}, 80% interval coverage {s.coverage_80:.1%} (quantile regression alone "
            f"{s.raw_coverage_80:.1%}); month variance "
            + ", ".join(f"{m.month:%b} {m.variance:.1%}" for m in result.months if m.variance is not None)
        )
        events = timed("anomaly detection, all history, 3 dimensions", args.rounds, lambda: find_events(engine, fx))
        opened = [e for e in events if e.open]
        print(f"  {len(events)} events, {len(opened)} open")
        for event in opened[:3]:
            timed(f"root cause of {event.dimension}={event.value}", args.rounds, lambda e=event: explain(engine, fx, e))
        table = read_table(con)
        timed("budget status (all owners)", args.rounds, lambda: budget_status(engine, fx, table))
        con.close()
        print(f"process peak RSS {peak_rss_mb():,.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
