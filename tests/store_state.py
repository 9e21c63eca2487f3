"""The state of a database, to show that a refused input left it exactly as it was."""

from __future__ import annotations

from pathlib import Path

import duckdb


def fingerprint(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """Per table: its name, row count and a hash over every row."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    return [(t, *con.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone()) for t in tables]  # type: ignore[misc]


def db_fingerprint(db: Path) -> list[tuple[object, ...]]:
    """The fingerprint of a database file, opened read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()
