"""`python -m analytics unit-cost` and `ingest-metrics`: the JSON shape, gaps as null, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.cli import main
from analytics.store import reader
from tests.app_fixtures import pristine_sample


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(pristine_sample(tmp_path / "cli.duckdb"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_unit_cost_json_is_a_list_of_period_owner_cost_value_and_unit_cost(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "unit-cost", "--db", str(db), "--metric", "orders", "--by", "tag:team", "--json")
    assert code == 0
    records = json.loads(out)
    assert records and all(list(r) == ["period", "tag:team", "cost", "value", "unit_cost"] for r in records)
    con = reader(db)
    orders = dict(
        con.execute(
            "SELECT strftime(date_trunc('month', date), '%Y-%m-%d'), sum(value) FROM business_metrics "
            "WHERE metric = 'orders' AND dimension IS NULL GROUP BY 1"
        ).fetchall()
    )
    con.close()
    for r in records:
        assert r["value"] == orders[r["period"]]
        assert r["unit_cost"] == pytest.approx(r["cost"] / r["value"], abs=1e-6)


def test_unit_cost_without_by_gives_the_total_and_gaps_are_null(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "zero.csv").write_text("date,metric,value\n2026-05-03,orders,0\n")
    assert run(capsys, "ingest-metrics", "--db", str(db), str(tmp_path / "zero.csv"))[0] == 0
    code, out, _ = run(capsys, "unit-cost", "--db", str(db), "--metric", "orders", "--grain", "day", "--json",
                       "--from", "2026-05-02", "--to", "2026-05-04", "--basis", "billed")  # fmt: skip
    assert code == 0
    records = json.loads(out)
    assert [list(r) for r in records] == [["period", "cost", "value", "unit_cost"]] * 3
    assert [r["unit_cost"] is None for r in records] == [False, True, False]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--metric", "sales"], "error: unknown metric 'sales'; known metrics: active_users, orders"),
        (["--metric", "orders", "--by", "tag:nope"], "error: no tag key 'nope' in the data"),
        (["--metric", "orders", "--basis", "cheap"], "error: --basis: unknown metric 'cheap'"),
        (["--metric", "orders", "--from", "2026-05-02", "--to", "2026-05-01"], "error: --from 2026-05-02 is after"),
    ],
)
def test_bad_arguments_are_one_clear_line_and_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "unit-cost", "--db", str(db), *argv)
    assert code == 2 and err.startswith(message), err


def test_ingest_metrics_names_the_bad_line_and_changes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.csv").write_text("date,metric,value\n2026-05-01,orders,12\n2026-05-01,orders,-3\n")
    code, _, err = run(capsys, "ingest-metrics", "--db", str(db), str(tmp_path / "bad.csv"))
    assert code == 2
    assert "line 3, field value: -3 is negative" in err
    assert "line 3, duplicate of line 2" in err
