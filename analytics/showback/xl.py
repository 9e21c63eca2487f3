"""Writing tables the way a finance reader expects them in Excel: a bold header, currency formats,
an Excel table (with its autofilter), sensible widths, frozen headers and landscape fit-to-width
printing. Data text goes through `safe.set_text`; only the pack's own SUM formulas are formulas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from analytics.showback.safe import set_text, table_name

EXCEL_ROWS = 1_048_576  # rows in a worksheet
PERCENT = "0.0%"
INTEGER = "#,##0"
DATE = "yyyy-mm-dd"
TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
NOTE = Font(italic=True, color="555555")
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money_format(currency: str, decimals: int = 2) -> str:
    """Two decimals (four for a unit cost), thousands separators, negatives red with a minus, and the
    currency shown."""
    code = re.sub(r"[^A-Z]", "", currency.upper())[:3] or "XXX"
    number = "#,##0." + "0" * decimals
    symbol = _SYMBOLS.get(code)
    if symbol:
        return f'"{symbol}"{number};[Red]-"{symbol}"{number}'
    return f'{number} "{code}";[Red]-{number} "{code}"'


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | money | unit (money per unit, 4 decimals) | percent | integer | date | formula
    width: float = 14.0
    currency: str | None = None  # for money: overrides the table's currency


class TableNames:
    """The table names of one workbook (Excel wants them unique across sheets)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, wanted: str) -> str:
        return table_name(wanted, self.used)


def title(ws: Worksheet, text: str, notes: Sequence[str] = ()) -> int:
    """Sheet title in A1 and notes below it; returns the next free row."""
    set_text(ws.cell(row=1, column=1), text)
    ws.cell(row=1, column=1).font = TITLE
    for i, note in enumerate(notes, start=2):
        set_text(ws.cell(row=i, column=1), note)
        ws.cell(row=i, column=1).font = NOTE
    return 2 + len(notes)


def write_value(ws: Worksheet, row: int, col: int, value: Any, column: Column, currency: str) -> None:
    cell = ws.cell(row=row, column=col)
    if value is None or (isinstance(value, float) and value != value):
        return  # NaN: nothing to show
    if column.kind == "text":
        set_text(cell, value)
        return
    if column.kind == "formula":
        cell.value = value  # the pack's own formulas, never data
    elif isinstance(value, Decimal):
        cell.value = float(value)
    else:
        cell.value = value
    if column.kind == "money":
        cell.number_format = money_format(column.currency or currency)
    elif column.kind == "unit":
        cell.number_format = money_format(column.currency or currency, 4)
    elif column.kind == "percent":
        cell.number_format = PERCENT
    elif column.kind == "integer":
        cell.number_format = INTEGER
    elif column.kind == "date":
        cell.number_format = DATE


def cap(rows: list[list[Any]], columns: Sequence[Column], room: int) -> tuple[list[list[Any]], int]:
    """At most `room` rows: beyond it, one last row adds up the money of the rows left out (so totals
    still tie out). Returns the rows and how many were folded into that last row."""
    if len(rows) <= room:
        return rows, 0
    kept, rest = rows[: room - 1], rows[room - 1 :]
    other: list[Any] = [None] * len(columns)
    other[0] = f"all other {len(rest):,} rows (beyond Excel's {EXCEL_ROWS:,}-row limit)"
    for i, column in enumerate(columns):
        if column.kind == "money":
            other[i] = sum((Decimal(str(r[i])) for r in rest if r[i] is not None), Decimal(0))
    return [*kept, other], len(rest)


def write_table(
    ws: Worksheet,
    top: int,
    columns: Sequence[Column],
    rows: list[list[Any]],
    names: TableNames,
    name: str,
    currency: str,
    reserve: int = 0,
) -> tuple[int, int]:
    """Header at row `top`, rows below it as an Excel table; `reserve` rows are kept free below the
    table (a total row). Returns (first, last) data row; last < first when there are no rows."""
    rows, folded = cap(rows, columns, EXCEL_ROWS - top - reserve)
    if folded:
        note = ws.cell(row=top - 1, column=len(columns) + 2)
        set_text(note, f"Capped: the last line adds up {folded:,} rows that do not fit in an Excel sheet.")
        note.font = NOTE
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(row=top, column=col)
        set_text(cell, column.header)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, column.width)
    for r, values in enumerate(rows, start=top + 1):
        for col, (value, column) in enumerate(zip(values, columns, strict=True), start=1):
            write_value(ws, r, col, value, column, currency)
    last = top + len(rows)
    if rows:
        ref = f"A{top}:{get_column_letter(len(columns))}{last}"
        table = Table(displayName=names.new(name), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    else:
        set_text(ws.cell(row=top + 1, column=1), "(none)")
        ws.cell(row=top + 1, column=1).font = NOTE
    return top + 1, last


def finish(ws: Worksheet, freeze: str, header_row: int | None = None) -> None:
    """Frozen panes, landscape fit-to-width printing, the header repeated on printed pages."""
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def new_sheet(wb: Workbook, name: str) -> Worksheet:
    ws = wb.create_sheet(name)
    ws.sheet_view.showGridLines = False
    return ws
