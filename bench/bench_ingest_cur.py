"""Ingest of a 1,000,000-row AWS legacy CUR CSV.gz into an empty store: wall time and peak memory,
beside the FinOps Foundation's focus-converter 1.0.0 converting the same file to FOCUS Parquet.

The file repeats the real sample (tests/data/real/aws-cur) with its dates shifted by whole months,
its resource ids and usage accounts varied and a `team` tag added, so rows stay distinct and realistic.

focus-converter pins old libraries (polars 0.20, pyarrow<15), so it lives in a venv of its own, never
in requirements: python3 -m venv bench/out/fc-venv && bench/out/fc-venv/bin/pip install focus-converter==1.0.0 \
"multimethod<1.11" "click<8.2" (the two pins: docs/reference/focus.md 6.2). Without that venv the
comparison is skipped, with a message.

python -m bench.bench_ingest_cur --rows 1000000 [--fc-venv bench/out/fc-venv] [--rounds 3]
python -m bench.bench_ingest_cur --rows 1000000 --stages   (where one ingest's time goes, in this process)
--plain compares the tools on the same file decompressed (bench/out/cur-<rows>.csv).

Each round times both tools on the same file, one after the other, the order alternating between
rounds so that neither always runs first on a machine shared with others; the medians and the
ratio of each round are printed with the load average before it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.bench_ingest import Run, ingest, loaded, timed
from bench.common import OUT, PROJECT

SAMPLE = PROJECT / "tests" / "data" / "real" / "aws-cur" / "cur-legacy-anonymous.csv"
_MONTH = re.compile(r"(20\d\d)-(\d\d)-")
TEAMS = ("web", "data", "platform", "ml", "")


def _shift(text: str, months: int) -> str:
    def moved(match: re.Match[str]) -> str:
        index = int(match.group(1)) * 12 + int(match.group(2)) - 1 + months
        return f"{index // 12:04d}-{index % 12 + 1:02d}-"

    return _MONTH.sub(moved, text)


def make_cur(rows: int) -> Path:
    """Build (once) a legacy CUR CSV.gz of `rows` line items from the real sample."""
    path = OUT / f"cur-{rows}.csv.gz"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        sample = list(reader)
    account = header.index("lineItem/UsageAccountId")
    line_id = header.index("identity/LineItemId")
    started = time.perf_counter()
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        writer = csv.writer(out)
        writer.writerow([*header, "lineItem/ResourceId", "resourceTags/user:team"])
        written = 0
        copy = 0
        while written < rows:
            buffer = io.StringIO()
            block = csv.writer(buffer)
            for i, record in enumerate(sample[: rows - written]):
                shifted = [_shift(value, copy % 24) if "20" in value else value for value in record]
                shifted[account] = f"{100000000000 + copy % 40:012d}"
                shifted[line_id] = f"{record[line_id]}-{copy}"
                block.writerow([*shifted, f"arn:aws:s3:::bucket-{copy}-{i % 50}", TEAMS[(copy + i) % len(TEAMS)]])
            out.write(buffer.getvalue())
            written += min(len(sample), rows - written)
            copy += 1
    print(f"built {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def plain(packed: Path) -> Path:
    """The decompressed copy of `packed` (made once)."""
    path = packed.with_suffix("")
    if not path.exists():
        partial = path.with_suffix(".partial")
        with gzip.open(packed, "rb") as stream, partial.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 22)
        partial.rename(path)
    return path


def focus_converter(venv: Path, source: Path) -> Run | None:
    """focus-converter 1.0.0 converting `source` to FOCUS Parquet (None when `venv` lacks it)."""
    program = venv.absolute() / "bin" / "focus-converter"  # it runs in its output folder
    if not program.exists():
        print(f"focus-converter: skipped, {program} not found (see this module's docstring to install it)")
        return None
    out = Path(tempfile.mkdtemp(prefix="fc-out-"))
    try:
        command = [str(program), "convert", "--provider", "aws-cur", "--data-path", str(source)]
        command += ["--data-format", "csv", "--export-path", f"{out}/", "--export-format", "parquet"]
        run = timed(command, cwd=out)
        written = sorted(out.glob("*.parquet"))
        if not written:
            raise SystemExit(f"focus-converter wrote no Parquet file:\n{run.output[-2000:]}")
        import duckdb

        counted = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [[str(w) for w in written]])
        rows = (counted.fetchone() or (0,))[0]
        print(f"  focus-converter 1.0.0 ({rows:,} rows converted to FOCUS Parquet): {run}")
        return run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def csv_total(source: Path) -> tuple[int, Decimal]:
    """Rows and Σ lineItem/UnblendedCost of `source`, read with the csv module and Decimal (not our code)."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        cost = next(reader).index("lineItem/UnblendedCost")
        rows, total = 0, Decimal(0)
        for record in reader:
            rows += 1
            total += Decimal(record[cost] or 0)
    return rows, total


class _Timed:
    """A connection that adds each statement's wall and CPU seconds (this process) to a stage."""

    def __init__(self, con: Any, spent: dict[str, list[float]]) -> None:
        self._con, self._spent = con, spent

    def execute(self, sql: str, *params: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = self._con.execute(sql, *params)
        spent = self._spent.setdefault(_stage(" ".join(sql.split())), [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _stage(sql: str) -> str:
    if sql.startswith("CREATE OR REPLACE TEMP TABLE _raw_cells"):  # inflating is Python time, below
        return "read the CSV (DuckDB, on both cores, the text ISA-L inflated)"
    if sql.startswith("CREATE OR REPLACE TEMP TABLE _staged"):
        return "map to FOCUS and type (one pass into a temp table)"
    if sql.startswith("INSERT INTO line_items"):
        return "INSERT into line_items"
    return "checks, tag sets, rollup, allocation, commit"


def stages(source: Path, target: Path) -> None:
    """One ingest of `source` into a new store `target` in this process, its time by stage."""
    # Starting `python -m analytics ingest` (interpreter and imports), timed in a process of its own:
    # this one has imported most of it already.
    start = timed([sys.executable, "-c", "import analytics.cli"])
    wall, cpu = time.perf_counter(), time.process_time()
    from analytics.ingest.run import ingest_paths
    from analytics.store import writing

    rows = [("start a process, import analytics.cli (separate process)", start.seconds, start.cpu)]
    spent: dict[str, list[float]] = {}
    shutil.rmtree(target, ignore_errors=True)
    opened = (time.perf_counter(), time.process_time())
    with writing(target) as con:
        started = (time.perf_counter(), time.process_time())
        ingest_paths(_Timed(con, spent), [str(source)])
        ended = (time.perf_counter(), time.process_time())
    closed = (time.perf_counter(), time.process_time())
    rows += [(name, w, c) for name, (w, c) in spent.items()]
    in_sql = [sum(w for w, _ in spent.values()), sum(c for _, c in spent.values())]
    between = [e - s - q for e, s, q in zip(ended, started, in_sql, strict=True)]
    rows.append(("Python between statements (copy, hash, header, inflate)", between[0], between[1]))
    around = [o - b + c - e for b, o, e, c in zip(opened, started, ended, closed, strict=True)]
    rows.append(("open the store, publish", around[0], around[1]))
    rows.append(("total", time.perf_counter() - wall + start.seconds, time.process_time() - cpu + start.cpu))
    for name, w, c in rows:
        print(f"{name:62s} {w:6.2f} s {c:6.2f} CPU-s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; {loaded(target)}")
    shutil.rmtree(target, ignore_errors=True)


def _summary(tool: str, runs: list[Run]) -> str:
    seconds = statistics.median(r.seconds for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    return f"{tool}: median {seconds:.1f} s, {cpu:.1f} CPU-s, peak RSS {max(r.peak_mb for r in runs):,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fc-venv", type=Path, default=OUT / "fc-venv", help="venv holding focus-converter")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--stages", action="store_true", help="time one ingest by stage, in this process")
    parser.add_argument("--plain", action="store_true", help="the same file decompressed")
    args = parser.parse_args()
    source = plain(make_cur(args.rows)) if args.plain else make_cur(args.rows)
    target = OUT / f"ingest-cur-{args.rows}.store"
    if args.stages:
        stages(source, target)
        return
    ours: list[Run] = []
    theirs: list[Run] = []
    for index in range(args.rounds):
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(f"round {index + 1}, load average {load}")
        for tool in ("ours", "theirs") if index % 2 == 0 else ("theirs", "ours"):
            if tool == "ours":
                ours.append(ingest(source, target))
                print(f"  ingest AWS CUR {loaded(target)}: {ours[-1]}")
                shutil.rmtree(target, ignore_errors=True)
            elif (run := focus_converter(args.fc_venv, source)) is not None:
                theirs.append(run)
        if len(theirs) == len(ours):
            print(f"  focus-converter / ingest: {theirs[-1].seconds / ours[-1].seconds:.2f}x the time")
    rows, total = csv_total(source)
    print(f"the file, read with the csv module: {rows:,} rows, Σ lineItem/UnblendedCost {total:,.2f}")
    mine = statistics.median(r.seconds for r in ours)
    print(_summary("ingest", ours))
    if theirs:
        other = statistics.median(r.seconds for r in theirs)
        print(_summary("focus-converter 1.0.0", theirs))
        print(
            f"focus-converter / ingest: {other / mine:.2f}x the time (target at least 3x), "
            f"{max(r.peak_mb for r in theirs) / max(r.peak_mb for r in ours):.2f}x the memory (target at least 4x)"
        )


if __name__ == "__main__":
    main()
