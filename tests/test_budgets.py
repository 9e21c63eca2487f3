"""Budgets: the CSV is checked line by line, loaded into the table only when it changes, saved
atomically; budget vs actual vs projection ties out to SQL on the raw line items."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analytics.budgets import BudgetError, budget_status, needs_sync, parse, read_table, save, sync
from analytics.budgets.status import HEADING_OVER, ON_TRACK, OVER
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.store import connect
from tests.store_state import copy_store
from tests.test_forecast_company import company_db  # noqa: F401

HEADER = "owner_dimension,owner,month,amount,currency\n"


def test_a_valid_file_is_read_with_months_as_first_days() -> None:
    frame = parse(HEADER + "tag:team,ml,2026-11,8000,USD\ntag:team,search,2026-12-01,1.5,EUR\n", "b.csv")
    assert frame["month"].tolist() == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert frame["amount"].tolist() == [8000.0, 1.5]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tag:team,ml,2026-13,10,USD\n", "line 2, month"),
        ("tag:team,ml,2026-11,-1,USD\n", "line 2, amount: '-1' must be zero or more"),
        ("tag:team,ml,2026-11,ten,USD\n", "line 2, amount: 'ten' is not a number"),
        ("tag:team,ml,2026-11,10,usd\n", "line 2, currency"),
        ("tag:team,,2026-11,10,USD\n", "line 2, owner: empty"),
        ("tag:team,ml,2026-11,10\n", "line 2: 4 fields"),
        ("tag:team,ml,2026-11,10,USD\ntag:team,ml,2026-11-01,20,USD\n", "line 3: a second budget"),
        ("tag:nope,ml,2026-11,10,USD\n", "line 2, owner_dimension: 'tag:nope' is not a dimension"),
    ],
)
def test_bad_rows_are_refused_naming_the_file_line_and_field(body: str, message: str) -> None:
    with pytest.raises(BudgetError, match="b.csv, " + message.replace("(", r"\(")):
        parse(HEADER + body, "b.csv", dimensions=["tag:team"])


def test_a_wrong_header_is_refused() -> None:
    with pytest.raises(BudgetError, match="line 1: header must be"):
        parse("team,month,amount\nml,2026-11,10\n", "b.csv")


@pytest.fixture
def db(company_db: Path, tmp_path: Path) -> Path:  # noqa: F811
    copy = tmp_path / "copy.duckdb"
    copy_store(company_db, copy)
    return copy


def test_a_header_only_file_keeps_the_table_and_a_changed_file_replaces_it(db: Path, tmp_path: Path) -> None:
    con = connect(db)
    try:
        shipped = read_table(DuckDBEngine(con))
        path = tmp_path / "budgets.csv"
        path.write_text(HEADER)
        assert not sync(con, path) and len(read_table(DuckDBEngine(con))) == len(shipped) > 0
        path.write_text(HEADER + "tag:team,ml,2026-11,8000,USD\n")
        assert sync(con, path)
        assert read_table(DuckDBEngine(con))[["owner", "amount"]].values.tolist() == [["ml", 8000.0]]
        assert not sync(con, path)  # unchanged: not loaded again
    finally:
        con.close()


def test_only_a_changed_file_with_rows_needs_a_sync(db: Path, tmp_path: Path) -> None:
    con = connect(db)
    try:
        engine, path = DuckDBEngine(con), tmp_path / "budgets.csv"
        assert not needs_sync(engine, path)  # no file
        path.write_text(HEADER)
        assert not needs_sync(engine, path)  # no rows: sync would keep the table
        path.write_text(HEADER + "tag:team,ml,2026-11,8000,USD\n")
        assert needs_sync(engine, path) and sync(con, path)
        assert not needs_sync(engine, path)  # loaded: nothing to do, so no writer is opened
        path.write_text(HEADER + "tag:team,ml,2026-11,lots,USD\n")
        with pytest.raises(BudgetError, match="line 2, amount"):
            needs_sync(engine, path)
    finally:
        con.close()


def test_a_bad_file_leaves_the_table_as_it_was(db: Path, tmp_path: Path) -> None:
    con = connect(db)
    try:
        before = read_table(DuckDBEngine(con))
        path = tmp_path / "budgets.csv"
        path.write_text(HEADER + "tag:team,ml,2026-11,8000,USD\ntag:team,search,2026-11,lots,USD\n")
        with pytest.raises(BudgetError, match="line 3, amount"):
            sync(con, path)
        pd.testing.assert_frame_equal(read_table(DuckDBEngine(con)), before)
    finally:
        con.close()


def test_saving_writes_the_file_and_the_table_together(db: Path, tmp_path: Path) -> None:
    con = connect(db)
    try:
        path = tmp_path / "budgets.csv"
        frame = pd.DataFrame(
            [["tag:team", "ml", dt.date(2026, 11, 1), 7000.0, "USD"]],
            columns=["owner_dimension", "owner", "month", "amount", "currency"],
        )
        save(con, path, frame, ["tag:team"])
        assert path.read_text() == HEADER + "tag:team,ml,2026-11,7000.0,USD\n"
        assert read_table(DuckDBEngine(con))["amount"].tolist() == [7000.0]
        with pytest.raises(BudgetError):
            save(con, path, frame.assign(amount=-5.0), ["tag:team"])
        assert read_table(DuckDBEngine(con))["amount"].tolist() == [7000.0]
    finally:
        con.close()


@pytest.mark.slow
def test_budget_vs_actual_ties_out_and_flags_the_teams_heading_over(company_db: Path) -> None:  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        status = budget_status(DuckDBEngine(con), load_fx(), read_table(DuckDBEngine(con)))
        budgets = con.execute("SELECT owner, CAST(amount AS DOUBLE) FROM budgets WHERE month = '2026-11-01'").fetchall()
    finally:
        con.close()
    assert set(status["owner"]) == {owner for owner, _ in budgets}
    assert dict(zip(status["owner"], status["budget"], strict=True)) == dict(budgets)
    assert (status["projected"] >= status["actual"]).all()
    for row in status.itertuples():
        expected = OVER if row.actual > row.budget else HEADING_OVER if row.projected > row.budget else ON_TRACK
        assert row.status == expected
    assert status.set_index("owner").loc["ml", "status"] == HEADING_OVER  # planned below its trend by the sample


def test_a_teams_actual_matches_its_tagged_spend_in_the_raw_line_items(company_db: Path) -> None:  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        budgets = pd.DataFrame(
            [["tag:team", "ml", dt.date(2026, 11, 1), 1000.0, "USD"]],
            columns=["owner_dimension", "owner", "month", "amount", "currency"],
        )
        status = budget_status(DuckDBEngine(con), load_fx(), budgets)
        raw = con.execute(
            "SELECT sum(EffectiveCost)::DOUBLE FROM line_items l JOIN alloc_tags t ON t.x_TagSetId = l.x_TagSetId "
            "WHERE t.TagKey = 'team' AND t.TagValue = 'ml' AND ChargePeriodStart >= '2026-11-01' "
            "AND BillingCurrency = 'USD'"
        ).fetchone()[0]
        eur = con.execute(
            "SELECT count(*) FROM line_items l JOIN alloc_tags t ON t.x_TagSetId = l.x_TagSetId "
            "WHERE t.TagKey = 'team' AND t.TagValue = 'ml' AND BillingCurrency <> 'USD'"
        ).fetchone()[0]
    finally:
        con.close()
    assert eur == 0  # so no conversion is involved in this comparison
    assert round(float(status["actual"].iloc[0]), 2) == round(raw, 2)
    assert status["status"].iloc[0] == OVER


def test_a_period_budget_sums_one_owner_dimension_over_whole_months_in_the_reporting_currency() -> None:
    from analytics.budgets import period_budget
    from analytics.fx import load_fx

    def rows(*items: tuple[str, str, str, float, str]) -> pd.DataFrame:
        frame = pd.DataFrame(items, columns=["owner_dimension", "owner", "month", "amount", "currency"])
        return frame.assign(month=pd.to_datetime(frame["month"]).dt.date)

    fx = load_fx()
    eur = float(
        fx.daily_factors("USD", dt.date(2026, 4, 1), dt.date(2026, 4, 1)).set_index("currency").loc["EUR", "factor"]
    )
    table = rows(
        ("tag:team", "a", "2026-04-01", 100.0, "USD"),
        ("tag:team", "b", "2026-04-01", 50.0, "EUR"),
        ("tag:team", "a", "2026-05-01", 100.0, "USD"),
        ("tag:team", "a", "2026-06-01", 100.0, "USD"),
        ("alloc:unit", "x", "2026-04-01", 999.0, "USD"),  # another way to cut the same dollars: not added
    )
    month = period_budget(table, fx, "USD", dt.date(2026, 4, 1), dt.date(2026, 4, 30), "tag:team")
    assert month is not None and month.owner_dimension == "tag:team" and month.owners == 2
    assert month.amount == pytest.approx(100.0 + 50.0 * eur)
    quarter = period_budget(table, fx, "USD", dt.date(2026, 4, 1), dt.date(2026, 6, 30), "tag:team")
    assert quarter is not None and quarter.amount == pytest.approx(300.0 + 50.0 * eur)
    # May missing: a quarter with a month unbudgeted has no quarter budget.
    partial = table[table["month"] != dt.date(2026, 5, 1)]
    assert period_budget(partial, fx, "USD", dt.date(2026, 4, 1), dt.date(2026, 6, 30), "tag:team") is None
    assert period_budget(table, fx, "USD", dt.date(2026, 7, 1), dt.date(2026, 7, 31), "tag:team") is None
