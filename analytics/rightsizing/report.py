"""The recommendations as records for JSON, CSV and Excel: money to the cent, utilisation to 0.1 %."""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
from openpyxl import Workbook

from analytics.cli_common import to_cent
from analytics.csv_safety import csv_bytes as safe_csv_bytes

# (column in the evaluation, name in JSON / files)
FIELDS: tuple[tuple[str, str], ...] = (
    ("resource_id", "resource_id"),
    ("resource_name", "resource_name"),
    ("owner", "owner"),
    ("account", "account"),
    ("provider", "provider"),
    ("region", "region"),
    ("current", "current"),
    ("proposed", "proposed"),
    ("action", "action"),
    ("monthly_savings", "monthly_savings"),
    ("risk", "risk"),
    ("monthly_cost", "monthly_cost"),
    ("cpu_stat", "cpu_stat"),
    ("cpu_pct", "cpu_percentile_pct"),
    ("cpu_after", "cpu_after_pct"),
    ("cpu_max", "cpu_max_pct"),
    ("mem_max", "mem_max_pct"),
    ("mem_after", "mem_after_pct"),
    ("hours", "data_hours"),
    ("price_source", "price_source"),
    ("commitment", "commitment"),
    ("committed_share", "committed_share"),
    ("committed_savings", "committed_savings"),
    ("frees_units", "frees_normalized_units_per_hour"),
    ("reason", "reason"),
    ("note", "note"),
)
MONEY = {"monthly_savings", "monthly_cost", "committed_savings"}
PERCENT = {"cpu_pct", "cpu_after", "cpu_max", "mem_max", "mem_after"}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready dict per recommendation (None for missing values)."""
    out = []
    for row in frame.to_dict("records"):
        record: dict[str, Any] = {}
        for column, name in FIELDS:
            value = row.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
                record[name] = None
            elif column in MONEY:
                record[name] = to_cent(float(value))
            elif column in PERCENT:
                record[name] = round(float(value), 1)
            elif isinstance(value, float):
                record[name] = round(value, 4)
            else:
                record[name] = value if isinstance(value, (int, bool)) else str(value)
        if record["action"] in ("keep", "insufficient_data"):
            record["proposed"] = None
        out.append(record)
    return out


def total_savings(frame: pd.DataFrame) -> float:
    """The sum of the rounded per-resource savings, so the total equals the sum of the lines shown."""
    return to_cent(sum(to_cent(float(v)) for v in frame["monthly_savings"])) if len(frame) else 0.0


def cash_savings(frame: pd.DataFrame) -> float:
    """The total without the share on commitment-covered hours, which frees commitment capacity
    rather than cash (algorithms.md §3); per line rounded like `total_savings`."""
    if not len(frame):
        return 0.0
    pairs = zip(frame["monthly_savings"], frame["committed_savings"].fillna(0.0), strict=True)
    return to_cent(sum(to_cent(float(s)) - to_cent(float(c)) for s, c in pairs))


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The recommendations with the file column names, as written to CSV and Excel."""
    return pd.DataFrame(records(frame), columns=[name for _, name in FIELDS])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The recommendations as CSV, text cells that would run as a formula made inert (see csv_safety)."""
    return safe_csv_bytes(table(frame))


def excel_bytes(frame: pd.DataFrame, title: str) -> bytes:
    """One sheet; every text cell is written as a string, never evaluated as a formula."""
    data = table(frame)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Rightsizing"
    sheet.append([title])
    sheet.append(list(data.columns))
    for row in data.itertuples(index=False):
        sheet.append([None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in row])
    for cells in sheet.iter_rows(min_row=1):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text starting with "=" stays text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
