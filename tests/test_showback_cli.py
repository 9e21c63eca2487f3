"""`python -m analytics showback`: unattended packs, clear refusals, and restated months reported."""

from __future__ import annotations

import openpyxl
import pytest

from analytics.cli import main
from analytics.showback.words import NO_OWNER, ROUNDING
from analytics.store import connect, reader
from tests.app_fixtures import PROJECT, pristine_sample

NO_RULES = str(PROJECT / "tests" / "data" / "no-rules.yaml")


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "cli.duckdb"
    pristine_sample(path)
    return path


def run(db, *args: str) -> int:
    return main(["showback", "--db", str(db), "--rules", NO_RULES, *args])


@pytest.mark.slow
def test_a_pack_and_one_workbook_per_owner_are_written_and_recorded(db, tmp_path, capsys):
    out, split = tmp_path / "pack.xlsx", tmp_path / "owners"
    assert run(db, "--month", "2026-05", "--by", "tag:team", "--out", str(out), "--split-dir", str(split)) == 0
    printed = capsys.readouterr().out
    assert "ties out" in printed and "DIFFERENCE" not in printed
    summary = openpyxl.load_workbook(out)["Summary"]
    owners = [c.value for c in summary["A"][5:] if c.value not in (None, "Total", NO_OWNER, ROUNDING)]
    files = sorted(p.name for p in split.iterdir())
    assert len(files) == len(owners) and all(f.startswith("showback-2026-05-") and f.endswith(".xlsx") for f in files)
    one = openpyxl.load_workbook(split / files[0])
    assert one.sheetnames[:2] == ["Cover", "Summary"] and len(one.sheetnames) == 4
    con = reader(db)
    try:
        recorded = con.execute("SELECT first_month, owner_dimension, metric FROM showback_packs").fetchall()
    finally:
        con.close()
    assert [(str(r[0]), r[1], r[2]) for r in recorded] == [("2026-05-01", "tag:team", "EffectiveCost")]


@pytest.mark.slow
def test_a_billed_pack_over_several_months_says_so_on_its_cover(db, tmp_path):
    out = tmp_path / "range.xlsx"
    assert (
        run(
            db, "--month", "2026-04", "--through", "2026-05", "--basis", "billed", "--out", str(out), "--by", "tag:team"
        )
        == 0
    )
    cover = openpyxl.load_workbook(out)["Cover"]
    facts = {r[0]: r[1] for r in cover.iter_rows(min_row=2, max_row=14, max_col=2, values_only=True)}
    assert facts["Period"].startswith("2026-04-01 to 2026-05-31")
    assert facts["Cost basis"].startswith("Billed cost (invoice view)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2031-01", "--by", "tag:team"], "no charges in 2031-01"),
        (["--month", "2026-05", "--by", "tag:nope"], "no tag key 'nope'"),
        (["--month", "2026-13", "--by", "tag:team"], "is not a month"),
        (["--month", "2026-05"], "--by: name the owner dimension"),
    ],
)
def test_bad_requests_exit_non_zero_with_one_clear_line(db, tmp_path, capsys, args, message):
    assert run(db, *args, "--out", str(tmp_path / "x.xlsx")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.slow
def test_a_restated_month_is_reported_with_the_difference(db, tmp_path, capsys):
    out = tmp_path / "pack.xlsx"
    assert run(db, "--month", "2026-05", "--by", "tag:team", "--out", str(out)) == 0
    capsys.readouterr()
    con = connect(db)
    source = con.execute(
        "SELECT x_SourceId FROM daily_costs WHERE ChargeDay = DATE '2026-05-10' ORDER BY x_SourceId LIMIT 1"
    ).fetchone()[0]
    con.execute(
        "UPDATE daily_costs SET BilledCost = BilledCost + 12.34, EffectiveCost = EffectiveCost + 12.34 "
        "WHERE rowid = (SELECT min(rowid) FROM daily_costs WHERE x_SourceId = ? AND ChargeDay = DATE '2026-05-10')",
        [source],
    )
    con.execute("UPDATE sources SET x_IngestedAt = x_IngestedAt + INTERVAL 1 HOUR WHERE x_SourceId = ?", [source])
    con.close()
    assert run(db, "--month", "2026-05", "--by", "tag:team", "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "the data for 2026-05 changed since the pack generated" in err
    assert "EffectiveCost" in err and "(+12.34)" in err
