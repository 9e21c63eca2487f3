"""Bad files get one line naming the file and the problem, a non-zero exit, and an untouched database."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics.store import connect
from tests.focus_rows import row, write_csv
from tests.realdata import FOCUS_SAMPLE
from tests.store_state import db_fingerprint

PROJECT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def loaded_db(tmp_path: Path) -> Path:
    db = tmp_path / "loaded.duckdb"
    result = run_cli("ingest", str(FOCUS_SAMPLE), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


def truncated_gzip(path: Path) -> Path:
    data = gzip.compress(FOCUS_SAMPLE.read_bytes())
    path.write_bytes(data[: len(data) // 2])
    return path


def missing_columns(path: Path) -> Path:
    record = row()
    del record["BilledCost"], record["ChargePeriodStart"]
    return write_csv(path, [record])


def content(data: bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "png image": (content(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)), "not a CSV or Parquet"),
    "zip archive": (content(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40)), "not a CSV or Parquet"),
    "truncated gzip": (truncated_gzip, "truncated or corrupt gzip"),
    "empty file": (content(b""), "the file is empty"),
    "duplicate columns": (
        content(b"BilledCost,EffectiveCost,BilledCost\n1,2,3\n"),
        "line 1: column 'BilledCost' appears twice",
    ),
    "unknown format": (content(b"date,amount\n2026-01-01,3\n"), "not a cost export this version reads"),
    "header only": (content(",".join(row()).encode() + b"\n"), "the file has a header but no rows"),
    "missing columns": (missing_columns, "missing mandatory columns: BilledCost, ChargePeriodStart"),
    "latin-1 text": (lambda p: write_csv(p, [row(ServiceName="Dépôt")], encoding="latin-1"), "not UTF-8"),
    "broken parquet": (content(b"PAR1" + bytes(100)), "not a readable PARQUET file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.slow
def test_a_bad_file_gives_one_line_naming_it_and_leaves_the_database_as_it_was(
    case: str, loaded_db: Path, tmp_path: Path
) -> None:
    make, message = BAD_FILES[case]
    bad = make(tmp_path / f"bad-{case.replace(' ', '-')}.csv")
    before = db_fingerprint(loaded_db)
    result = run_cli("ingest", str(bad), "--db", str(loaded_db))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(bad) in lines[0] and message in lines[0]
    assert db_fingerprint(loaded_db) == before


@pytest.mark.slow
def test_a_file_that_fails_midway_through_loading_leaves_nothing_behind(tmp_path: Path) -> None:
    db = tmp_path / "atomic.duckdb"
    con = connect(db)
    con.close()
    before = db_fingerprint(db)
    path = write_csv(tmp_path / "half.csv", [row()] * 50 + [row(ChargePeriodStart="yesterday")])
    result = run_cli("ingest", str(path), "--db", str(db))
    assert result.returncode != 0 and "row 51, ChargePeriodStart: 'yesterday' is not a date/time" in result.stderr
    assert db_fingerprint(db) == before


@pytest.mark.slow
def test_a_missing_path_is_named(tmp_path: Path) -> None:
    result = run_cli("ingest", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode != 0 and "nope.csv: no such file or folder" in result.stderr


@pytest.mark.slow
def test_a_batch_loads_the_good_files_and_lists_the_rejected_ones(tmp_path: Path) -> None:
    db = tmp_path / "batch.duckdb"
    good = write_csv(tmp_path / "a-good.csv", [row(BilledCost="7")])
    bad = content(b"date,amount\n2026-01-01,3\n")(tmp_path / "b-bad.csv")
    result = run_cli("ingest", str(good), str(bad), "--db", str(db))
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {bad}: not a cost export this version reads")
    assert "1 of 2 files loaded; 1 rejected" in result.stdout
    loaded = run_cli("query", "--db", str(db), "--metric", "billed", "--format", "json")
    assert json.loads(loaded.stdout) == [{"cost": 7.0}]
