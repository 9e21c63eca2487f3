"""Budgets in packs: columns only where the owner dimension has budgets (else a note on how to add
them); the sample company budgets its default owner dimension; per-owner workbooks have readable
file names and a Cover with that owner's part of each source."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH
from analytics.sample import build_sample
from analytics.showback.data import gather
from analytics.showback.request import PackRequest
from analytics.showback.workbook import owner_zip, pack
from analytics.store import connect
from tests.app_fixtures import PROJECT
from tests.showback_helpers import AT, FX, cent, copy_with_rules, generate, summary_lines, table_rows

SHIPPED_RULES = PROJECT / "data" / "allocation.yaml"
UNITS = {"Commerce", "Data & AI", "Platform"}

pytestmark = pytest.mark.slow  # a sample of their own, or the 13-month company


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """A small sample built with the shipped allocation rules (owner: alloc:business_unit)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FINOPS_RULES", str(SHIPPED_RULES))
        path = tmp_path_factory.mktemp("units") / "units.duckdb"
        con = connect(path)
        build_sample(con, rows=8_000, months=2, seed=3, as_of=dt.date(2026, 6, 15))
        yield con
        con.close()


def test_the_sample_company_budgets_its_default_showback_dimension(company):
    rows = company.execute(
        "SELECT owner, count(*), min(amount) FROM budgets WHERE owner_dimension = 'alloc:business_unit' "
        "AND currency = 'USD' GROUP BY owner"
    ).fetchall()
    assert {r[0] for r in rows} == UNITS  # every unit, and not the "Unallocated" default
    months = company.execute("SELECT count(DISTINCT month) FROM budgets WHERE owner_dimension = 'tag:team'").fetchall()
    assert all(r[1] == months[0][0] and r[2] > 0 for r in rows)  # the same months as the teams'


def test_a_pack_by_business_unit_shows_each_units_budget_and_variance(company):
    month = dt.date(2026, 5, 1)
    data = gather(DuckDBEngine(company), FX, PackRequest(month, month, "alloc:business_unit"))
    wb = openpyxl.load_workbook(io.BytesIO(pack(data, AT)))
    top, rows = table_rows(wb["Summary"], "Owner")
    header = [c.value for c in wb["Summary"][top]]
    budget, variance = header.index("Budget"), header.index("Variance (total − budget)")
    expected = dict(
        company.execute(
            "SELECT owner, amount FROM budgets WHERE owner_dimension = 'alloc:business_unit' AND month = ?", [month]
        ).fetchall()
    )
    lines = {r[0]: r for r in rows if r[0] in UNITS}
    assert set(lines) == UNITS
    for unit, line in lines.items():
        assert cent(line[budget]) == cent(expected[unit])
        assert cent(line[variance]) == cent(line[3]) - cent(expected[unit])


def test_without_budgets_for_the_dimension_the_columns_are_left_out_and_the_note_says_how_to_add_them(
    sample_db, tmp_path
):
    con = copy_with_rules(sample_db, tmp_path)
    try:
        assert not con.execute("SELECT count(*) FROM budgets WHERE owner_dimension = 'tag:env'").fetchall()[0][0]
        _, wb, _ = generate(con, owner="tag:env")
    finally:
        con.close()
    ws = wb["Summary"]
    top, _ = table_rows(ws, "Owner")
    header = [c.value for c in ws[top] if c.value is not None]
    assert "Budget" not in header and not any("Variance" in h for h in header)
    note = ws["A2"].value
    assert "No budgets for tag:env" in note and "data/budgets.csv" in note and "Forecast page" in note
    assert [c.value for c in ws[top + len(summary_lines(wb)) + 1]][0] == "Total"


def test_owner_workbooks_have_readable_file_names_and_a_cover_with_their_part_of_each_source(company):
    month = dt.date(2026, 5, 1)
    data = gather(DuckDBEngine(company), FX, PackRequest(month, month, "alloc:business_unit"))
    summary = {r[0]: r for r in summary_lines(openpyxl.load_workbook(io.BytesIO(pack(data, AT))))}
    with zipfile.ZipFile(io.BytesIO(owner_zip(data, AT))) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(f"showback-2026-05-{n}.xlsx" for n in ("Commerce", "Data-and-AI", "Platform"))
        cover = openpyxl.load_workbook(io.BytesIO(archive.read("showback-2026-05-Data-and-AI.xlsx")))["Cover"]
    _, sources = table_rows(cover, "Source")
    # Independent of the pack: the unit's cost per source file after allocation, by SQL on the store.
    raw = dict(
        company.execute(
            """
            SELECT s.x_SourceFile, sum(CAST(r.EffectiveCost AS DOUBLE) * CASE r.BillingCurrency WHEN 'USD' THEN 1
                   ELSE (SELECT usd_per_unit FROM read_csv(?) f WHERE f.currency = r.BillingCurrency
                         AND f.valid_from <= r.ChargeDay ORDER BY f.valid_from DESC LIMIT 1) END)
            FROM alloc_costs r JOIN sources s USING (x_SourceId)
            WHERE r."alloc:business_unit" = 'Data & AI' AND r.ChargeDay >= ? AND r.ChargeDay < ?
            GROUP BY 1
            """,
            [str(DEFAULT_FX_PATH), month, dt.date(2026, 6, 1)],
        ).fetchall()
    )
    assert {r[0] for r in sources} == set(raw)
    for source, _, direct, shared, total in sources:
        assert abs(cent(total) - cent(raw[source])) <= Decimal("0.01"), source
        assert cent(direct) + cent(shared) == cent(total)
    assert sum(cent(r[4]) for r in sources) == cent(summary["Data & AI"][3])  # its Summary line, not the company's
    company_total = sum(cent(r[3]) for r in summary.values())
    assert sum(cent(r[4]) for r in sources) < company_total


def test_the_showback_page_leaves_out_budget_columns_without_budgets_and_says_how_to_add_them(sample_copy, monkeypatch):
    from tests.app_fixtures import new_app

    monkeypatch.setenv("FINOPS_DB", str(sample_copy))
    at = new_app(page="app_pages/showback.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="showback_by").set_value("tag:team").run()
    assert {"Budget", "Variance"} <= set(at.dataframe[0].value.columns)  # the sample budgets its teams
    at.selectbox(key="showback_by").set_value("tag:env").run()
    assert not at.exception, [e.value for e in at.exception]
    frame = at.dataframe[0].value
    assert "Budget" not in frame.columns and "Variance" not in frame.columns
    assert not frame.isna().all().any()  # no column of blanks
    assert any("No budgets for tag:env" in c.value and "data/budgets.csv" in c.value for c in at.caption)
