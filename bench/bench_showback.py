"""Showback packs at scale: a 13-month pack and the per-owner zip for ~50 owners, from the 10M sample.

The owner dimension is `alloc:product`, a virtual dimension of this benchmark's own rules: one value
per combination of tag:app and tag:env (the 50 largest), everything else "Unallocated", with the
Support pool split to it. The rules are applied to a private copy of the database (the shared
bench/out databases are only read), then the CLI runs in a child process: wall time and peak RSS.

    python -m bench.bench_showback [--rows 10000000]
    python -m bench.bench_showback --rows 10000000 --page      # the page only (AppTest, caches cold)

The page: the Showback page's server-side open after a load (a private copy of the store; each
round publishes a new generation, so every cache is cold), beside its dominant SQL on a plain DuckDB
connection (the floor). It gathers the default request: the last closed month, by the owner
dimension of the shipped rules.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from bench.common import OUT, PROJECT, current_file, page_after_loads, private_store, sample_db

OWNERS = 50


def rules_text(db: Path) -> str:
    con = duckdb.connect(str(current_file(db) if db.is_dir() else db), read_only=True)
    try:
        pairs = con.execute(
            """
            SELECT a.TagValue, e.TagValue, sum(r.EffectiveCost) AS spend FROM daily_costs r
            JOIN tag_sets a ON a.x_TagSetId = r.x_TagSetId AND a.TagKey = 'app'
            JOIN tag_sets e ON e.x_TagSetId = r.x_TagSetId AND e.TagKey = 'env'
            GROUP BY ALL ORDER BY spend DESC LIMIT ?
            """,
            [OWNERS],
        ).fetchall()
    finally:
        con.close()
    rules = [{"value": f"{app}-{env}", "when": {"tag:app": [app], "tag:env": [env]}} for app, env, _ in pairs]
    document = {
        "owner": "alloc:product",
        "dimensions": {"product": {"rules": rules, "default": "Unallocated"}},
        "shared_costs": [
            {
                "name": "Support",
                "when": {"ServiceName": ["AWS Support (Business)", "AWS Support (Enterprise)", "Support"]},
                "to": "alloc:product",
                "split": "proportional",
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--first", default="2025-11")
    parser.add_argument("--last", default="2026-11")
    parser.add_argument("--page", action="store_true", help="time the Showback page's open after a load")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.page:
        with private_store(args.rows) as store:
            page_after_loads("app_pages/showback.py", store, args.rounds)
        return
    source = sample_db(args.rows)
    copy = OUT / f"showback-{args.rows}.duckdb"
    if not copy.exists():
        shutil.copy(current_file(source) if source.is_dir() else source, copy)
    rules = OUT / "showback-rules.yaml"
    rules.write_text(rules_text(copy))
    cli = [sys.executable, "-m", "analytics"]
    seconds, _ = timed([*cli, "allocate", "--db", str(copy), "--rules", str(rules)])
    print(f"rules applied ({OWNERS} products + Unallocated, Support pool) in {seconds:.1f} s")
    common = ["showback", "--db", str(copy), "--rules", str(rules), "--month", args.first, "--through", args.last]
    common += ["--by", "alloc:product"]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "pack.xlsx"
        seconds, peak = timed([*cli, *common, "--out", str(out)])
        print(
            f"pack {args.first}..{args.last}, {args.rows:,} rows: {seconds:.1f} s, peak RSS {peak:,.0f} MB, "
            f"{out.stat().st_size / 1e6:.1f} MB"
        )
        split = Path(folder) / "owners"
        seconds, peak = timed([*cli, *common, "--split-dir", str(split)])
        files = list(split.iterdir())
        print(f"per-owner workbooks: {len(files)} in {seconds:.1f} s, peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
