"""The state of a store, to show that a refused input left it exactly as it was, and copies of stores."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from analytics.store import reader


def fingerprint(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """Per table: its name, row count and a hash over every row."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    return [(t, *con.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone()) for t in tables]  # type: ignore[misc]


def db_fingerprint(db: Path) -> list[tuple[object, ...]]:
    """The fingerprint of a store's current generation."""
    con = reader(db)
    try:
        return fingerprint(con)
    finally:
        con.close()


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a store (a folder) or of a single-file database, at `target`; no process's work."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("work", "spill", "write.lock"))
    else:
        shutil.copyfile(source, target)
    return target
