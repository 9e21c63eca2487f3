"""FOCUS export: the normalised line items as one Parquet file with exactly the FOCUS Cost and Usage
columns, typed as FOCUS says (costs DECIMAL, quantities and unit prices DOUBLE, timestamps UTC, Tags
and SkuPriceDetails JSON text), and nothing else (no `x_` provenance). 1.2 (the default): the 57
columns, one row per stored line item. 1.3: the 65 columns, with the lines of shared-cost pools
split per owner (analytics/export_split.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from analytics.engine import Connection
from analytics.export_split import FOCUS_13_ORDER, split_sql
from analytics.schema import FOCUS_12_COLUMNS, FOCUS_COLUMNS, MONEY, QUANTITY, TEXT, TIME

BATCH_ROWS = 100_000
FOCUS_VERSIONS = ("1.2", "1.3")
_ARROW_TYPES = {
    MONEY: pa.decimal128(38, 12),
    QUANTITY: pa.float64(),
    TEXT: pa.string(),
    TIME: pa.timestamp("us", tz="UTC"),  # stored naive and always UTC: the label makes that explicit
}


class ExportError(ValueError):
    """The export cannot be written; the message says why, in one line."""


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    rows: int


def focus_schema(version: str = "1.2") -> pa.Schema:
    """The Parquet schema of the export: the version's column order and types."""
    names = list(FOCUS_12_COLUMNS) if version == "1.2" else list(FOCUS_13_ORDER)
    return pa.schema([pa.field(name, _ARROW_TYPES[FOCUS_COLUMNS[name]]) for name in names])


def export_focus(
    con: Connection,
    out: Path,
    start: dt.date | None = None,
    end: dt.date | None = None,
    version: str = "1.2",
) -> ExportSummary:
    """Write the line items charged on UTC days [start, end] (inclusive; all when None) to `out`
    as FOCUS `version`."""
    check_request(out, start, end, version)
    where, params = _period(start, end)
    if version == "1.3":
        sql, params = split_sql(con, where, params)
    else:
        columns = ", ".join(f'"{name}"' for name in FOCUS_12_COLUMNS)
        sql = f"SELECT {columns} FROM line_items {where} ORDER BY ChargePeriodStart, BillingAccountId"
    schema = focus_schema(version)
    rows = 0
    reader = con.cursor().sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
    partial = out.with_name(out.name + ".partial")
    try:
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch.cast(schema))
                rows += batch.num_rows
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)  # a reader never sees half a file
    return ExportSummary(path=out, rows=rows)


def check_request(out: Path, start: dt.date | None = None, end: dt.date | None = None, version: str = "1.2") -> None:
    """Refuse, in one line, what cannot be exported (before any database is opened)."""
    if version not in FOCUS_VERSIONS:
        raise ExportError(f"--focus-version {version}: expected one of {', '.join(FOCUS_VERSIONS)}")
    if start and end and start > end:
        raise ExportError(f"--from {start} is after --to {end}")
    if out.suffix.lower() != ".parquet":
        raise ExportError(f"{out}: the export is Parquet; name the file *.parquet")
    if not out.parent.is_dir():
        raise ExportError(f"{out.parent}: no such directory")


def _period(start: dt.date | None, end: dt.date | None) -> tuple[str, list[object]]:
    bounds: list[str] = []
    params: list[object] = []
    if start is not None:
        bounds.append("ChargePeriodStart >= ?")
        params.append(dt.datetime.combine(start, dt.time()))
    if end is not None:
        bounds.append("ChargePeriodStart < ?")
        params.append(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return ("WHERE " + " AND ".join(bounds) if bounds else ""), params
