"""Ingest of a 1,000,000-row AWS legacy CUR CSV.gz into an empty store: wall time and peak memory,
beside the FinOps Foundation's focus-converter 1.0.0 converting the same file to FOCUS Parquet.

The file repeats the real sample (tests/data/real/aws-cur) with its dates shifted by whole months,
its resource ids and usage accounts varied and a `team` tag added, so rows stay distinct and realistic.

focus-converter pins old libraries (polars 0.20, pyarrow<15), so it lives in a venv of its own, never
in requirements: python3 -m venv bench/out/fc-venv && bench/out/fc-venv/bin/pip install focus-converter==1.0.0 \
"multimethod<1.11" "click<8.2" (the two pins: docs/reference/focus.md 6.2). Without that venv the
comparison is skipped, with a message.

python -m bench.bench_ingest_cur --rows 1000000 [--fc-venv bench/out/fc-venv]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def focus_converter(venv: Path, source: Path) -> Run | None:
    """focus-converter 1.0.0 converting `source` to FOCUS Parquet (None when `venv` lacks it)."""
    program = venv / "bin" / "focus-converter"
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
        print(f"focus-converter 1.0.0 ({rows:,} rows converted to FOCUS Parquet): {run}")
        return run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fc-venv", type=Path, default=OUT / "fc-venv", help="venv holding focus-converter")
    args = parser.parse_args()
    source = make_cur(args.rows)
    target = OUT / f"ingest-cur-{args.rows}.store"
    ours = ingest(source, target)
    print(f"ingest AWS CUR {loaded(target)}: {ours}")
    shutil.rmtree(target, ignore_errors=True)
    theirs = focus_converter(args.fc_venv, source)
    if theirs is not None:
        print(
            f"focus-converter / ingest: {theirs.seconds / ours.seconds:.2f}x the time (target at least 3x), "
            f"{theirs.peak_mb / ours.peak_mb:.2f}x the memory (target at least 4x)"
        )


if __name__ == "__main__":
    main()
