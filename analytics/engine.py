"""The one seam between the analytics and the database engine: SQL with bound parameters in,
a DataFrame out. DuckDB is the embedded default; a Spark SQL or Trino engine would implement
the same `query`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias

import duckdb
import pandas as pd

Params = Sequence[Any] | Mapping[str, Any]
# The embedded engine's connection and error, named here so that no other module imports DuckDB.
Connection: TypeAlias = duckdb.DuckDBPyConnection
EngineError: TypeAlias = duckdb.Error


class Engine(Protocol):
    def query(self, sql: str, params: Params = (), frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """Run `sql` with bound `params`; `frames` are small tables the query may name."""
        ...


def has_table(engine: Engine, name: str) -> bool:
    """Whether the database `engine` reads holds table or view `name`: a store, or one of its
    generations, written before the table existed lacks it."""
    frame = engine.query(
        "SELECT count(*) AS n FROM information_schema.tables "
        "WHERE table_name = ? AND table_catalog = current_database()",
        [name],
    )
    return bool(frame["n"].iloc[0])


class DuckDBEngine:
    """Runs each query on its own cursor, so one connection can serve several threads."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: Params = (), frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        cur = self.con.cursor()
        try:
            for name, frame in (frames or {}).items():
                cur.register(name, frame)
            return cur.execute(sql, params).df()
        finally:
            cur.close()
