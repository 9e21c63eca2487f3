"""`python -m analytics remove`, the command-line twin of the Data page's removal, and the command
line's last line of defence: a stored value no command can use gives one line, never a traceback."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from analytics.cli import main
from analytics.store import connect
from tests.app_fixtures import PROJECT
from tests.focus_rows import row, write_csv
from tests.test_page_boundary import ABSURD, stored_with_date


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def billed(path: Path) -> Decimal:
    """BilledCost of a file, summed independently with the csv module and Decimal."""
    with path.open(encoding="utf-8", newline="") as handle:
        return sum((Decimal(r["BilledCost"]) for r in csv.DictReader(handle)), Decimal(0))


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, list[Path]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [
        write_csv(tmp_path / "a" / "web.csv", [row(BilledCost="10.10"), row(BilledCost="2.02", ServiceName="S3")]),
        write_csv(tmp_path / "b" / "db.csv", [row(BilledCost="7.77", SubAccountName="data")]),
        write_csv(tmp_path / "b" / "ops.csv", [row(BilledCost="-1.50", ChargeCategory="Credit")]),
    ]
    db = tmp_path / "x.duckdb"
    done = run_cli("ingest", *map(str, files), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return db, files


def stored(db: Path) -> tuple[list[str], Decimal]:
    con = connect(db)
    try:
        names = sorted(Path(r[0]).name for r in con.execute("SELECT x_SourceFile FROM sources").fetchall())
        rows = con.execute("SELECT CAST(sum(BilledCost) AS VARCHAR) FROM line_items").fetchone()
        rollup = con.execute("SELECT CAST(sum(BilledCost) AS VARCHAR) FROM daily_costs").fetchone()
    finally:
        con.close()
    assert rows is not None and rollup is not None and Decimal(rows[0] or 0) == Decimal(rollup[0] or 0)
    return names, Decimal(rows[0] or 0)


def source_id(db: Path, name: str) -> str:
    con = connect(db)
    try:
        found = con.execute("SELECT x_SourceId FROM sources WHERE x_SourceFile LIKE ?", [f"%{name}"]).fetchone()
    finally:
        con.close()
    assert found is not None
    return str(found[0])


@pytest.mark.slow
def test_a_source_is_removed_by_its_id_and_the_totals_are_those_of_the_other_files(
    loaded: tuple[Path, list[Path]],
) -> None:
    db, files = loaded
    done = run_cli("remove", source_id(db, "db.csv"), "--yes", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "removed source" in done.stdout and "db.csv" in done.stdout
    assert stored(db) == (["ops.csv", "web.csv"], billed(files[0]) + billed(files[2]))


@pytest.mark.slow
def test_a_source_is_removed_by_its_file_name_or_its_path(loaded: tuple[Path, list[Path]]) -> None:
    db, files = loaded
    assert run_cli("remove", "web.csv", "--yes", "--db", str(db)).returncode == 0
    assert stored(db) == (["db.csv", "ops.csv"], billed(files[1]) + billed(files[2]))
    assert run_cli("remove", str(files[2]), "--yes", "--db", str(db)).returncode == 0
    assert stored(db) == (["db.csv"], billed(files[1]))
    sources = run_cli("sources", "--db", str(db))
    assert sources.stdout.startswith(f"{source_id(db, 'db.csv')}: ")  # the id `remove` takes is listed


@pytest.mark.parametrize("reference", ["999", "nothing.csv", "/no/such/web.csv.gz", "0"])
def test_an_unknown_source_is_one_line_exit_2_and_nothing_changes(
    loaded: tuple[Path, list[Path]], reference: str
) -> None:
    db, _ = loaded
    before = stored(db)
    done = run_cli("remove", reference, "--yes", "--db", str(db))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "python -m analytics sources" in done.stderr
    assert stored(db) == before


@pytest.mark.slow
def test_a_file_name_two_sources_share_must_be_given_as_an_id(tmp_path: Path) -> None:
    (tmp_path / "jan").mkdir()
    (tmp_path / "feb").mkdir()
    one = write_csv(tmp_path / "jan" / "export.csv", [row(BilledCost="1.00")])
    two = write_csv(tmp_path / "feb" / "export.csv", [row(BilledCost="2.00", SubAccountName="b")])
    db = tmp_path / "x.duckdb"
    assert run_cli("ingest", str(one), str(two), "--db", str(db)).returncode == 0
    done = run_cli("remove", "export.csv", "--yes", "--db", str(db))
    assert done.returncode == 2 and "names 2 sources" in done.stderr and "give the id" in done.stderr
    assert stored(db)[1] == Decimal("3.00")


@pytest.mark.slow
def test_without_yes_and_without_a_terminal_nothing_is_removed(loaded: tuple[Path, list[Path]]) -> None:
    db, _ = loaded
    before = stored(db)
    done = run_cli("remove", "web.csv", "--db", str(db))
    assert done.returncode == 2 and "--yes" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert stored(db) == before


@pytest.mark.parametrize(("answer", "removed"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)])
def test_on_a_terminal_remove_asks_first(
    loaded: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch, answer: str, removed: bool
) -> None:
    db, _ = loaded
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: answer.strip())
    code = main(["remove", "ops.csv", "--db", str(db)])
    assert (code == 0) is removed
    assert ("ops.csv" not in stored(db)[0]) is removed


@pytest.mark.slow
def test_removing_re_applies_the_allocation(loaded: tuple[Path, list[Path]]) -> None:
    db, files = loaded
    assert run_cli("remove", "web.csv", "--yes", "--db", str(db)).returncode == 0
    con = connect(db)
    try:
        allocated = con.execute("SELECT CAST(sum(BilledCost) AS VARCHAR) FROM alloc_costs").fetchone()
    finally:
        con.close()
    assert allocated is not None and Decimal(allocated[0]) == billed(files[1]) + billed(files[2])


READS = [
    ["sources"],
    ["query"],
    ["query", "--group-by", "ServiceName", "--grain", "day", "--format", "csv"],
    ["query", "--grain", "month", "--format", "json"],
    ["forecast"],
    ["anomalies"],
    ["commitments"],
    ["showback", "--month", "2026-03", "--out", "pack.xlsx"],
]


@pytest.mark.parametrize("when", ABSURD)
@pytest.mark.parametrize("command", READS, ids=lambda c: "-".join(c[:3]))
def test_read_commands_on_a_stored_absurd_date_print_no_traceback(
    command: list[str], when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FINOPS_LOG", str(tmp_path / "finops.log"))
    db = stored_with_date(tmp_path, when)
    args = [a if a != "pack.xlsx" else str(tmp_path / a) for a in command]
    code = main([*args, "--db", str(db)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3, err


@pytest.mark.slow
def test_forecast_on_a_stored_year_9999_forecasts_from_the_sane_days(tmp_path: Path) -> None:
    db = stored_with_date(tmp_path, "9999-12-31 00:00:00")
    done = run_cli("forecast", "--db", str(db))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "9999" not in done.stdout and "10000" not in done.stdout


def test_an_unexpected_failure_is_one_line_with_a_reference_and_the_traceback_goes_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "finops.log"
    monkeypatch.setenv("FINOPS_LOG", str(log))
    db = stored_with_date(tmp_path, "2026-03-05 00:00:00")

    def overflow(*args: object, **kwargs: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr("analytics.forecast.series.spend", overflow)
    assert main(["forecast", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: OverflowError: date value out of range (ref ")
    assert f"details in {log}" in err and "python -m analytics remove SOURCE_ID --yes" in err
    reference = err.split("(ref ")[1].split(",")[0]
    text = log.read_text(encoding="utf-8")
    assert f"[{reference}] python -m analytics forecast failed" in text and "Traceback" in text


def test_one_line_keeps_the_first_line_of_a_failure_and_cuts_a_long_one() -> None:
    from analytics.logs import one_line

    assert one_line(OverflowError("date value out of range\n  File x")) == "OverflowError: date value out of range"
    assert one_line(RecursionError()) == "RecursionError"
    long = one_line(ValueError("9" * 5000))
    assert len(long) == 200 and long.endswith("…")
