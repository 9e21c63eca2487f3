"""Business metric files: bad lines are named by line and field and nothing is stored; a good file
replaces what is stored for its metric, dimension and dates in one go."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.unit_economics.metrics_ingest import MetricsError, load_metrics


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM business_metrics ORDER BY ALL").fetchall()


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("03/05/2026,orders,10,,\n", "line 3, field date: '03/05/2026' is not a date in YYYY-MM-DD form"),
        ("2026-02-30,orders,10,,\n", "line 3, field date: '2026-02-30' is not a date"),
        ("2026-05-03,orders,-4,,\n", "line 3, field value: -4 is negative"),
        ("2026-05-03,orders,ten,,\n", "line 3, field value: 'ten' is not a number"),
        ("2026-05-03,orders,,,\n", "line 3, field value: '' is not a number"),
        ("2026-05-03,,4,,\n", "line 3, field metric: empty"),
        ("2026-05-03,orders,4,,\n2026-05-03,orders,5,,\n", "line 4, duplicate of line 3"),
        ("2026-05-03,seats,4,tag:nosuchkey,a\n", "line 3, field dimension: no tag key 'nosuchkey'"),
        ("2026-05-03,seats,4,Colour,a\n", "line 3, field dimension: unknown dimension 'Colour'"),
        ("2026-05-03,seats,4,tag:team,\n", "line 3, field owner: empty while dimension is 'tag:team'"),
        ("2026-05-03,seats,4,,payments\n", "line 3, field dimension: empty while owner is 'payments'"),
    ],
)
def test_a_bad_line_is_reported_by_line_and_field_and_nothing_is_stored(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path, body: str, problem: str
) -> None:
    before = stored(sample)
    path = write(tmp_path / "m.csv", "date,metric,value,dimension,owner\n2026-05-01,orders,7,,\n" + body)
    with pytest.raises(MetricsError) as caught:
        load_metrics(sample, path)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems
    assert str(tmp_path / "m.csv") in str(caught.value)
    assert stored(sample) == before


def test_every_problem_of_a_file_is_listed_in_line_order(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.csv", "date,metric,value\nyesterday,orders,1\n2026-05-01,orders,-1\n2026-05-02,orders,x\n"
    )
    with pytest.raises(MetricsError) as caught:
        load_metrics(sample, path)
    assert [p.split(",")[0] for p in caught.value.problems] == ["line 2", "line 3", "line 4"]


def test_a_file_without_the_value_column_is_refused(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(MetricsError, match="missing column"):
        load_metrics(sample, write(tmp_path / "m.csv", "date,metric\n2026-05-01,orders\n"))


def test_reloading_the_same_dates_replaces_them_and_keeps_the_other_days(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def orders(day: str) -> float | None:
        row = sample.execute(
            "SELECT sum(value) FROM business_metrics WHERE metric = 'orders' AND dimension IS NULL AND date = ?", [day]
        ).fetchone()
        return row[0]

    kept = orders("2026-05-03")
    report = load_metrics(
        sample, write(tmp_path / "a.csv", "date,metric,value\n2026-05-01,orders,11\n2026-05-02,orders,12\n")
    )
    assert report.replaced == 2 and report.rows == 2
    assert (orders("2026-05-01"), orders("2026-05-02"), orders("2026-05-03")) == (11, 12, kept)
    count = len(stored(sample))
    load_metrics(sample, write(tmp_path / "b.csv", "date,metric,value\n2026-05-01,orders,21\n2026-05-02,orders,12\n"))
    assert orders("2026-05-01") == 21 and len(stored(sample)) == count


def test_a_redelivered_day_drops_owners_it_no_longer_lists(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = "date,metric,value,dimension,owner\n"
    load_metrics(
        sample,
        write(tmp_path / "a.csv", header + "2026-05-01,seats,3,tag:team,payments\n2026-05-01,seats,4,tag:team,ml\n"),
    )
    load_metrics(sample, write(tmp_path / "b.csv", header + "2026-05-01,seats,5,tag:team,ml\n"))
    rows = sample.execute("SELECT owner, value FROM business_metrics WHERE metric = 'seats'").fetchall()
    assert rows == [("ml", 5.0)]


def test_parquet_with_real_dates_and_numbers_loads(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"date": [dt.date(2026, 5, 1), dt.date(2026, 5, 2)], "metric": ["signups", "signups"], "value": [3, 4.5]}
    )
    frame.to_parquet(tmp_path / "m.parquet")
    report = load_metrics(sample, str(tmp_path / "m.parquet"))
    assert report.rows == 2
    total = sample.execute("SELECT sum(value) FROM business_metrics WHERE metric = 'signups'").fetchone()[0]
    assert total == 7.5


def test_a_midnight_timestamp_is_read_as_its_day(sample: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_metrics(sample, write(tmp_path / "m.csv", "date,metric,value\n2026-05-01T00:00:00Z,signups,2\n"))
    day = sample.execute("SELECT date FROM business_metrics WHERE metric = 'signups'").fetchone()[0]
    assert day == dt.date(2026, 5, 1)
