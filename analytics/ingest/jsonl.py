"""Newline-delimited JSON (the GCP billing export) into the same flat `_raw` table a CSV gives:
nested objects become dotted columns (`service.description`), arrays stay typed lists."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from analytics.engine import Connection, EngineError
from analytics.ingest.report import IngestError
from analytics.store import first_line


def read(con: Connection, path: Path, table: str, shown: Path | None = None) -> None:
    """Temp table `table` with a 1-based `_row` (the record's number, blank lines not counted) and
    one column per top-level field, objects flattened one level into `parent.child` columns.
    Messages name `shown` (the file as the user knows it; default `path`)."""
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _json AS SELECT row_number() OVER () AS _row, * "
            "FROM read_json(?, format = 'newline_delimited')",
            [str(path)],
        )
    except EngineError as exc:
        # DuckDB's own line number is off by one when a line is cut inside a string, so the first
        # bad line is found again with Python's parser (only on this failure path).
        message = _first_bad_line(path) or first_line(exc).removeprefix("Invalid Input Error: ")
        raise IngestError(f"{shown or path}: not readable newline-delimited JSON ({message})") from exc
    try:
        _keep_json_values(con, path)
        selects = ["_row"]
        for name, type_, *_ in con.execute("DESCRIBE _json").fetchall():
            if name == "_row":
                continue
            # A STRUCT, not a list of them (`STRUCT(...)[]`), which stays one column like in the CSV.
            is_object = type_.startswith("STRUCT(") and type_.endswith(")")
            fields = _struct_fields(con, name) if is_object else None
            if fields is None:
                selects.append(ident(name))
            else:
                selects += [f"struct_extract({ident(name)}, {_literal(f)}) AS {ident(f'{name}.{f}')}" for f in fields]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(selects)} FROM _json")
    finally:
        con.execute("DROP TABLE IF EXISTS _json")


def _keep_json_values(con: Connection, path: Path) -> None:
    """FOCUS columns whose value is a JSON object (Tags, SkuPriceDetails) are read again as JSON text:
    flattened into `Tags.<key>` columns they would be ignored, and every tag lost."""
    types = {name: type_ for name, type_, *_ in con.execute("DESCRIBE _json").fetchall() if name != "_row"}
    kept = [n for n, t in types.items() if n.strip().lower() in _JSON_COLUMNS and not t.endswith("]")]
    if not any(types[n].startswith(("STRUCT(", "MAP(")) for n in kept):
        return
    columns = {name: "JSON" if name in kept else type_ for name, type_ in types.items()}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _json AS SELECT row_number() OVER () AS _row, * "
        "FROM read_json(?, format = 'newline_delimited', columns = ?)",
        [str(path), columns],
    )


_JSON_COLUMNS = {"tags", "skupricedetails", "allocatedtags"}


def _first_bad_line(path: Path) -> str | None:
    with path.open("rb") as raw:
        opener = gzip.open if raw.read(2) == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return f"line {number}, column {exc.colno}: {exc.msg}"
            except RecursionError:
                return f"line {number}: nested too deeply to read (hundreds of levels)"
            except ValueError as exc:  # an integer of more than 4,300 digits
                return f"line {number}: {str(exc).split(':')[0]}"
            if not isinstance(value, dict):
                return f"line {number}: not a JSON object"
    return None


def _struct_fields(con: Connection, column: str) -> list[str] | None:
    """The field names of a STRUCT column (the same on every row), or None if it is always null."""
    found = con.execute(
        f"SELECT json_keys(to_json({ident(column)})) FROM _json WHERE {ident(column)} IS NOT NULL LIMIT 1"
    ).fetchone()
    return list(found[0]) if found else None


# Field names come from the file: they are escaped as identifiers and string literals, never spliced raw.
def ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
