"""Small input files users bring beside their cost exports (utilisation metrics, business metrics):
read as text, checked line by line, and refused whole with every problem listed."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from analytics.engine import Connection
from analytics.store import first_line, transaction


class FileRefused(ValueError):
    """The file is refused; `problems` are one line each ("line 7, field value: ...")."""

    def __init__(self, source: str, problems: list[str], total: int | None = None) -> None:
        self.source = source
        self.problems = problems
        count = total if total is not None else len(problems)
        shown = "; ".join(problems[:3]) + (f"; and {count - 3} more" if count > 3 else "")
        super().__init__(f"{source}: {count} problem(s), nothing loaded: {shown}")


def read_rows(name: str, data: bytes | None = None, refused: type[FileRefused] = FileRefused) -> pd.DataFrame:
    """The rows of a CSV, CSV.gz or Parquet file, every cell as text (a Parquet file's numbers and
    dates too, so both go through the same checks); `data` when uploaded, else the file `name`."""
    source: Path | io.BytesIO = io.BytesIO(data) if data is not None else Path(name)
    lower = name.lower()
    try:
        if lower.endswith(".parquet"):
            frame = pd.read_parquet(source)
            return frame.astype(object).where(frame.notna(), "").astype(str)
        if lower.endswith(".gz"):
            return pd.read_csv(source, dtype=str, keep_default_na=False, compression="gzip")
        return pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise refused(name, [f"cannot read the file ({first_line(exc)})"]) from exc


def replace_rows(con: Connection, rows: pd.DataFrame, delete_sql: str, insert_sql: str) -> int:
    """Delete the stored rows that `rows` replace, then insert `rows`, all or nothing; both statements
    read the new rows as `_new`. Returns how many stored rows were replaced."""
    cur = con.cursor()
    try:
        cur.register("_new", rows)
        with transaction(cur):
            replaced = cur.execute(delete_sql).fetchall()
            cur.execute(insert_sql)
        cur.unregister("_new")
    finally:
        cur.close()
    return int(replaced[0][0]) if replaced else 0
