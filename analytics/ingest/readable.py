"""Refusing a provider file whose value cannot be read, naming the source field as the user knows it
(`cost/myCost`, not the FOCUS column it feeds), before any mapping computes with it."""

from __future__ import annotations

from pathlib import Path

from analytics.engine import Connection
from analytics.ingest.focus import RAW, drop
from analytics.ingest.jsonl import ident
from analytics.ingest.report import IngestError

# (source field, SQL of its text in `_raw r`, SQL true when the text is unreadable, what it should be)
Check = tuple[str, str, str, str]


def refuse_unreadable(con: Connection, path: Path, checks: list[Check]) -> None:
    """Raise for the first row (1-based) whose value is empty or unreadable, field by field.
    The SQL fragments are constants of the calling module; no data value is spliced in."""
    for field, value, bad, what in checks:
        found = con.execute(
            f"SELECT r._row, {value} FROM {RAW} r WHERE {value} IS NULL OR {bad} ORDER BY r._row LIMIT 1"
        ).fetchone()
        if found:
            problem = "is empty" if found[1] is None else f"{found[1]!r} is not {what}"
            raise IngestError(f"{path}: row {found[0]}, {field}: {problem}")


def number(value: str) -> str:
    """SQL true when the text `value` is not a decimal number (scientific notation is one)."""
    return f"try_cast(trim({value}) AS DECIMAL(38,12)) IS NULL"


def as_text(con: Connection) -> None:
    """Make every column of `_raw` text, as a CSV of the same export would be: the Azure and OCI
    mappings trim, compare and parse text, and a typed Parquet column (a DOUBLE cost, a TIMESTAMP
    date) has no trim. Numbers become their shortest exact text, nested values JSON."""
    types = [(r[0], str(r[1]).upper()) for r in con.execute(f"DESCRIBE {RAW}").fetchall() if r[0] != "_row"]
    if all(kind == "VARCHAR" for _, kind in types):
        return
    quoted = [(ident(name), kind) for name, kind in types]
    selects = ", ".join(f"{_text(column, kind)} AS {column}" for column, kind in quoted)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _raw_text AS SELECT _row, {selects} FROM {RAW}")
    drop(con, RAW)  # a view over a Parquet file
    con.execute(f"ALTER TABLE _raw_text RENAME TO {RAW}")


def _text(column: str, kind: str) -> str:
    if kind == "VARCHAR":
        return column
    if kind.startswith(("MAP", "STRUCT")) or kind.endswith("]"):
        return f"CAST(to_json({column}) AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"
