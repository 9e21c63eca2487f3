"""Hostile values in otherwise readable files: each file is refused on its own with one line naming
the file, row and column, the database stays as it was, and the rest of the batch loads."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from analytics.ingest.checks import WINDOW
from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from tests.focus_rows import row, write_csv
from tests.hostile_exports import DATE_CASES, focus_parquet, load
from tests.store_state import db_fingerprint, fingerprint

PROJECT = Path(__file__).resolve().parents[1]


def refused(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The one-line reason `path` was refused; the database is checked to be unchanged."""
    before = fingerprint(con)
    [report] = load(con, path)
    assert report.status == "rejected", report
    assert report.error is not None and "\n" not in report.error
    assert str(path) in report.error
    assert fingerprint(con) == before
    return report.error


# ---- dates outside 2000-01-01 .. 2100-01-01, and charges ending before they start ---------------

TIME_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
BAD_TIMES = ("-0044-03-15", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2100-01-02T00:00:00Z", "9999-12-31")


@pytest.mark.parametrize("column", TIME_COLUMNS)
@pytest.mark.parametrize("value", BAD_TIMES)
def test_a_time_outside_the_window_is_refused_naming_row_and_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, column: str, value: str
) -> None:
    path = write_csv(tmp_path / "dates.csv", [row(), row(), row(**{column: value})])
    error = refused(con, path)
    assert f"row 3, {column}: " in error and f"is outside {WINDOW}" in error


@pytest.mark.parametrize("case", sorted(DATE_CASES))
@pytest.mark.parametrize("year", ["1999", "9999"])
def test_every_format_refuses_a_charge_outside_the_window(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str, year: str
) -> None:
    path = DATE_CASES[case](tmp_path / f"{case}.csv", year)
    error = refused(con, path)
    assert "row 2, ChargePeriodStart: " in error and f"is outside {WINDOW}" in error


@pytest.mark.parametrize("case", sorted(DATE_CASES))
def test_every_format_loads_its_file_once_the_date_is_sane(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    [report] = load(con, DATE_CASES[case](tmp_path / f"{case}.csv", None))
    assert report.status == "loaded", report.error


def test_the_edges_of_the_window_load(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = row(
        BillingPeriodStart="2000-01-01T00:00:00Z",
        BillingPeriodEnd="2000-02-01T00:00:00Z",
        ChargePeriodStart="2000-01-01T00:00:00Z",
        ChargePeriodEnd="2000-01-02T00:00:00Z",
    )
    last = row(
        BillingPeriodStart="2099-12-01T00:00:00Z",
        BillingPeriodEnd="2100-01-01T00:00:00Z",
        ChargePeriodStart="2099-12-31T00:00:00Z",
        ChargePeriodEnd="2100-01-01T00:00:00Z",
    )
    [report] = load(con, write_csv(tmp_path / "edges.csv", [first, last]))
    assert report.status == "loaded" and report.rows_loaded == 2


def test_a_charge_ending_before_it_starts_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    backwards = row(ChargePeriodStart="2026-05-04T00:00:00Z", ChargePeriodEnd="2026-05-03T23:00:00Z")
    error = refused(con, write_csv(tmp_path / "backwards.csv", [row(), backwards]))
    assert "row 2, ChargePeriodEnd: 2026-05-03 23:00:00 is before ChargePeriodStart" in error


def test_a_charge_of_no_duration_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    instant = row(ChargePeriodStart="2026-05-04T00:00:00Z", ChargePeriodEnd="2026-05-04T00:00:00Z")
    [report] = load(con, write_csv(tmp_path / "instant.csv", [instant]))
    assert report.status == "loaded"


# ---- tags no parser should be asked to read -----------------------------------------------------

DEEP = 100_000


def deep_tags(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


HOSTILE_TAGS = {
    "nested 100,000 deep": (deep_tags(DEEP), "nested too deeply"),
    "nested 100,000 deep without braces": ('"a": ' + "[" * DEEP + "]" * DEEP, "nested too deeply"),
    "objects nested 5,000 deep": ('{"a": ' * 5000 + "1" + "}" * 5000, "nested too deeply"),
    "5,000-digit integer": ('{"a": ' + "7" * 5000 + "}", "holds a number too long to read"),
    "5,000-digit negative integer": ('{"a": -' + "9" * 5000 + "}", "holds a number too long to read"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TAGS))
def test_tags_no_parser_can_read_refuse_the_file_naming_row_and_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    tags, problem = HOSTILE_TAGS[case]
    path = write_csv(tmp_path / "tags.csv", [row(Tags='{"team": "a"}'), row(Tags=tags)])
    error = refused(con, path)
    assert f"row 2, Tags: {problem}" in error


def test_ordinary_invalid_tags_still_load_as_untagged_with_a_note(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    [report] = load(con, write_csv(tmp_path / "odd-tags.csv", [row(Tags="{not json"), row(Tags='{"a": 1}')]))
    assert report.status == "loaded" and any("not JSON objects" in w for w in report.warnings)


# ---- Parquet values that are not amounts, dates stored as numbers --------------------------------

NON_FINITE = {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf, "1e300": 1e300, "-1e300": -1e300}


@pytest.mark.parametrize("column", ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost"])
@pytest.mark.parametrize("value", sorted(NON_FINITE))
def test_a_parquet_amount_that_is_not_a_finite_number_is_refused_naming_row_and_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, column: str, value: str
) -> None:
    amounts = pa.array([1.5, NON_FINITE[value], 2.0], pa.float64())
    path = focus_parquet(tmp_path / "money.parquet", {column: amounts})
    error = refused(con, path)
    assert f"row 2, {column}: " in error


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf"])
def test_a_parquet_quantity_that_is_not_finite_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, value: str
) -> None:
    path = focus_parquet(
        tmp_path / "quantity.parquet", {"ConsumedQuantity": pa.array([1.0, 2.0, NON_FINITE[value]], pa.float64())}
    )
    assert "row 3, ConsumedQuantity: " in refused(con, path)


@pytest.mark.parametrize("arrow_type", [pa.int64(), pa.int32(), pa.float64()])
@pytest.mark.parametrize("column", ["ChargePeriodStart", "BillingPeriodStart"])
def test_a_parquet_date_stored_as_a_number_is_refused_naming_the_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, column: str, arrow_type: pa.DataType
) -> None:
    path = focus_parquet(tmp_path / "epoch.parquet", {column: pa.array([1_746_230_400] * 2).cast(arrow_type)})
    error = refused(con, path)
    assert f"column '{column}' holds" in error and "not dates/times" in error


def test_a_parquet_amount_stored_as_text_of_no_number_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = focus_parquet(tmp_path / "text.parquet", {"BilledCost": pa.array(["1", "lots"], pa.string())})
    assert "row 2, BilledCost: 'lots' is not a number" in refused(con, path)


@pytest.mark.parametrize("text", ["NaN", "inf", "-Infinity", "1e300", "1e27"])
def test_a_csv_amount_that_is_not_a_storable_number_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str
) -> None:
    error = refused(con, write_csv(tmp_path / "amount.csv", [row(), row(EffectiveCost=text)]))
    assert f"row 2, EffectiveCost: {text!r} is" in error


def test_the_good_file_of_a_batch_loads_beside_every_hostile_one(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = [
        write_csv(tmp_path / "a-deep.csv", [row(Tags=deep_tags(DEEP))]),
        write_csv(tmp_path / "b-digits.csv", [row(Tags=HOSTILE_TAGS["5,000-digit integer"][0])]),
        focus_parquet(tmp_path / "c-nan.parquet", {"BilledCost": pa.array([math.nan], pa.float64())}),
        focus_parquet(tmp_path / "d-epoch.parquet", {"ChargePeriodStart": pa.array([1_746_230_400], pa.int64())}),
        write_csv(tmp_path / "e-ancient.csv", [row(ChargePeriodStart="-0044-03-15")]),
    ]
    good = write_csv(tmp_path / "z-good.csv", [row(BilledCost="7.25"), row(BilledCost="0.75")])
    reports = load(con, *bad, good)
    assert [r.status for r in reports] == ["rejected"] * 5 + ["loaded"]
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("8.00"),)


def test_an_unforeseen_failure_is_one_line_with_a_reference_and_the_traceback_is_logged(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "finops.log"
    monkeypatch.setenv("FINOPS_LOG", str(log))

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug nobody foresaw")

    monkeypatch.setattr("analytics.ingest.load.build_rollup", broken)
    path = write_csv(tmp_path / "any.csv", [row()])
    with pytest.raises(IngestError) as raised:
        ingest_paths(con, [str(path)])
    message = str(raised.value)
    assert message.startswith(f"{path}: could not be loaded (ZeroDivisionError: a bug nobody foresaw)")
    assert "\n" not in message and "reference" in message
    reference = message.rsplit("reference ", 1)[1].rstrip(")")
    logged = log.read_text(encoding="utf-8")
    assert reference in logged and "Traceback" in logged and "ZeroDivisionError" in logged
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (0,)


# ---- the command line, end to end ---------------------------------------------------------------


def run_cli(*args: str, log: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINOPS_LOG": str(log)}
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args], cwd=PROJECT, capture_output=True, text=True, timeout=180, env=env
    )


@pytest.mark.slow
def test_the_command_line_loads_the_good_file_and_names_each_refused_one_without_a_traceback(
    tmp_path: Path,
) -> None:
    db = tmp_path / "cli.duckdb"
    bad = [
        write_csv(tmp_path / "deep.csv", [row(Tags=deep_tags(DEEP))]),
        focus_parquet(tmp_path / "inf.parquet", {"EffectiveCost": pa.array([math.inf], pa.float64())}),
        write_csv(tmp_path / "year-9999.csv", [row(ChargePeriodStart="9999-12-31")]),
    ]
    good = write_csv(tmp_path / "good.csv", [row(BilledCost="3.10"), row(BilledCost="0.02")])
    result = run_cli("ingest", *map(str, bad), str(good), "--db", str(db), log=tmp_path / "cli.log")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(str(p) in line for p, line in zip(bad, lines, strict=True))
    assert "1 of 4 files loaded; 3 rejected" in result.stdout
    query = run_cli("query", "--db", str(db), "--metric", "billed", "--format", "json", log=tmp_path / "cli.log")
    assert json.loads(query.stdout) == [{"cost": 3.12}]


@pytest.mark.slow
def test_a_refused_date_leaves_the_database_byte_for_byte_and_every_command_keeps_working(tmp_path: Path) -> None:
    db = tmp_path / "kept.duckdb"
    log = tmp_path / "cli.log"
    assert run_cli("ingest", str(write_csv(tmp_path / "good.csv", [row()])), "--db", str(db), log=log).returncode == 0
    before = db_fingerprint(db)
    ancient = write_csv(tmp_path / "ancient.csv", [row(ChargePeriodStart="-0044-03-15")])
    result = run_cli("ingest", str(ancient), "--db", str(db), log=log)
    assert result.returncode == 2 and "ChargePeriodStart" in result.stderr and "Traceback" not in result.stderr
    assert db_fingerprint(db) == before
    for command in (["query"], ["forecast"], ["anomalies"]):
        assert run_cli(*command, "--db", str(db), log=log).returncode == 0, command


# ---- JSON lines: hostile nesting meets DuckDB's JSON reader first --------------------------------

JSON_DEEP = {
    "object nested 3,000 deep": '{"a": ' * 3000 + "1" + "}" * 3000,
    "array nested 100,000 deep": '{"a": ' + "[" * DEEP + "]" * DEEP + "}",
    "array nested 100,000 deep at the top": "[" * DEEP + "]" * DEEP,
}


TOO_DEEP = "nested too deeply to read (hundreds of levels)"


@pytest.mark.parametrize("case", sorted(JSON_DEEP))
def test_json_lines_nested_too_deep_are_refused_naming_the_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    record = json.dumps({k: v for k, v in row().items() if k != "Tags"})
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(row()) + "\n" + record[:-1] + ', "Tags": ' + JSON_DEEP[case] + "}\n", encoding="utf-8")
    error = refused(con, path)
    assert error == f"{path}: not readable newline-delimited JSON (line 2: {TOO_DEEP})"
