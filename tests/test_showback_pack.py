"""Showback packs reopened with openpyxl: owner totals, shared costs and the reconciliation tie out
to independent SQL on the raw line items, to the cent."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import openpyxl
import pytest

from analytics.cli_common import to_cent
from analytics.engine import DuckDBEngine
from analytics.ingest.run import ingest_paths
from analytics.queries import UnknownDimension
from analytics.showback import xl
from analytics.showback.data import ShowbackError, gather
from analytics.showback.request import PackRequest
from analytics.showback.words import NO_OWNER, ROUNDING
from analytics.showback.workbook import pack
from tests.realdata import FOCUS_SAMPLE
from tests.showback_helpers import (
    AT,
    FX,
    MONTH,
    POOL_RULES,
    SUPPORT,
    cent,
    copy_with_rules,
    generate,
    raw_by_team,
    summary_lines,
    table_rows,
)


@pytest.fixture
def plain(sample_db, tmp_path):
    con = copy_with_rules(sample_db, tmp_path)
    yield con
    con.close()


def test_owner_totals_equal_an_independent_sum_of_the_raw_line_items_to_the_cent(plain):
    _, wb, _ = generate(plain)
    expected = raw_by_team(plain)
    rows = summary_lines(wb)
    owners = {r[0]: r for r in rows if r[0] not in ("Total", NO_OWNER, ROUNDING)}
    assert set(owners) == {k for k in expected if k is not None}
    for team, row in owners.items():
        direct, shared, total = row[1], row[2], row[3]
        assert shared == 0  # no pools in these rules
        # Exactly what the query layer prints for the owner: its exact amount rounded half-up once.
        assert cent(total) == cent(to_cent(expected[team])), team
        assert cent(direct) == cent(total)
    no_owner = next(r for r in rows if r[0] == NO_OWNER)
    assert cent(no_owner[3]) == cent(to_cent(expected[None]))
    # With the explicit Rounding line, the lines add up to the raw grand total rounded once.
    rounding = next(r for r in rows if r[0] == ROUNDING)
    assert cent(rounding[1]) == cent(rounding[3]) and cent(rounding[2]) == 0
    assert sum(cent(r[3]) for r in rows) == cent(sum(expected.values()))
    for row in rows:
        assert cent(row[1]) + cent(row[2]) == cent(row[3]), row[0]


def test_the_total_row_is_sum_formulas_over_exactly_the_owner_rows(plain):
    _, wb, _ = generate(plain)
    ws = wb["Summary"]
    top, rows = table_rows(ws, "Owner")
    total_row = top + len(rows)
    assert ws.cell(row=total_row, column=1).value == "Total"
    first, last = top + 1, total_row - 1
    for col in "BCDEFHI":
        assert ws[f"{col}{total_row}"].value == f"=SUM({col}{first}:{col}{last})"
    table = ws.tables["Summary"]
    assert table.ref == f"A{top}:I{last}"  # the total row stays outside the table and its filter
    assert ws.freeze_panes == f"B{top + 1}"


def test_the_reconciliation_difference_is_zero_in_every_currency(plain):
    _, wb, _ = generate(plain)
    ws = wb["Reconciliation"]
    _, rows = table_rows(ws, "Currency")
    currencies = {r[0] for r in plain.execute("SELECT DISTINCT BillingCurrency FROM line_items").fetchall()}
    assert {r[0] for r in rows[:-1]} == currencies
    for _, _, source, direct, shared, unallocated, rounding, difference, check in rows:
        assert difference == 0
        assert cent(source) == cent(direct) + cent(shared) + cent(unallocated) + cent(rounding)
        assert abs(cent(rounding)) <= cent(0.01) * 20  # half a cent at most per owner line
        assert re.fullmatch(r"=ROUND\(C(\d+)-D\1-E\1-F\1-G\1,2\)", check)
    raw = dict(
        plain.execute(
            "SELECT BillingCurrency, sum(EffectiveCost) FROM line_items WHERE ChargePeriodStart >= ? "
            "AND ChargePeriodStart < ? GROUP BY 1",
            [MONTH, "2026-06-01"],
        ).fetchall()
    )
    for row in rows[:-1]:
        assert cent(row[2]) == cent(raw[row[0]])


def test_the_reconciliation_is_built_from_the_summary_lines_and_its_total_row(sample_db, tmp_path):
    con = copy_with_rules(sample_db, tmp_path, POOL_RULES)
    try:
        _, wb, _ = generate(con)
    finally:
        con.close()
    summary = summary_lines(wb)
    owners = [r for r in summary if r[0] not in (NO_OWNER, ROUNDING)]
    (no_owner,) = [r for r in summary if r[0] == NO_OWNER]
    (rounding,) = [r for r in summary if r[0] == ROUNDING]
    _, recon = table_rows(wb["Reconciliation"], "Currency")
    reporting = recon[-1]
    assert cent(reporting[3]) == sum(cent(r[1]) for r in owners)
    assert cent(reporting[4]) == sum(cent(r[2]) for r in owners) > 0
    assert cent(reporting[5]) == cent(no_owner[3])
    assert cent(reporting[6]) == cent(rounding[3])
    # The total row's SUM(D) is the Reconciliation's source total, to the cent.
    assert sum(cent(r[3]) for r in summary) == cent(reporting[2])
    assert sum(cent(r[2]) for r in summary) == cent(reporting[4])


def test_shared_costs_distributed_add_up_to_the_raw_pool_total(sample_db, tmp_path):
    con = copy_with_rules(sample_db, tmp_path, POOL_RULES)
    try:
        _, wb, _ = generate(con)
        marks = ", ".join("?" for _ in SUPPORT)
        pool = raw_by_team(con, f"li.ServiceName IN ({marks.replace('?', '%s')})" % tuple(repr(s) for s in SUPPORT))
        everything = raw_by_team(con)
    finally:
        con.close()
    pool_total = sum(pool.values())
    assert pool_total > 0
    _, pools = table_rows(wb["Shared costs"], "Pool")
    assert pools[0][0] == "Support" and "split among the values of tag:team" in pools[0][1]
    total, distributed, kept, rounding = (cent(v) for v in pools[0][4:8])
    assert total == cent(pool_total)
    assert total == distributed + kept + rounding and kept == 0
    summary = summary_lines(wb)
    shared = {r[0]: cent(r[2]) for r in summary}
    assert sum(shared.values()) == distributed
    top, _ = table_rows(wb["Shared costs"], "Pool")
    _, received = table_rows(wb["Shared costs"], "Pool", after=top)  # what each owner received
    assert {r[1]: cent(r[2]) for r in received} == {k: v for k, v in shared.items() if v}
    _, recon = table_rows(wb["Reconciliation"], "Currency")
    assert cent(recon[-1][4]) == distributed
    # Moving the pool changes who pays, never the total.
    assert sum(cent(r[3]) for r in summary) == cent(sum(everything.values()))


def test_budgets_and_variance_come_from_the_budgets_table(plain):
    _, wb, _ = generate(plain)
    budgets = dict(
        plain.execute(
            "SELECT owner, amount FROM budgets WHERE owner_dimension = 'tag:team' AND month = ? AND currency = 'USD'",
            [MONTH],
        ).fetchall()
    )
    assert budgets
    _, rows = table_rows(wb["Summary"], "Owner")
    for row in rows:
        if row[0] in budgets:
            assert cent(row[7]) == cent(budgets[row[0]])
            assert cent(row[8]) == cent(row[3]) - cent(budgets[row[0]])


def test_a_month_without_data_and_an_unknown_dimension_are_refused(plain):
    engine = DuckDBEngine(plain)
    with pytest.raises(ShowbackError, match="no charges in 2030-01"):
        future = MONTH.replace(year=2030, month=1)
        gather(engine, FX, PackRequest(future, future, "tag:team"))
    with pytest.raises(UnknownDimension, match="no tag key 'nope'"):
        gather(engine, FX, PackRequest(MONTH, MONTH, "tag:nope"))


def test_rows_beyond_the_sheet_limit_are_folded_into_one_line_that_says_so(plain, monkeypatch):
    monkeypatch.setattr(xl, "EXCEL_ROWS", 14)
    _, wb, _ = generate(plain)
    ws = wb["By service"]
    top, rows = table_rows(ws, "Owner")
    assert top + len(rows) <= 14
    assert rows[-1][0].startswith("all other ") and "row limit" in rows[-1][0]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Capped") for t in texts)
    everything = raw_by_team(plain)
    assert sum(cent(r[4]) for r in rows) == cent(sum(everything.values()))


def test_every_sheet_is_set_up_for_finance_readers(plain):
    _, wb, _ = generate(plain)
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        # fitToWidth absent is the format's default, 1; fitToHeight 0 is "as many pages as it takes".
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.freeze_panes, ws.title
    summary = wb["Summary"]
    assert summary["B6"].number_format.startswith('"$"#,##0.00')
    owner_sheet = wb[wb.sheetnames[3]]
    assert len(owner_sheet._charts) == 1
    assert AT.strftime("%Y-%m-%d %H:%M:%S") in [c.value for c in wb["Cover"]["B"]]


def test_a_metric_per_owner_adds_a_volume_and_a_unit_cost_column(plain, tmp_path):
    from analytics.unit_economics.metrics_ingest import load_metrics

    # search misses a day: its unit cost is a gap, never a cost over part of its volume
    days = [MONTH + dt.timedelta(days=i) for i in range(31)]
    lines = ["date,metric,value,dimension,owner"]
    lines += [f"{d},orders,{100 + i},tag:team,payments" for i, d in enumerate(days)]
    lines += [f"{d},orders,50,tag:team,search" for d in days[1:]]
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n")
    load_metrics(plain, str(tmp_path / "orders.csv"))
    _, wb, _ = generate(plain)
    header, rows = table_rows(wb["Summary"], "Owner")
    columns = [c.value for c in wb["Summary"][header]]
    assert columns[-2:] == ["orders (volume)", "Cost per orders"]
    by_owner = {r[0]: r for r in rows}
    expected = raw_by_team(plain)
    volume = sum(100 + i for i in range(31))
    assert by_owner["payments"][-2] == volume
    assert by_owner["payments"][-1] == pytest.approx(expected["payments"] / volume, abs=1e-4)
    assert by_owner["search"][-1] is None
    payments_row = header + 1 + [r[0] for r in rows].index("payments")
    assert wb["Summary"].cell(row=payments_row, column=len(columns)).number_format.startswith('"$"#,##0.0000')


def test_every_sub_table_adds_up_to_its_owners_summary_line_to_the_cent(sample_db, tmp_path):
    con = copy_with_rules(sample_db, tmp_path, POOL_RULES)
    try:
        _, wb, _ = generate(con)
    finally:
        con.close()
    summary = {r[0]: r for r in summary_lines(wb)}
    _, services = table_rows(wb["By service"], "Owner")
    for label, line in summary.items():
        mine = [r for r in services if r[0] == label]
        assert mine, label
        for column in (2, 3, 4):  # direct, shared, total
            assert sum(cent(r[column]) for r in mine) == cent(line[column - 1]), (label, column)
    assert sum(cent(r[4]) for r in services) == sum(cent(r[3]) for r in summary.values())
    owners = [label for label in summary if label not in (NO_OWNER, ROUNDING)]
    assert set(owners) <= set(wb.sheetnames)
    for label in owners:
        ws, total = wb[label], cent(summary[label][3])
        _, top = table_rows(ws, "Service")
        assert [sum(cent(r[c]) for r in top) for c in (1, 2, 3)] == [cent(summary[label][c]) for c in (1, 2, 3)]
        for header, column in (("Resource id", 2), ("Day (UTC)", 1)):
            _, rows = table_rows(ws, header)
            assert sum(cent(r[column]) for r in rows) == total, (label, header)
        _, coverage = table_rows(ws, "Tag key")
        assert all(cent(r[2]) == total and cent(r[1]) <= total for r in coverage)
    ws = wb["Unallocated"]
    no_owner = cent(summary[NO_OWNER][3])
    assert f"Total {no_owner:,.2f} USD" in ws["A2"].value
    for header, column in (("Service", 1), ("Resource id", 2)):
        _, rows = table_rows(ws, header)
        assert sum(cent(r[column]) for r in rows) == no_owner, header


@pytest.mark.slow
def test_a_pack_names_an_uploaded_file_by_its_own_name_not_the_servers_temp_folder(con, tmp_path):
    staged = tmp_path / "finops-upload-k2x9" / "focus costs.csv"  # how the app stages an upload
    staged.parent.mkdir()
    shutil.copy(FOCUS_SAMPLE, staged)
    ingest_paths(con, [str(staged)], "focus")
    data = gather(DuckDBEngine(con), FX, PackRequest(dt.date(2024, 9, 1), dt.date(2024, 9, 1), "ServiceName"))
    wb = openpyxl.load_workbook(io.BytesIO(pack(data, AT)), data_only=True)
    _, rows = table_rows(wb["Cover"], "Source")
    assert {r[0] for r in rows} == {"focus costs.csv (uploaded)"}
    cells = [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not [c for c in cells if "finops-upload-" in c or str(tmp_path) in c]


def test_gathering_a_pack_sends_each_statement_without_frames_once(plain):
    # Every spend() call re-checks its dimensions and re-reads the data's span; one gather reads one
    # snapshot, so those repeats are answered from memory (the page opens faster at 10M).
    sent: list[str] = []

    class Counting(DuckDBEngine):
        def query(self, sql, params=(), frames=None):
            if not frames:
                sent.append(f"{sql} {params!r}")
            return super().query(sql, params, frames)

    data = gather(Counting(plain), FX, PackRequest(MONTH, MONTH, "tag:team"))
    assert not data.owners.empty and len(sent) > 3
    assert len(sent) == len(set(sent))
