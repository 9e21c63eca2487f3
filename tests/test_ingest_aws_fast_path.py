"""The fast path of a CUR load: a gzip CUR decompressed once (into a plain file DuckDB parses on every
core, or, when the disk is short, into a pipe it reads), only the columns the mapping reads copied,
each amount cast once (64-bit first) -- with the same rows, totals and refusals."""

from __future__ import annotations

import csv
import errno
import gzip
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.ingest import aws, csvread, files, focus
from analytics.ingest.focus import cast_number
from analytics.ingest.report import IngestError, IngestReport
from analytics.ingest.run import ingest_paths
from analytics.schema import MONEY
from tests.test_ingest_aws import CUR, line, records, write


def test_the_kind_check_leaves_a_gzip_csv_stream_to_its_reader(tmp_path: Path) -> None:
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(gzip.compress(CUR.read_bytes() * 5)[:-100])  # cut after the first megabyte
    assert files.kind(packed, deep=False) == "csv.gz"
    with pytest.raises(IngestError, match="truncated or corrupt gzip"):
        files.kind(packed)


def test_a_gzip_json_lines_file_is_still_checked_to_its_end(tmp_path: Path) -> None:
    packed = tmp_path / "export.json.gz"
    packed.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-20])
    with pytest.raises(IngestError, match="truncated or corrupt gzip"):
        files.kind(packed, deep=False)


@pytest.fixture(params=["plain file", "pipe"])
def inflated_into(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each gzip test runs both ways a gzip CSV is inflated: with room on disk, and without."""
    if request.param == "pipe":
        monkeypatch.setattr(csvread, "_room_for_text", lambda data: False)
    return str(request.param)


def test_a_gzip_cur_with_room_on_disk_is_parsed_as_a_plain_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[tuple[Path, str]] = []
    read = csvread._read_duckdb
    monkeypatch.setattr(
        csvread, "_read_duckdb", lambda c, data, comp, *rest: parsed.append((data, comp)) or read(c, data, comp, *rest)
    )
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(gzip.compress(CUR.read_bytes()))
    [report] = ingest_paths(con, [str(packed)])
    assert report.rows_loaded == 1281
    [(data, compression)] = parsed
    assert compression == "none" and data.name.endswith(".gz.csv") and not data.exists()


def test_a_full_disk_while_inflating_is_named_not_taken_for_a_corrupt_gzip() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(IngestError, match=r"^cur\.csv\.gz: the disk filled up while unpacking it"):
        csvread._raise_broken(Path("cur.csv.gz"), [full])


def test_a_gzip_cur_loads_as_its_plain_copy_does(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, inflated_into: str
) -> None:
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(gzip.compress(CUR.read_bytes()))
    [report] = ingest_paths(con, [str(packed)])
    assert report.rows_loaded == 1281 and not [w for w in report.warnings if "Python's csv" in w]
    expected = sum(Decimal(r["lineItem/UnblendedCost"]) for r in records())
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (expected,)
    assert not list(tmp_path.glob("*.pipe"))


def test_a_gzip_cut_inside_a_row_is_refused_as_a_broken_stream(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, inflated_into: str
) -> None:
    whole = gzip.compress(CUR.read_bytes())
    packed = tmp_path / "cut.csv.gz"
    packed.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IngestError, match=r"cut\.csv\.gz: truncated or corrupt gzip"):
        ingest_paths(con, [str(packed)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_a_bad_row_early_in_a_large_gzip_cur_is_named_and_nothing_waits(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, inflated_into: str
) -> None:
    # DuckDB stops at row 3, long before the writer has written the rest (far more than a pipe holds).
    lines = CUR.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",extra"
    packed = tmp_path / "early.csv.gz"
    packed.write_bytes(gzip.compress(("\n".join(lines + lines[1:] * 20) + "\n").encode()))
    with pytest.raises(IngestError, match=r"row 3 \(line 4\): expected \d+ fields, found \d+"):
        ingest_paths(con, [str(packed)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_a_truncated_gzip_cur_is_refused_and_leaves_no_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(gzip.compress(CUR.read_bytes())[:-100])
    with pytest.raises(IngestError, match=r"cur\.csv\.gz: truncated or corrupt gzip"):
        ingest_paths(con, [str(packed)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_only_the_columns_the_cur_mapping_reads_are_copied(con: duckdb.DuckDBPyConnection) -> None:
    with CUR.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    used = aws.used_legacy(header)
    assert {"lineItem/UnblendedCost", "lineItem/UsageAmount", "bill/PayerAccountId"} <= used
    assert "identity/LineItemId" not in used
    report = IngestReport(file=str(CUR), format="aws-cur")
    csvread.read(con, CUR, CUR, "none", report, focus.RAW, keep=aws.used_legacy)
    stored = [r[0] for r in con.execute(f"DESCRIBE {focus.RAW_KEPT}").fetchall()]
    assert sorted(stored) == sorted(["_row", *used])
    # Every header name is still there to find, the unread ones empty.
    assert [r[0] for r in con.execute(f"DESCRIBE {focus.RAW}").fetchall()] == ["_row", *header]
    assert con.execute(f'SELECT count("identity/LineItemId"), max(_row) FROM {focus.RAW}').fetchone() == (0, 1281)


def test_a_tag_column_is_among_the_columns_read(tmp_path: Path) -> None:
    header = [*records()[0], "resourceTags/user:team", "costCategory/Project"]
    used = aws.used_legacy(header)
    assert "resourceTags/user:team" in used and "costCategory/Project" not in used


def test_a_cur_row_cut_short_in_a_column_nobody_reads_is_still_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = CUR.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5] + ",extra"
    path = tmp_path / "wide-row.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"row 5 \(line 6\): expected \d+ fields, found \d+; more fields"):
        ingest_paths(con, [str(path)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


AMOUNTS = [
    "0.0000000000005",
    "-0.0000000000005",
    "0.0000000000015",
    "999999.999999999999",
    "999999.9999999999995",
    "1000000.25",
    "-123456789012.123456789012",
    "1.79E-8",
    "-5.1e3",
    " 12.5 ",
    "\u00a012.5\u00a0",
    "12,50",
    "1e30",
    "nan",
]


def test_an_amount_is_the_same_decimal_whichever_cast_reads_it(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TEMP TABLE amounts AS SELECT unnest(?) AS x", [AMOUNTS])
    reference = f"try_cast(trim(x) AS {MONEY})"
    found = con.execute(f"SELECT x, {cast_number('x', MONEY)}, {reference} FROM amounts").fetchall()
    assert [(x, fast) for x, fast, _ in found] == [(x, slow) for x, _, slow in found]
    assert dict((x, fast) for x, fast, _ in found)["\u00a012.5\u00a0"] == Decimal("12.5")


def test_large_and_padded_amounts_load_to_the_cent(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    costs = ["1234567.891234567891", "\u00a02.50", " 0.0000000001 ", "-999999.999999999999"]
    path = write(tmp_path / "amounts.csv", [line("Usage", cost) for cost in costs])
    [report] = ingest_paths(con, [str(path)])
    assert report.rows_loaded == len(costs)
    expected = sum(Decimal(c.strip().strip("\u00a0")) for c in costs)
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (expected,)


def test_unreadable_amounts_found_in_the_mapping_pass_are_named_in_row_order(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [line("Usage", "1.00") for _ in range(10)]
    rows[8]["lineItem/UnblendedCost"] = "12,50"
    rows[4]["pricing/publicOnDemandCost"] = "n/a"
    path = write(tmp_path / "bad-amounts.csv", rows)
    with pytest.raises(IngestError) as refused:
        ingest_paths(con, [str(path)])
    assert str(refused.value) == (
        f"{path}: row 5, pricing/publicOnDemandCost: 'n/a' is not a number; "
        "row 9, lineItem/UnblendedCost: '12,50' is not a number"
    )
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_an_empty_record_with_an_unreadable_amount_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [line("Usage", "1.00") for _ in range(3)]
    empty = {k: "" for k in rows[0]}
    empty["lineItem/UsageAmount"] = "lots"
    path = write(tmp_path / "empty-bad.csv", [*rows, empty])
    with pytest.raises(IngestError, match=r"row 4, lineItem/UsageAmount: 'lots' is not a number"):
        ingest_paths(con, [str(path)])
    assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_without_named_pipes_a_gzip_cur_still_loads_and_a_cut_one_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(csvread.os, "mkfifo")
    monkeypatch.setattr(csvread, "_room_for_text", lambda data: False)
    whole = gzip.compress(CUR.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IngestError, match=r"cut\.csv\.gz: truncated or corrupt gzip"):
        ingest_paths(con, [str(cut)])
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(whole)
    [report] = ingest_paths(con, [str(packed)])
    assert report.rows_loaded == 1281
