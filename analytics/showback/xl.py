"""Tables the way a finance reader expects them in Excel: a bold wrapped header, currency formats,
an Excel table (with its autofilter), frozen headers and landscape fit-to-width printing, laid out
on a grid.Sheet that render.py writes. Data text goes through `Sheet.text` (never a formula); only
the pack's own formulas are formulas, each with the value it computes."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from analytics.showback.grid import Sheet, Span, Style, TableSpec
from analytics.showback.safe import table_name

EXCEL_ROWS = 1_048_576  # rows in a worksheet
PERCENT = "0.0%"
INTEGER = "#,##0"
DATE = "yyyy-mm-dd"
TITLE = Style(bold=True, size=14, fit=False)
BOLD = Style(bold=True)
NOTE = Style(italic=True, color="555555", fit=False, wrap=True)
ASIDE = Style(italic=True, color="555555", fit=False)  # a note beside a table: one line, never wrapped
HEADER = Style(bold=True, fill="DDE4EE", header=True)
WRAP = Style(wrap=True)
ID_CAP = 40.0  # resource ids and file names: wider than this, they wrap
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


@functools.cache
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
    cap: float | None = None  # text: widest the column grows; longer values wrap
    currency: str | None = None  # for money: overrides the table's currency


@dataclass(frozen=True)
class Formula:
    """A formula cell's text and the value it computes (stored with it for readers that do not
    calculate)."""

    text: str
    value: Any


class TableNames:
    """The table names of one workbook (Excel wants them unique across sheets)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, wanted: str) -> str:
        return table_name(wanted, self.used)


def title(ws: Sheet, text: str, notes: Sequence[str] = (), across: int = 8) -> int:
    """Sheet title in A1 and notes below it, each merged across `across` columns and wrapped so it
    stays inside the printed width; returns the next free row."""
    ws.text(1, 1, text, TITLE)
    for i, note in enumerate(notes, start=2):
        ws.text(i, 1, note, NOTE)
        ws.spans.append(Span(i, 1, max(across, 1)))
    return 2 + len(notes)


@functools.cache  # one Style per kind and currency, shared by every cell
def number_style(kind: str, currency: str) -> Style:
    if kind == "money":
        return Style(number_format=money_format(currency))
    if kind == "unit":
        return Style(number_format=money_format(currency, 4))
    if kind == "percent":
        return Style(number_format=PERCENT)
    if kind == "integer":
        return Style(number_format=INTEGER)
    if kind == "date":
        return Style(number_format=DATE)
    return Style()


def write_value(ws: Sheet, row: int, col: int, value: Any, column: Column, currency: str) -> None:
    if value is None or (isinstance(value, float) and value != value):
        return  # NaN: nothing to show
    if column.kind == "text":
        ws.text(row, col, value, WRAP if column.cap else None)
        return
    style = number_style(column.kind, column.currency or currency)
    if isinstance(value, Formula):
        ws.formula(row, col, value.text, value.value, style)
    else:
        ws.put(row, col, value, style)


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
    ws: Sheet,
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
        ws.text(
            top - 1,
            len(columns) + 2,
            f"Capped: the last line adds up {folded:,} rows that do not fit in an Excel sheet.",
            ASIDE,
        )
    for col, column in enumerate(columns, start=1):
        ws.text(top, col, column.header, HEADER)
        if column.cap:
            ws.max_widths[col] = min(ws.max_widths.get(col, column.cap), column.cap)
    for r, values in enumerate(rows, start=top + 1):
        for col, (value, column) in enumerate(zip(values, columns, strict=True), start=1):
            write_value(ws, r, col, value, column, currency)
    last = top + len(rows)
    if rows:
        headers = tuple(str(ws.value(top, c)) for c in range(1, len(columns) + 1))
        ws.tables.append(TableSpec(names.new(name), top, 1, last, len(columns), headers))
    else:
        ws.text(top + 1, 1, "(none)", ASIDE)
    return top + 1, last


def finish(ws: Sheet, freeze: str, header_row: int | None = None) -> None:
    """Frozen panes, and the rows printed on every page: the table's header where the sheet is one
    table, else the sheet's title."""
    ws.freeze = freeze
    ws.repeat = (header_row, header_row) if header_row is not None else (1, 1)
