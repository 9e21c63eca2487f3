"""Values a file may hold that no page could use: refused on the staged FOCUS rows of every format,
naming the file, the row and the column, before anything is stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest.applied import refuse_bad_contract_applied
from analytics.ingest.report import IngestError
from analytics.ingest.tags import UnreadableTags, parse_tags
from analytics.schema import QUANTITY, TIME

# Cost data outside these years is a broken export (year -44, 0001, 9999 were seen), and such a
# value stored would break every date computation downstream (forecast, anomalies, the pages).
EARLIEST = dt.datetime(2000, 1, 1)
LATEST = dt.datetime(2100, 1, 1)
WINDOW = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
_MAX_EXAMPLES = 3


def refuse_impossible(con: Connection, path: Path, table: str, columns: dict[str, str]) -> None:
    """Times outside the window, a charge ending before it starts, non-finite quantities and tags
    that cannot be parsed, in temp table or view `table` (FOCUS columns and `_row`). `columns` is
    FOCUS column -> SQL type of the columns present. The first row of each kind, in one pass."""
    checks: list[tuple[str, str, str]] = []  # (column, failing condition, problem)
    for name in [c for c, t in columns.items() if t == TIME]:
        window = f"is outside {WINDOW} (the dates this version accepts)"
        checks.append((name, f'"{name}" < $1 OR "{name}" > $2', window))
    if {"ChargePeriodStart", "ChargePeriodEnd"} <= columns.keys():
        checks.append(("ChargePeriodEnd", '"ChargePeriodEnd" < "ChargePeriodStart"', "is before ChargePeriodStart"))
    for name in [c for c, t in columns.items() if t == QUANTITY]:
        checks.append((name, f'NOT isfinite("{name}")', "is not a finite number"))
    if checks:
        # The first failing row of each kind in one pass; the values only when one failed.
        firsts = ", ".join(f"min(_row) FILTER (WHERE {condition})" for _, condition, _ in checks)
        params = [EARLIEST, LATEST] if any("$1" in condition for _, condition, _ in checks) else []
        found = con.execute(f"SELECT {firsts} FROM {table}", params).fetchone() or ()
        problems = [
            f"row {row}, {name}: {_value(con, table, name, row)} {problem}"
            for (name, _, problem), row in zip(checks, found, strict=True)
            if row is not None
        ]
        if problems:
            raise IngestError(f"{path}: {'; '.join(problems[:_MAX_EXAMPLES])}")
    if "Tags" in columns:
        _refuse_unparseable_tags(con, path, table)
    if "ContractApplied" in columns:
        refuse_bad_contract_applied(con, path, table)


def _value(con: Connection, table: str, name: str, row: int) -> str:
    found = con.execute(f'SELECT CAST("{name}" AS VARCHAR) FROM {table} WHERE _row = ?', [row]).fetchone()
    return str(found[0]) if found else ""


def _refuse_unparseable_tags(con: Connection, path: Path, table: str) -> None:
    """JSON that Python's parser cannot take at all (nested thousands deep, integers of thousands of
    digits): not tags anyone wrote, and storing them would fail later, outside any one file."""
    cursor = con.execute(f'SELECT "Tags", min(_row) FROM {table} WHERE "Tags" IS NOT NULL GROUP BY 1 ORDER BY 2')
    while batch := cursor.fetchmany(10_000):
        for raw, row in batch:
            try:
                parse_tags(str(raw))
            except UnreadableTags as exc:
                raise IngestError(f"{path}: row {row}, Tags: {exc}") from exc
