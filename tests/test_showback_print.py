"""Packs printed or rendered look right: print set-up on every sheet, wrapped headers and notes with
the row height their lines need, long ids capped in width and wrapped, nothing cut off the page."""

from __future__ import annotations

import math

import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from tests.showback_helpers import AT, POOL_RULES, copy_with_rules, generate

LINE = 14.0  # points a wrapped line of 11-point text needs, at least


@pytest.fixture(scope="module")
def wb(sample_db, tmp_path_factory):
    con = copy_with_rules(sample_db, tmp_path_factory.mktemp("print"), POOL_RULES)
    try:
        _, book, _ = generate(con)
    finally:
        con.close()
    return book


def _width(ws, first: int, last: int) -> float:
    return sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(first, last + 1))


def test_every_sheet_prints_landscape_one_page_wide_with_repeated_rows_and_a_footer(wb):
    stamp = f"Generated {AT:%Y-%m-%d %H:%M} UTC"
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows, ws.title
        assert ws.freeze_panes, ws.title
        footer = ws.oddFooter
        assert footer.left.text == "&A" or "&A" in (footer.left.text or ""), ws.title  # the sheet's name
        assert "&P" in (footer.center.text or "") and stamp in (footer.right.text or ""), ws.title
    assert wb["Summary"].print_title_rows.startswith("$")  # the table's header row, on every page


def test_wrapped_headers_get_the_height_of_their_lines_and_never_cover_the_first_row(wb):
    checked = 0
    for ws in wb:
        for table in ws.tables.values():
            left, top, right, _ = range_boundaries(table.ref)
            height = ws.row_dimensions[top].height or 15.0
            for col in range(left, right + 1):
                text = str(ws.cell(row=top, column=col).value)
                width = _width(ws, col, col)
                assert ws.cell(row=top, column=col).alignment.wrap_text, (ws.title, text)
                assert max(len(w) for w in text.split()) <= width, (ws.title, text, width)  # no word is cut
                if len(text) > width - 1:  # it wraps: its row is as tall as two lines at least
                    assert height >= 2 * LINE, (ws.title, text, width, height)
                    checked += 1
    assert checked >= 5  # "Shared cost received", "Variance (total − budget)", the Reconciliation's headers


def test_long_ids_are_capped_in_width_and_wrap_in_a_row_tall_enough(wb):
    ws = wb["Unallocated"]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Resource id")
    width = _width(ws, 1, 1)
    assert width <= 42
    longest = 0
    for row in range(top + 1, ws.max_row + 1):
        cell = ws.cell(row=row, column=1)
        if not cell.value:
            break
        assert cell.alignment.wrap_text
        lines = math.ceil(len(str(cell.value)) / width)
        if lines > 1:
            assert (ws.row_dimensions[row].height or 15.0) >= lines * LINE * 0.8, (cell.value, lines)
        longest = max(longest, len(str(cell.value)))
    assert longest > width  # the sample has ids longer than the cap


def test_the_cover_gives_the_cost_basis_its_own_lines_and_notes_stay_inside_the_printed_width(wb):
    cover = wb["Cover"]
    row = next(r for r in range(1, 30) if cover.cell(row=r, column=1).value == "Cost basis")
    merged = next(m for m in cover.merged_cells.ranges if m.min_row == row and m.min_col == 2)
    # Prose: a letter is about 0.9 of the digit a column width counts.
    lines = math.ceil(0.9 * len(cover.cell(row=row, column=2).value) / _width(cover, merged.min_col, merged.max_col))
    assert lines >= 2 and (cover.row_dimensions[row].height or 15.0) >= lines * LINE
    assert cover.cell(row=row, column=2).alignment.wrap_text
    summary = wb["Summary"]
    table = summary.tables["Summary"]
    _, _, right, _ = range_boundaries(table.ref)
    for note_row in (2, 3):
        merged = next(m for m in summary.merged_cells.ranges if m.min_row == note_row)
        assert merged.min_col == 1 and merged.max_col <= right  # within the table's printed width
        text = summary.cell(row=note_row, column=1).value
        lines = math.ceil(len(text) / (_width(summary, 1, merged.max_col) * 1.2))
        assert summary.cell(row=note_row, column=1).alignment.wrap_text
        assert (summary.row_dimensions[note_row].height or 15.0) >= lines * LINE, (note_row, lines)
