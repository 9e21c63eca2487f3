"""Row numbers of a CSV file read by DuckDB: a row's number is its place in the file (blank lines not
counted), also when DuckDB reads the file on several threads, and whatever the header calls its columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics.ingest import csvread
from analytics.ingest.report import IngestReport


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> IngestReport:
    report = IngestReport(file=str(path), format="test")
    csvread.read(con, path, path, "none", report, "_raw")
    return report


def test_rows_read_on_several_threads_keep_their_place_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small line limit makes DuckDB cut this 20 MB file into buffers that its threads read at once.
    monkeypatch.setattr(csvread, "FIELD_LIMIT", 1 << 16)
    rows = 280_000
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("n,pad,text\n")
        for n in range(1, rows + 1):
            text = f'"two\nlines {n}"' if n % 1000 == 0 else f"t{n}"
            out.write(f"{n},{'x' * 60},{text}\n" + ("\n" if n % 5000 == 0 else ""))
    con = duckdb.connect()
    con.execute("SET threads = 2")
    report = _read(con, path)
    assert not report.warnings  # DuckDB read it, not the Python fallback
    found = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE CAST(n AS BIGINT) <> _row), max(_row) FROM _raw"
    ).fetchone()
    assert found == (rows, 0, rows)
    assert con.execute("SELECT text FROM _raw WHERE _row = 7000").fetchone() == ("two\nlines 7000",)


@pytest.mark.parametrize("names", ["rowid,x", "ROWID,x", "_row,rowid"])
def test_a_header_naming_rowid_keeps_the_rows_numbered_and_its_text(tmp_path: Path, names: str) -> None:
    path = tmp_path / "rowid.csv"
    path.write_text(f"{names}\nA,B\n\nC,D\n", encoding="utf-8")
    con = duckdb.connect()
    _read(con, path)
    assert con.execute("SELECT * FROM _raw ORDER BY 1").fetchall() == [(1, "A", "B"), (2, "C", "D")]
