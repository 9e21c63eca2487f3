"""One way to write numbers, everywhere (tiles, captions, tables, charts, exports' previews).

Money: a thousands separator, 2 decimals (0 for currencies without minor units) and its currency;
compact (K/M) on tiles. Percentages: 1 decimal, 0 on tiles. Unit costs (money per order, per GB)
are rates, often under one cent, so they keep 4 decimals. A missing value is a dash, never None."""

from __future__ import annotations

import math

DASH = "—"
SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
NO_DECIMALS = {"JPY"}

# printf formats for table columns (Streamlit's NumberColumn/ProgressColumn `format`). A table's
# numbers must use one of these: tests/test_app_tables.py walks every page's tables against them.
MONEY_FORMAT = "%,.2f"
WHOLE_FORMAT = "%,.0f"  # money without minor units (JPY) and counts kept as floats
UNIT_COST_FORMAT = "%,.4f"
SIGNED_UNIT_COST_FORMAT = "%+,.4f"
PERCENT_FORMAT = "%.1f%%"  # the column holds percent (12.3), not a fraction (0.123)
SIGNED_PERCENT_FORMAT = "%+.1f%%"
RATE_FORMAT = "%.5f"  # exchange rates: a rate, not an amount, read to 5 decimals as published
TABLE_FORMATS = frozenset(
    {
        MONEY_FORMAT,
        WHOLE_FORMAT,
        UNIT_COST_FORMAT,
        SIGNED_UNIT_COST_FORMAT,
        PERCENT_FORMAT,
        SIGNED_PERCENT_FORMAT,
        RATE_FORMAT,
    }
)


def missing(value: object) -> bool:
    """None, NaN, NaT and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))  # noqa: PLR0124
    except (TypeError, ValueError):
        return False


def money_format(currency: str) -> str:
    """The table format for amounts in `currency`."""
    return WHOLE_FORMAT if currency in NO_DECIMALS else MONEY_FORMAT


def money_text(amount: float | None, currency: str, compact: bool = False) -> str:
    """'$1,234.56', '-€12.30', '1,234.56 CAD'; compact: '$1.24M'. The minus sign always shows;
    a missing amount is a dash."""
    if amount is None or missing(amount):
        return DASH
    decimals = 0 if currency in NO_DECIMALS else 2
    rounded = round(float(amount), decimals)
    sign = "-" if rounded < 0 else ""
    size = abs(rounded)
    if compact and size >= 1000:
        for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if size >= limit:
                body = f"{size / limit:,.2f}{suffix}"
                break
    else:
        body = f"{size:,.{decimals}f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def amount_text(amount: float | None, currency: str) -> str:
    """'19,020.54': an amount under a header that names its currency (tables); a dash when missing."""
    if amount is None or missing(amount):
        return DASH
    decimals = 0 if currency in NO_DECIMALS else 2
    return f"{round(float(amount), decimals) + 0.0:,.{decimals}f}"


def pct_text(fraction: float | None, *, tile: bool = False, signed: bool = False) -> str:
    """A fraction as a percentage: 1 decimal ('12.3%'), 0 on a tile ('12%'); a dash when missing."""
    if fraction is None or missing(fraction):
        return DASH
    decimals = 0 if tile else 1
    sign = "+" if signed else ""
    return f"{float(fraction) * 100:{sign}.{decimals}f}%"
