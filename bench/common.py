"""Shared by the benchmarks: where their databases live, and how to build them once."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "bench" / "out"
AS_OF = "2026-11-27"  # fixed, so every run benchmarks the same data


def sample_db(rows: int) -> Path:
    """A sample database of about `rows` line items, built once and reused."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"sample-{rows}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "analytics", "sample", "--rows", str(rows), "--as-of", AS_OF, "--db", str(path)],
            cwd=PROJECT,
            check=True,
        )
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def env_with_db(db: Path) -> dict[str, str]:
    return {**os.environ, "FINOPS_DB": str(db)}


def timed_ingest(source: Path | str, target: Path) -> str:
    """`python -m analytics ingest source` into a new database `target`, in a child process: its wall
    time, peak RSS, and what it loaded, as one line."""
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "analytics", "ingest", str(source), "--db", str(target)]
    subprocess.run(command, cwd=PROJECT, check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    con = duckdb.connect(str(target), read_only=True)
    loaded, billed = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone()  # type: ignore[misc]
    rollup = con.execute("SELECT count(*) FROM daily_costs").fetchone()[0]  # type: ignore[index]
    con.close()
    return (
        f"{loaded:,} rows (rollup {rollup:,} rows, Σ BilledCost {billed:,.2f}): "
        f"{seconds:.1f} s, peak RSS {peak_mb:,.0f} MB"
    )
