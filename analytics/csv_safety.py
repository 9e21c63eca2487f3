"""Every CSV the product writes goes through here: a text cell that a spreadsheet would run as a
formula gets a leading apostrophe (OWASP "CSV Injection"), so a tag value or resource name chosen
by anyone who can tag a resource never executes when the file is opened. Numbers stay numbers:
-1.5 in a money column is written as -1.5; only text cells are escaped."""

from __future__ import annotations

from typing import TextIO

import pandas as pd

# Excel, LibreOffice and Google Sheets start a formula (or a DDE call) with any of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """`value` itself, or, for text starting like a formula, the text after an apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell made inert; numeric, date and boolean columns untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = pd.Series([inert(v) for v in series], index=out.index, dtype=object)
    out.columns = pd.Index([inert(c) for c in out.columns])  # a header is text a spreadsheet reads too
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV of `frame` (CRLF rows, so a CR or LF inside a cell is quoted), text cells inert."""
    return inert_frame(frame).to_csv(index=False, lineterminator="\r\n")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`csv_text` as UTF-8, for a download."""
    return csv_text(frame).encode("utf-8")


def write_csv(frame: pd.DataFrame, handle: TextIO) -> None:
    """`csv_text` written to an open text stream (stdout for the command line)."""
    handle.write(csv_text(frame))
