"""`python -m analytics query` and `sources`, as scripts and cron jobs use them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.focus_rows import row, write_csv
from tests.realdata import FOCUS_SAMPLE, csv_sum
from tests.test_bad_input import run_cli

pytestmark = pytest.mark.slow  # each test runs the command line in a new process


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    assert run_cli("ingest", str(FOCUS_SAMPLE), "--db", str(path)).returncode == 0
    return path


def query_json(db: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli("query", "--db", str(db), "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_query_json_has_one_object_per_group_with_cost_in_the_reporting_currency(db: Path) -> None:
    rows = query_json(db, "--group-by", "ProviderName", "--metric", "billed")
    expected = csv_sum(FOCUS_SAMPLE, "BilledCost", by="ProviderName")
    assert {r["ProviderName"]: r["cost"] for r in rows} == {
        k: float(v.quantize(Decimal("0.01"))) for k, v in expected.items()
    }


def test_query_json_gives_the_period_and_null_for_untagged(db: Path) -> None:
    rows = query_json(db, "--group-by", "tag:environment", "--grain", "month")
    assert set(rows[0]) == {"tag:environment", "period", "cost"}
    assert {r["period"] for r in rows} == {"2024-09-01"}  # every charge starts in September
    assert any(r["tag:environment"] is None for r in rows)


def test_where_repeats_or_within_a_dimension_and_dates_are_inclusive(db: Path) -> None:
    rows = query_json(
        db,
        "--where",
        "ProviderName=Microsoft",
        "--where",
        "ProviderName=Oracle",
        "--from",
        "2024-09-29",
        "--to",
        "2024-09-30",
        "--metric",
        "billed",
    )
    with FOCUS_SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        independent = sum(
            Decimal(r["BilledCost"])
            for r in csv.DictReader(handle)
            if r["ProviderName"] in ("Microsoft", "Oracle")
            and r["ChargePeriodStart"][:10] in ("2024-09-29", "2024-09-30")
        )
    assert independent != 0
    assert rows == [{"cost": float(Decimal(independent).quantize(Decimal("0.01")))}]


def test_sources_json_lists_rows_periods_and_billed_totals(db: Path) -> None:
    result = run_cli("sources", "--db", str(db), "--json")
    [entry] = json.loads(result.stdout)
    assert entry["source"] == str(FOCUS_SAMPLE) and entry["format"] == "focus" and entry["rows"] == 1000
    assert entry["billing_periods"] == ["2024-09", "2024-10"]
    assert entry["totals"] == {"USD": float(csv_sum(FOCUS_SAMPLE, "BilledCost")[""].quantize(Decimal("0.01")))}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group-by", "tag:nope"], "no tag key 'nope'"),
        (["--where", "Bogus=1"], "unknown dimension 'Bogus'"),
        (["--where", "novalue"], "expected DIM=VALUE"),
        (["--metric", "cheap"], "unknown metric 'cheap'"),
        (["--from", "2024-10-01", "--to", "2024-09-01"], "is after --to"),
        (["--currency", "XYZ"], "--currency XYZ: no rates"),
    ],
)
def test_bad_query_arguments_get_one_line_and_a_non_zero_exit(db: Path, args: list[str], message: str) -> None:
    result = run_cli("query", "--db", str(db), *args)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_a_database_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = run_cli("query", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode != 0 and "none.duckdb: no data here yet" in result.stderr


def test_a_half_cent_rounds_up_in_query_output(tmp_path: Path) -> None:
    db = tmp_path / "half.duckdb"
    assert (
        run_cli("ingest", str(write_csv(tmp_path / "h.csv", [row(BilledCost="1.005")])), "--db", str(db)).returncode
        == 0
    )
    assert query_json(db, "--metric", "billed") == [{"cost": 1.01}]


def test_the_help_of_every_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    from analytics.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    commands = capsys.readouterr().out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert {"query", "allocate", "showback", "commitments", "rightsizing", "forecast", "unit-cost"} <= set(commands)
    for command in commands:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0, command
        out = capsys.readouterr().out
        if out.startswith(f"usage: python -m analytics {command} [-h] {{"):  # subcommands, each with its own help
            for sub in out.split("{", 1)[1].split("}", 1)[0].split(","):
                with pytest.raises(SystemExit) as done:
                    main([command, sub, "--help"])
                assert done.value.code == 0 and "usage:" in capsys.readouterr().out, (command, sub)
            continue
        assert "--db" in out, command
