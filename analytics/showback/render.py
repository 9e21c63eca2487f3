"""Writing a pack's sheets (grid.Sheet) to .xlsx with XlsxWriter.

Why XlsxWriter and not openpyxl for writing: a formula cell must carry its computed value, or
pandas, openpyxl with data_only=True, file previews and most importers read the pack's totals as
blank. openpyxl writes formulas with an empty cached value and cannot do otherwise; XlsxWriter's
write_formula(..., value=) stores both, and it also writes print set-up (footers, repeated rows)
that LibreOffice and Excel honour. openpyxl stays for reading packs back in tests and tools.

Columns are sized to their content here, because only here is the whole sheet known: numbers as
they will be displayed, text up to a cap beyond which it wraps, and every row that holds wrapped
text gets the height of its lines (no client computes that for merged or wrapped cells on open)."""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from analytics.showback.grid import Cell, Sheet, Style

LINE_POINTS = 15.0  # a row of 11-point text
WRAPPED_LINE_POINTS = 14.0  # each line of 11-point text wrapped in a cell
TEXT_CAP = 60.0  # widest a text column grows before its cells wrap
MIN_WIDTH = 6.0
BOLD_FACTOR = 1.08  # bold text is wider
DEFAULT_WIDTH = 8.43  # a column's width when none is set
AVERAGE_CHAR = 0.9


def _number_text(value: float, number_format: str) -> str:
    if "%" in number_format:
        return f"{value * 100:.1f}%"
    decimals = 4 if "0.0000" in number_format else 2 if "0.00" in number_format else 0
    text = f"{value:,.{decimals}f}"
    return f"-${text}" if value < 0 else f"${text}"  # a symbol or a code: about as wide


def display_text(cell: Cell) -> str:
    """About what a reader sees in the cell, to size its column."""
    value, number_format = cell.value, cell.style.number_format or ""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return "2026-01-01"
    if isinstance(value, int | float | Decimal):
        text = _number_text(float(value), number_format)
        return text + " USD" if '"' in number_format and "$" not in number_format else text
    return str(value)


def _chars(text: str, style: Style) -> float:
    return len(text) * (BOLD_FACTOR if style.bold else 1.0) * ((style.size or 11) / 11)


def column_widths(sheet: Sheet) -> dict[int, float]:
    """Each used column's width in characters: its content, capped, never below its minimum."""
    spanned = {(s.row, c) for s in sheet.spans for c in range(s.first_col, s.last_col + 1)}
    fitted: dict[int, float] = {}
    for (row, col), cell in sheet.cells.items():
        if not cell.style.fit or (row, col) in spanned:
            continue
        text = display_text(cell)
        if cell.style.header:
            words = text.split()
            # A header wraps onto two lines at most, and never inside a word.
            need = max(max((len(w) for w in words), default=0) * BOLD_FACTOR, _chars(text, cell.style) / 2 + 2)
        else:
            need = _chars(text, cell.style)
        fitted[col] = max(fitted.get(col, 0.0), need + 2)
    widths = {}
    for col in range(1, sheet.max_col + 1):
        cap = sheet.max_widths.get(col, TEXT_CAP)
        width = max(MIN_WIDTH, min(fitted.get(col, MIN_WIDTH), cap))
        widths[col] = round(max(width, sheet.min_widths.get(col, 0.0)), 1)
    return widths


def _lines(text: str, style: Style, width: float) -> int:
    """Lines of `text` wrapped in `width` characters: a column's width counts digits; the average
    letter of prose is narrower (AVERAGE_CHAR of a digit in Calibri and its metric twin Carlito)."""
    # Ids (no spaces) are mostly digits and hex, as wide as the digit a width counts; words are narrower.
    average = AVERAGE_CHAR if style.header or " " in text else 1.0
    scale = (BOLD_FACTOR if style.bold or style.header else 1.0) * ((style.size or 11) / 11) * average
    room = max(int((width - 1.5) / scale), 1)
    if len(text) <= room and "\n" not in text:
        return 1
    wrap = textwrap.TextWrapper(room, break_long_words=True, break_on_hyphens=True)
    # Clients also break a line after a slash (paths, resource ids): give textwrap the same chance.
    return sum(max(len(wrap.wrap(part.replace("/", "/ "))), 1) for part in text.split("\n"))


def row_heights(sheet: Sheet, widths: dict[int, float]) -> dict[int, float]:
    """Points for every used row: the lines of its tallest wrapped cell (titles are taller)."""
    span_width = {
        (s.row, s.first_col): sum(widths.get(c, DEFAULT_WIDTH) for c in range(s.first_col, s.last_col + 1))
        for s in sheet.spans
    }
    heights: dict[int, float] = {}
    for (row, col), cell in sheet.cells.items():
        scale = (cell.style.size or 11) / 11
        height = LINE_POINTS * scale
        if (cell.style.wrap or cell.style.header) and isinstance(cell.value, str):
            lines = _lines(cell.value, cell.style, span_width.get((row, col), widths.get(col, TEXT_CAP)))
            if lines > 1:
                height = math.ceil(lines * WRAPPED_LINE_POINTS * scale + 3)
        heights[row] = max(heights.get(row, LINE_POINTS), height)
    return heights


A4_LANDSCAPE = (841.89, 595.28)  # points
MARGINS = (0.7, 0.7, 0.75, 0.75)  # inches, left, right, top, bottom: XlsxWriter's (and Excel's) defaults


def column_points(width: float) -> float:
    """A width in characters as points (Calibri 11: 7 pixels a character and 5 of padding)."""
    return int(width * 7 + 5) * 0.75


def print_scale(sheet: Sheet, widths: dict[int, float]) -> float:
    """The zoom that fits the sheet's columns (and its chart) to one page wide; never above 100 %."""
    used = max([sheet.max_col, *(s.last_col for s in sheet.spans)])  # merged notes print too
    right = sum(column_points(widths.get(c, DEFAULT_WIDTH)) for c in range(1, used + 1))
    for chart in sheet.charts:
        start = sum(column_points(widths.get(c, DEFAULT_WIDTH)) for c in range(1, chart.anchor_col))
        right = max(right, start + chart.width_cm / 2.54 * 72)
    return min(1.0, (A4_LANDSCAPE[0] - 72 * (MARGINS[0] + MARGINS[1])) / right)


def _keeps_with_next(sheet: Sheet, row: int, width: int) -> bool:
    """A table's header, or a heading alone on its row: never the last line of a page."""
    cells = [sheet.cells[(row, c)] for c in range(1, width + 1) if (row, c) in sheet.cells]
    if any(cell.style.header for cell in cells):
        return True
    return len(cells) == 1 and cells[0].style.bold and (row, 1) in sheet.cells


def page_breaks(sheet: Sheet, widths: dict[int, float], heights: dict[int, float]) -> list[int]:
    """The rows that start a new printed page. Planned here rather than left to the client, so a
    heading or a header is never stranded at a page's foot, and a page never splits a wrapped row."""
    body = (A4_LANDSCAPE[1] - 72 * (MARGINS[2] + MARGINS[3])) / print_scale(sheet, widths)
    repeat = sheet.repeat
    repeated = sum(heights.get(r, LINE_POINTS) for r in range(repeat[0], repeat[1] + 1)) if repeat else 0.0
    breaks: list[int] = []
    filled, width = 0.0, sheet.max_col
    for row in range(1, sheet.max_row + 1):
        height = heights.get(row, LINE_POINTS)
        if filled + height > body and row > 1:
            start = row
            while start - 1 > max(breaks[-1] if breaks else 1, 2) and _keeps_with_next(sheet, start - 1, width):
                start -= 1
            breaks.append(start)
            filled = repeated + sum(heights.get(r, LINE_POINTS) for r in range(start, row))
        filled += height
    return breaks


class _Formats:
    """XlsxWriter formats belong to their workbook: one per distinct style."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.made: dict[Style, Format] = {}

    def __call__(self, style: Style) -> Format:
        if style not in self.made:
            spec: dict[str, Any] = {"valign": "top"}
            if style.number_format:
                spec["num_format"] = style.number_format
            if style.bold or style.header:
                spec["bold"] = True
            if style.italic:
                spec["italic"] = True
            if style.size:
                spec["font_size"] = style.size
            if style.color:
                spec["font_color"] = "#" + style.color
            if style.fill:
                spec["bg_color"] = "#" + style.fill
            if style.wrap or style.header:
                spec["text_wrap"] = True
            if style.quote_prefix:
                spec["quote_prefix"] = True
            self.made[style] = self.book.add_format(spec)
        return self.made[style]


def _write_cell(ws: Worksheet, row: int, col: int, cell: Cell, fmt: Format) -> None:
    value = cell.value
    if isinstance(value, Decimal):
        value = float(value)
    if cell.formula is not None:
        ws.write_formula(row, col, cell.formula, fmt, "" if value is None else value)
    elif value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)  # never write(): it would turn "=..." into a formula
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


def _sheet(book: Workbook, formats: _Formats, sheet: Sheet, footer: str) -> None:
    ws = book.add_worksheet(sheet.name)
    widths = column_widths(sheet)
    for col, width in widths.items():
        ws.set_column(col - 1, col - 1, width)
    heights = row_heights(sheet, widths)
    for row, height in heights.items():
        ws.set_row(row - 1, height)
    breaks = page_breaks(sheet, widths, heights)
    if breaks:
        ws.set_h_pagebreaks([row - 1 for row in breaks])  # XlsxWriter: the break falls after that row
    spans = {(s.row, s.first_col): s for s in sheet.spans}
    for (row, col), cell in sorted(sheet.cells.items()):
        span = spans.get((row, col))
        if span is not None:
            value = "" if cell.value is None else str(cell.value)
            ws.merge_range(row - 1, col - 1, row - 1, span.last_col - 1, value, formats(cell.style))
        else:
            _write_cell(ws, row - 1, col - 1, cell, formats(cell.style))
    for t in sheet.tables:
        header = {h: formats(sheet.cells[(t.top, t.left + i)].style) for i, h in enumerate(t.headers)}
        columns = [{"header": h, "header_format": header[h]} for h in t.headers]
        options = {"name": t.name, "style": "Table Style Light 9", "columns": columns}
        ws.add_table(t.top - 1, t.left - 1, t.bottom - 1, t.right - 1, options)
    for c in sheet.charts:
        chart = book.add_chart({"type": "line"})
        name = sheet.name.replace("'", "''")
        chart.add_series(
            {
                "name": [sheet.name, c.header_row - 1, c.value_col - 1],
                "categories": f"='{name}'!${_letter(c.category_col)}${c.first}:${_letter(c.category_col)}${c.last}",
                "values": f"='{name}'!${_letter(c.value_col)}${c.first}:${_letter(c.value_col)}${c.last}",
                "line": {"width": 1.5},
            }
        )
        chart.set_title({"name": c.title})
        chart.set_y_axis({"name": c.y_title, "num_format": "#,##0"})
        chart.set_x_axis({"date_axis": True, "num_format": "yyyy-mm-dd"})
        chart.set_legend({"none": True})
        chart.set_size({"width": c.width_cm / 2.54 * 96, "height": c.height_cm / 2.54 * 96})
        ws.insert_chart(c.anchor_row - 1, c.anchor_col - 1, chart)
    ws.hide_gridlines(2)
    ws.freeze_panes(sheet.freeze)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
    if sheet.repeat is not None:
        ws.repeat_rows(sheet.repeat[0] - 1, sheet.repeat[1] - 1)
    ws.set_footer(footer, {"margin": 0.2})


def _letter(col: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return str(xl_col_to_name(col - 1))


def footer(generated_at: dt.datetime) -> str:
    """Sheet name, page number and generation time on every printed page."""
    stamp = generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"&L&8&A&C&8Page &P of &N&R&8Generated {stamp}"


def to_bytes(sheets: Iterable[Sheet], generated_at: dt.datetime) -> bytes:
    """The workbook of `sheets`, in order, dated `generated_at` (so nothing else in it moves)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    naive = generated_at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    book.set_properties({"author": "FinOps Lens", "created": naive})
    formats = _Formats(book)
    text = footer(generated_at)
    for sheet in sheets:
        _sheet(book, formats, sheet, text)
    book.close()
    return out.getvalue()
