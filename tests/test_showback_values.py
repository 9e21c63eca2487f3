"""Every formula in a pack carries the value it computes, so readers that do not calculate (pandas,
openpyxl with data_only=True, file previews, importers) see the totals; the formula stays for audit."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from analytics.engine import DuckDBEngine
from analytics.showback.data import gather
from analytics.showback.request import PackRequest
from analytics.showback.workbook import owner_packs
from tests.showback_helpers import AT, FX, MONTH, POOL_RULES, cent, copy_with_rules, generate

SUM = re.compile(r"=SUM\(([A-Z]+)(\d+):\1(\d+)\)")
CHECK = re.compile(r"=ROUND\(C(\d+)-D\1-E\1-F\1-G\1,2\)")
RATIO = re.compile(r'=IF\(E(\d+)=0,"",F\1/ABS\(E\1\)\)')


@pytest.fixture(scope="module")
def packs(sample_db, tmp_path_factory):
    """The consolidated pack and the owners' packs of the sample with a shared-cost pool."""
    con = copy_with_rules(sample_db, tmp_path_factory.mktemp("values"), POOL_RULES)
    try:
        _, _, content = generate(con)
        data = gather(DuckDBEngine(con), FX, PackRequest(MONTH, MONTH, "tag:team"))
        owners = [content for _, content in owner_packs(data, AT)]
    finally:
        con.close()
    return [content, *owners[:3]]


def _number(value: object) -> Decimal:
    return Decimal(0) if value is None or value == "" else Decimal(str(value))


def _expected(formula: str, values: openpyxl.worksheet.worksheet.Worksheet) -> object:
    """Python's own result of one of the pack's formulas, from the values stored in the cells."""
    if m := SUM.fullmatch(formula):
        column, first, last = m.group(1), int(m.group(2)), int(m.group(3))
        return sum((_number(values[f"{column}{r}"].value) for r in range(first, last + 1)), Decimal(0))
    if m := CHECK.fullmatch(formula):
        row = m.group(1)
        c, d, e, f, g = (_number(values[f"{col}{row}"].value) for col in "CDEFG")
        return (c - d - e - f - g).quantize(Decimal("0.01"))
    if m := RATIO.fullmatch(formula):
        before, change = _number(values[f"E{m.group(1)}"].value), _number(values[f"F{m.group(1)}"].value)
        return "" if before == 0 else change / abs(before)
    raise AssertionError(f"a formula this test does not know how to compute: {formula}")


@pytest.mark.slow
def test_every_formula_stores_the_value_python_computes_to_the_cent_on_every_sheet(packs):
    checked = 0
    for content in packs:
        formulas = openpyxl.load_workbook(io.BytesIO(content))
        stored = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
        for ws in formulas:
            values = stored[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type != "f":
                        continue
                    value = values[cell.coordinate].value
                    expected = _expected(str(cell.value), values)
                    where = f"{ws.title}!{cell.coordinate} {cell.value}"
                    if expected == "":
                        assert value in ("", None), where
                    elif RATIO.fullmatch(str(cell.value)):
                        assert value == pytest.approx(float(str(expected)), abs=1e-9), where
                    else:
                        assert value is not None, f"{where}: no stored value"
                        assert cent(value) == cent(expected), where
                    checked += 1
    assert checked >= 8  # the Summary's total row and the Reconciliation's checks, at least


def test_pandas_reads_the_summary_total_row_as_the_sum_of_its_lines(packs):
    frame = pd.read_excel(io.BytesIO(packs[0]), sheet_name="Summary", header=None)
    header = frame.index[frame[0] == "Owner"][0]
    total = frame.index[frame[0] == "Total"][0]
    names = list(frame.loc[header])
    for column in ("Direct cost", "Shared cost received", "Total", "Previous period", "Change"):
        i = names.index(column)
        lines = [Decimal(str(v)) for v in frame.loc[header + 1 : total - 1, i] if pd.notna(v)]
        assert pd.notna(frame.loc[total, i]), column
        assert cent(frame.loc[total, i]) == cent(sum(lines, Decimal(0))), column
    recon = pd.read_excel(io.BytesIO(packs[0]), sheet_name="Reconciliation", header=None)
    top = recon.index[recon[0] == "Currency"][0]
    checks = recon.loc[top + 1 :, 8].dropna()
    assert len(checks) >= 2 and all(cent(v) == 0 for v in checks)
