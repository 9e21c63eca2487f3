"""Ingest of a 1,000,000-row AWS legacy CUR CSV.gz into an empty database: wall time and peak memory.

The file repeats the real sample (tests/data/real/aws-cur) with its dates shifted by whole months,
its resource ids and usage accounts varied and a `team` tag added, so rows stay distinct and realistic.

python -m bench.bench_ingest_cur --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
import time
from pathlib import Path

from bench.common import OUT, PROJECT, timed_ingest

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    target = OUT / f"ingest-cur-{args.rows}.duckdb"
    print(f"ingest AWS CUR {timed_ingest(make_cur(args.rows), target)}")


if __name__ == "__main__":
    main()
