"""CSV files into the raw table, all text: the rule is that a file Python's `csv` module reads with
`strict=True` loads, with the same rows.

DuckDB reads the file with an explicit dialect (the header and delimiter are read here, not
guessed by its sniffer). When it cannot -- mixed line endings, rows longer than its line limit --
Python's csv module reads it instead, and the load report says so. Either way a row with more or
fewer fields than the header refuses the file, naming the row: a row cut off before its last
fields would otherwise load with empty costs. The one exception: a row may stop before columns
that no row of the file fills (a header naming more columns than the export writes), with a warning."""

from __future__ import annotations

import csv
import errno
import gzip
import io
import os
import shutil
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO, cast

import pyarrow as pa
from isal import igzip, isal_zlib

from analytics.engine import Connection, EngineError
from analytics.ingest.files import corrupt_gzip
from analytics.ingest.jsonl import ident
from analytics.ingest.report import IngestError, IngestReport
from analytics.store import first_line

FIELD_LIMIT = 32 << 20  # characters in one field (and DuckDB's bytes in one line)
NULLS = ("", "NULL", "null")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_HEADER_SAMPLE = 1 << 20
_CHUNK = 20_000
TEXT_ROOM = 40  # times a gzip's size the disk must have free to hold its text
# isal's stubs declare its error an instance, not the class it is.
_BROKEN_STREAM: tuple[type[Exception], ...] = (EOFError, OSError, cast(type[Exception], isal_zlib.error))
KEPT_SUFFIX = "_kept"  # the view of the columns read, under the view named `table` (see `read`)
CELLS_SUFFIX = "_cells"  # the table of what DuckDB read, under those views
Keep = Callable[[list[str]], Collection[str] | None]  # header -> the columns read (None: all)


def read(
    con: Connection,
    name: Path,
    data: Path,
    compression: str,
    report: IngestReport,
    table: str,
    keep: Keep | None = None,
) -> None:
    """Temp table or view `table`: a 1-based `_row` (blank lines not counted), then one text column
    per header field. `data` is the file parsed; messages name `name`, the file as the user knows it.
    `keep(header)` names the columns the caller reads (None: all); the others are NULL, which spares
    copying text nobody reads while every row's width is still checked."""
    header, delimiter = _header(name, data, compression)
    if delimiter != ",":
        report.fix(f"fields separated by {DELIMITERS[delimiter]}s, not commas")
    kept = keep(header) if keep else None
    try:
        if compression == "gzip":
            _read_gzip(con, name, data, header, delimiter, table, kept)
        else:
            _read_duckdb(con, data, compression, header, delimiter, table, kept)
        return
    except EngineError as exc:
        reason = first_line(exc)
    con.execute(f"DROP VIEW IF EXISTS {table}{KEPT_SUFFIX}")
    con.execute(f"DROP TABLE IF EXISTS {table}{CELLS_SUFFIX}")
    rows = _read_python(con, name, data, compression, header, delimiter, table, report)
    report.warn(f"read with Python's csv module ({rows:,} rows) because DuckDB's CSV reader could not ({reason[:160]})")


@contextmanager
def _text(data: Path, compression: str) -> Iterator[TextIO]:
    opener = gzip.open if compression == "gzip" else open
    with opener(data, "rt", encoding="utf-8-sig", newline="") as handle:
        yield handle


def _header(name: Path, data: Path, compression: str) -> tuple[list[str], str]:
    """The header's field names and the delimiter that splits it into the most fields."""
    try:
        with _text(data, compression) as handle:
            sample = handle.read(_HEADER_SAMPLE)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: not UTF-8 text ({exc.reason}); re-export the file as UTF-8") from exc
    best: tuple[list[str], str] = ([], ",")
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True), [])
        except csv.Error:
            continue
        if len(fields) > len(best[0]):
            best = (fields, delimiter)
    header, delimiter = best
    if len(header) < 2:
        raise IngestError(f"{name}: not a readable CSV file (no comma, semicolon, tab or pipe between its fields)")
    seen: dict[str, int] = {}
    for position, field in enumerate(header, start=1):
        key = field.strip().lower()
        if key in seen:
            raise IngestError(f"{name}, line 1: column {field!r} appears twice (fields {seen[key]} and {position})")
        seen[key] = position
    # An unnamed column still needs a name in the table; DuckDB's own reader would call it columnN.
    return [field or f"column{position}" for position, field in enumerate(header)], delimiter


def _read_gzip(
    con: Connection,
    name: Path,
    data: Path,
    header: list[str],
    delimiter: str,
    table: str,
    kept: Collection[str] | None,
) -> None:
    """The stream is inflated once and checked to its end (files.kind left that to this reader); a
    broken stream refuses the file, whatever DuckDB made of the part it saw. DuckDB parses a stream
    on one thread only, so the text is inflated into a plain file beside `data` when the disk has
    room (ISA-L inflates 845 MB in 0.3 s) and parsed on every core; otherwise a thread inflates it
    into a named pipe that DuckDB reads."""
    plain = data.with_name(data.name + ".csv")
    failed: list[Exception] = []
    if _room_for_text(data):
        try:
            _inflate(data, plain, failed)
            _raise_broken(name, failed)
            _read_duckdb(con, plain, "none", header, delimiter, table, kept)
        finally:
            plain.unlink(missing_ok=True)
        return
    if not hasattr(os, "mkfifo"):  # no named pipes (Windows): check the stream, then DuckDB reads it
        _inflate(data, Path(os.devnull), failed)
        _raise_broken(name, failed)
        _read_duckdb(con, data, "gzip", header, delimiter, table, kept)
        return
    pipe = data.with_name(data.name + ".pipe")
    os.mkfifo(pipe)
    writer = threading.Thread(target=_inflate, args=(data, pipe, failed), daemon=True)
    writer.start()
    try:
        _read_duckdb(con, pipe, "none", header, delimiter, table, kept)
    finally:
        _drain(pipe, writer)
        pipe.unlink()
        _raise_broken(name, failed)


def _room_for_text(data: Path) -> bool:
    """Whether the disk beside `data` holds its text with room to spare: CSV inflates 10-20 times."""
    return shutil.disk_usage(data.parent).free > TEXT_ROOM * data.stat().st_size + (1 << 30)


def _raise_broken(name: Path, failed: list[Exception]) -> None:
    """What went wrong in the writer, but for the reader closing the pipe early."""
    for exc in failed:
        if isinstance(exc, BrokenPipeError):
            continue
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise IngestError(f"{name}: the disk filled up while unpacking it; free some space and load it again")
        if isinstance(exc, _BROKEN_STREAM):
            raise IngestError(corrupt_gzip(name, exc)) from exc
        raise exc


def _drain(pipe: Path, writer: threading.Thread) -> None:
    """Read what the writer still writes until it ends: a reader that stopped early (a bad row),
    or never opened the pipe, must not leave it waiting; and it checks the stream to its end."""
    handle = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while writer.is_alive():
            try:
                if not os.read(handle, 1 << 20):
                    writer.join(0.01)  # no writer yet, or it has just closed
            except BlockingIOError:
                writer.join(0.01)
    finally:
        os.close(handle)


def _inflate(data: Path, target: Path, failed: list[Exception]) -> None:
    try:
        with igzip.open(data, "rb") as stream, target.open("wb") as out:
            while block := stream.read(1 << 22):
                out.write(block)
    except Exception as exc:  # raised in the reading thread, which alone reports to the user
        failed.append(exc)


def _read_duckdb(
    con: Connection,
    data: Path,
    compression: str,
    header: list[str],
    delimiter: str,
    table: str,
    kept: Collection[str] | None,
) -> None:
    # The cells are stored under their places (c0, c1, ...) and named in views: a header may name a
    # column rowid, _row or like a SQL keyword. A row's number is its place in the stored table, as
    # DuckDB stores a CTAS in scan order: row_number() over the scan would read a seekable file on
    # one thread and hold every row once more.
    read = [i for i, h in enumerate(header) if kept is None or h in kept]
    cells = f"{table}{CELLS_SUFFIX}"
    # Strict mode refuses a row of the wrong width (null_padding would hide a cut-off row), and a
    # parallel reader handles quoted newlines only without null padding. The line limit is set:
    # with its own (2 MB), DuckDB 2.0 drops a line longer than its 32 MB buffer without a word.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {cells} AS SELECT {', '.join(f'c{i}' for i in read) or 'NULL AS _none'} "
        "FROM read_csv(?, header = true, auto_detect = false, columns = ?, delim = ?, quote = '\"', "
        f"escape = '\"', nullstr = ?, compression = ?, strict_mode = true, max_line_size = {FIELD_LIMIT})",
        [str(data), {f"c{i}": "VARCHAR" for i in range(len(header))}, delimiter, list(NULLS), compression],
    )
    named = ", ".join(f"c{i} AS {ident(header[i])}" for i in read)
    numbered = f"SELECT rowid + 1 AS _row{', ' if named else ''}{named} FROM {cells}"
    if kept is None:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {numbered}")
        return
    # The columns nobody reads are NULL in a view over the ones stored: every header name is still
    # there for the format to find, and copying a column of text costs more than parsing it.
    stored = f"{table}{KEPT_SUFFIX}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stored} AS {numbered}")
    selects = ", ".join(ident(h) if h in kept else f"CAST(NULL AS VARCHAR) AS {ident(h)}" for h in header)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT _row, {selects} FROM {stored}")


def _read_python(
    con: Connection,
    name: Path,
    data: Path,
    compression: str,
    header: list[str],
    delimiter: str,
    table: str,
    report: IngestReport,
) -> int:
    """Stream the rows into `table` in chunks; returns how many there are."""
    columns = ", ".join(f"{ident(h)} VARCHAR" for h in header)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (_row BIGINT, {columns})")
    previous = csv.field_size_limit(FIELD_LIMIT)
    line = 1
    rows = 0
    short: dict[int, tuple[int, int, int]] = {}  # fields found -> (rows, first row, its line)
    try:
        with _text(data, compression) as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            next(reader, None)
            chunk: list[list[str]] = []
            for record in reader:
                if not record:
                    continue  # a blank line is no row, in DuckDB's reading too
                rows += 1
                if len(record) != len(header):
                    if len(record) > len(header):
                        raise IngestError(_width(name, rows, reader.line_num, len(header), header, len(record)))
                    count, first, first_line_ = short.get(len(record), (0, rows, reader.line_num))
                    short[len(record)] = (count + 1, first, first_line_)
                    record = record + [""] * (len(header) - len(record))
                chunk.append(record)
                line = reader.line_num
                if len(chunk) == _CHUNK:
                    _insert(con, table, rows - len(chunk) + 1, chunk, len(header))
                    chunk = []
            _insert(con, table, rows - len(chunk) + 1, chunk, len(header))
    except csv.Error as exc:
        problem = str(exc)
        if "field larger than field limit" in problem:
            problem = f"a field is longer than the {FIELD_LIMIT >> 20} MB limit"
        raise IngestError(f"{name}: row {rows + 1} (after line {line}): not readable as CSV ({problem})") from exc
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: after line {line}: not UTF-8 text; re-export the file as UTF-8") from exc
    finally:
        csv.field_size_limit(previous)
    if short:
        _check_short_rows(con, name, table, header, short, report)
    return rows


def _check_short_rows(
    con: Connection,
    name: Path,
    table: str,
    header: list[str],
    short: dict[int, tuple[int, int, int]],
    report: IngestReport,
) -> None:
    """Rows that stop before the header's last columns load only when no row of the file has a
    value in those columns (a header naming columns the export never fills, as AWS CURs do);
    otherwise a row was cut off, and loading it would leave its last values -- costs, often -- empty."""
    narrowest = min(short)
    counts = ", ".join(f"count({ident(h)})" for h in header[narrowest:])
    filled = con.execute(f"SELECT {counts} FROM {table}").fetchone() or ()
    used = [narrowest + i for i, n in enumerate(filled) if n]
    if used:
        found = min((f for f in short if f <= max(used)), key=lambda f: short[f][1])
        _, row, line = short[found]
        raise IngestError(_width(name, row, line, len(header), header, found))
    total = sum(count for count, _, _ in short.values())
    report.warn(
        f"{total:,} rows end before the last {len(header) - narrowest} columns, which no row fills "
        f"({', '.join(header[narrowest:][:5])}): read as empty"
    )


def _width(name: Path, row: int, line: int, expected: int, header: list[str], found: int) -> str:
    where = f"{name}: row {row} (line {line}): expected {expected} fields, found {found}"
    if found < expected:
        return f"{where}; the row stops after column {header[found - 1]!r} (cut off?)"
    return f"{where}; more fields than the header names"


def _insert(con: Connection, table: str, first: int, chunk: list[list[str]], width: int) -> None:
    if not chunk:
        return
    arrays = {"_row": pa.array(range(first, first + len(chunk)), pa.int64())}
    for index in range(width):
        arrays[f"c{index}"] = pa.array([None if r[index] in NULLS else r[index] for r in chunk], pa.string())
    frame = pa.table(arrays)
    con.register("_csv_chunk", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _csv_chunk")
    finally:
        con.unregister("_csv_chunk")
