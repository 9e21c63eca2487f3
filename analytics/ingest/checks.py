"""Values a file may hold that no page could use: refused on the staged FOCUS rows of every format,
naming the file, the row and the column, before anything is stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from analytics.ingest.report import IngestError
from analytics.ingest.tags import UnreadableTags, parse_tags
from analytics.schema import QUANTITY, TIME

# Cost data outside these years is a broken export (year -44, 0001, 9999 were seen), and such a
# value stored would break every date computation downstream (forecast, anomalies, the pages).
EARLIEST = dt.datetime(2000, 1, 1)
LATEST = dt.datetime(2100, 1, 1)
WINDOW = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
_MAX_EXAMPLES = 3


def refuse_impossible(con: duckdb.DuckDBPyConnection, path: Path, table: str, columns: dict[str, str]) -> None:
    """Times outside the window, a charge ending before it starts, non-finite quantities and tags
    that cannot be parsed, in temp table `table` (FOCUS columns and `_row`). `columns` is
    FOCUS column -> SQL type of the columns present."""
    problems: list[str] = []
    for name in [c for c, t in columns.items() if t == TIME]:
        problems += _first(
            con,
            table,
            name,
            f'"{name}" < $1 OR "{name}" > $2',
            f"is outside {WINDOW} (the dates this version accepts)",
            [EARLIEST, LATEST],
        )
    if {"ChargePeriodStart", "ChargePeriodEnd"} <= columns.keys():
        problems += _first(
            con,
            table,
            "ChargePeriodEnd",
            '"ChargePeriodEnd" < "ChargePeriodStart"',
            "is before ChargePeriodStart",
            [],
        )
    for name in [c for c, t in columns.items() if t == QUANTITY]:
        problems += _first(con, table, name, f'NOT isfinite("{name}")', "is not a finite number", [])
    if problems:
        raise IngestError(f"{path}: {'; '.join(problems[:_MAX_EXAMPLES])}")
    if "Tags" in columns:
        _refuse_unparseable_tags(con, path, table)


def _first(
    con: duckdb.DuckDBPyConnection, table: str, name: str, condition: str, problem: str, params: list[object]
) -> list[str]:
    found = con.execute(
        f'SELECT _row, CAST("{name}" AS VARCHAR) FROM {table} WHERE {condition} ORDER BY _row LIMIT 1', params
    ).fetchone()
    return [f"row {found[0]}, {name}: {found[1]} {problem}"] if found else []


def _refuse_unparseable_tags(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    """JSON that Python's parser cannot take at all (nested thousands deep, integers of thousands of
    digits): not tags anyone wrote, and storing them would fail later, outside any one file."""
    cursor = con.execute(f'SELECT "Tags", min(_row) FROM {table} WHERE "Tags" IS NOT NULL GROUP BY 1 ORDER BY 2')
    while batch := cursor.fetchmany(10_000):
        for raw, row in batch:
            try:
                parse_tags(str(raw))
            except UnreadableTags as exc:
                raise IngestError(f"{path}: row {row}, Tags: {exc}") from exc
