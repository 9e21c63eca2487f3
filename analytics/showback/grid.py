"""A worksheet as plain data: cells (a formula with the value it computes), minimum and maximum
column widths, tables, a chart, merged notes and print set-up. The pack's sheets fill it and
render.py writes it. Holding a whole sheet before writing it is what lets the writer size columns
and wrapped rows to their content, and store each formula's value beside the formula."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from analytics.showback.safe import FORMULA_STARTS, clean_text

Value = str | int | float | Decimal | dt.date | None


@dataclass(frozen=True)
class Style:
    number_format: str | None = None
    bold: bool = False
    italic: bool = False
    size: int | None = None  # points; None: the workbook's 11
    color: str | None = None  # RRGGBB
    fill: str | None = None  # RRGGBB
    wrap: bool = False
    quote_prefix: bool = False  # text starting like a formula: Excel must never evaluate it
    fit: bool = True  # counts when its column is sized to content (titles and notes do not)
    header: bool = False  # a table's header: wraps, so it sizes its column by its longest word


_PLAIN = Style()


@dataclass
class Cell:
    value: Value
    style: Style = field(default_factory=Style)
    formula: str | None = None  # `value` is then what the formula computes, stored beside it


@dataclass(frozen=True)
class TableSpec:
    name: str
    top: int  # the header row
    left: int
    bottom: int
    right: int
    headers: tuple[str, ...]


@dataclass(frozen=True)
class LineChart:
    title: str
    y_title: str
    header_row: int  # the value column's header (the series name)
    first: int
    last: int
    category_col: int
    value_col: int
    anchor_row: int
    anchor_col: int
    width_cm: float = 16.0
    height_cm: float = 7.0


@dataclass(frozen=True)
class Span:
    """Cells merged across columns in one row (a note that wraps inside the printed width)."""

    row: int
    first_col: int
    last_col: int


class Sheet:
    """Rows and columns count from 1, as Excel names them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], Cell] = {}
        self.min_widths: dict[int, float] = {}
        self.max_widths: dict[int, float] = {}  # long ids: capped, and their cells wrap
        self.tables: list[TableSpec] = []
        self.charts: list[LineChart] = []
        self.spans: list[Span] = []
        self.freeze = "A2"
        self.repeat: tuple[int, int] | None = None  # rows printed at the top of every page

    def text(self, row: int, col: int, value: object, style: Style | None = None) -> None:
        """A string cell, never a formula whatever it starts with."""
        text = clean_text(value)
        base = style or _PLAIN
        self.cells[(row, col)] = Cell(
            text, replace(base, quote_prefix=True) if text.startswith(FORMULA_STARTS) else base
        )

    def put(self, row: int, col: int, value: Value, style: Style | None = None) -> None:
        """A number or a date (text goes through `text`)."""
        self.cells[(row, col)] = Cell(value, style or _PLAIN)

    def formula(self, row: int, col: int, formula: str, value: Value, style: Style | None = None) -> None:
        self.cells[(row, col)] = Cell(value, style or _PLAIN, formula)

    def restyle(self, row: int, col: int, **changes: object) -> None:
        cell = self.cells.get((row, col))
        if cell is None:
            cell = self.cells[(row, col)] = Cell(None)
        cell.style = replace(cell.style, **changes)  # type: ignore[arg-type]

    def value(self, row: int, col: int) -> Value:
        cell = self.cells.get((row, col))
        return None if cell is None else cell.value

    def total(self, col: int, first: int, last: int) -> Decimal:
        """What SUM over rows first..last of `col` computes: the numbers, exactly, text and blanks as 0."""
        amounts = (self.value(r, col) for r in range(first, last + 1))
        return sum((Decimal(str(v)) for v in amounts if isinstance(v, int | float | Decimal)), Decimal(0))

    def widen(self, col: int, width: float) -> None:
        self.min_widths[col] = max(self.min_widths.get(col, 0.0), width)

    @property
    def max_col(self) -> int:
        return max((c for _, c in self.cells), default=1)

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=1)
