"""Loading utilisation files: good files replace what they overlap, bad files are refused whole with
the line and field of every problem."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics.engine import DuckDBEngine
from analytics.rightsizing.utilization_ingest import UtilizationError, has_utilization, load_utilization

PROJECT = Path(__file__).resolve().parents[1]
HEADER = "resource_id,timestamp,metric,stat,value,interval_seconds\n"


@pytest.fixture
def db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("INSERT INTO line_items (ResourceId) VALUES ('i-a'), ('i-b')")
    return con


def write(tmp_path: Path, body: str, name: str = "util.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def hourly(rid: str, hours: int, value: float, metric: str = "cpu_pct") -> str:
    start = dt.datetime(2026, 5, 1)
    stamps = (start + dt.timedelta(hours=h) for h in range(hours))
    return "".join(f"{rid},{t:%Y-%m-%dT%H:%M:%SZ},{metric},avg,{value},3600\n" for t in stamps)


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT resource_id, metric, stat, value FROM utilization ORDER BY ALL").fetchall()


def test_a_good_file_loads_and_a_second_replaces_the_same_timestamps(db, tmp_path):
    report = load_utilization(db, str(write(tmp_path, hourly("i-a", 24, 10) + hourly("i-b", 24, 50, "mem_pct"))))
    assert (report.rows, report.resources, report.replaced) == (48, 2, 0)
    again = load_utilization(db, str(write(tmp_path, hourly("i-a", 12, 20), "again.csv")))
    assert again.replaced == 12
    values = db.execute("SELECT value, count(*) FROM utilization WHERE resource_id = 'i-a' GROUP BY 1 ORDER BY 1")
    assert values.fetchall() == [(10.0, 12), (20.0, 12)]
    assert db.execute("SELECT count(*) FROM utilization").fetchone() == (48,)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("i-zzz,2026-05-01T00:00:00Z,cpu_pct,avg,5,3600\n", "line 5, field resource_id: 'i-zzz' is not a ResourceId"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,avg,140,3600\n", "line 5, field value: 140 is outside 0-100"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,avg,-3,3600\n", "line 5, field value: -3 is outside 0-100"),
        ("i-a,yesterday,cpu_pct,avg,5,3600\n", "line 5, field timestamp: 'yesterday' is not a date and time"),
        ("i-a,2026-05-01T00:00:00Z,cpu,avg,5,3600\n", "line 5, field metric: 'cpu' is not one of"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,median,5,3600\n", "line 5, field stat: 'median' is not one of"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,avg,five,3600\n", "line 5, field value: 'five' is not a number"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,avg,5,0\n", "line 5, field interval_seconds: '0' is not a whole number"),
        (
            "i-a,2026-05-01T00:00:00Z,cpu_pct,avg,5,86401\n",
            "line 5, field interval_seconds: '86401' is not a whole number of seconds from 1 to 86400",
        ),
        (  # would wrap round to 3600 as int32
            "i-a,2026-05-01T00:00:00Z,cpu_pct,avg,5,4294970896\n",
            "line 5, field interval_seconds: '4294970896' is not a whole number",
        ),
        ("i-a,2026-05-01T00:00:00Z,net_out_mbps,avg,inf,3600\n", "line 5, field value: 'inf' is not a finite number"),
        ("i-a,2026-05-01T00:00:00Z,cpu_pct,max,-inf,3600\n", "line 5, field value: '-inf' is not a finite number"),
        (
            "i-a,2026-05-01T00:00:00Z,cpu_pct,avg,5,3600\ni-a,2026-05-01 00:00:00,cpu_pct,avg,6,3600\n",
            "line 6, duplicate of line 5",
        ),
    ],
)
def test_a_bad_line_is_reported_by_line_and_field_and_nothing_is_loaded(db, tmp_path, body, expected):
    # three good lines (2-4) come first, so the bad one is line 5
    load_utilization(db, str(write(tmp_path, hourly("i-b", 3, 1), "first.csv")))
    before = stored(db)
    with pytest.raises(UtilizationError) as caught:
        load_utilization(db, str(write(tmp_path, hourly("i-b", 3, 9) + body)))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert stored(db) == before


def test_missing_columns_are_named(db, tmp_path):
    path = tmp_path / "util.csv"
    path.write_text("resource_id,timestamp,value\ni-a,2026-05-01T00:00:00Z,5\n")
    with pytest.raises(UtilizationError, match="missing column.*metric, stat, interval_seconds"):
        load_utilization(db, str(path))


def test_gcp_fractions_are_refused_until_the_scale_is_said_and_then_multiplied_by_100(db, tmp_path):
    path = write(tmp_path, hourly("i-a", 30, 0.42))
    with pytest.raises(UtilizationError, match="looks like fractions"):
        load_utilization(db, str(path))
    report = load_utilization(db, str(path), scale="fraction")
    assert report.notes
    assert db.execute("SELECT min(value), max(value) FROM utilization").fetchone() == (42.0, 42.0)


def test_parquet_files_load_like_csv(db, tmp_path):
    import pandas as pd

    frame = pd.read_csv(write(tmp_path, hourly("i-a", 5, 7)))
    frame.to_parquet(tmp_path / "util.parquet")
    assert load_utilization(db, str(tmp_path / "util.parquet")).rows == 5


@pytest.mark.slow
def test_the_command_line_reports_a_bad_file_and_exits_2(db, tmp_path):
    db_file = db.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    db.close()
    path = write(tmp_path, "i-nope,2026-05-01T00:00:00Z,cpu_pct,avg,5,3600\n")
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "ingest-utilization", str(path), "--db", db_file],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "line 2, field resource_id: 'i-nope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_rightsizing_page_knows_whether_any_utilisation_is_stored(db, tmp_path):
    engine = DuckDBEngine(db)
    assert not has_utilization(engine)
    load_utilization(db, str(write(tmp_path, hourly("i-a", 2, 10))))
    assert has_utilization(engine)
