"""Ingest of files, globs and folders: each file one transaction, all files of one call one batch."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

from analytics.allocation.refresh import refresh
from analytics.ingest import files, focus
from analytics.ingest.formats import FORMATS, choose
from analytics.ingest.load import already_loaded, store_rows
from analytics.ingest.report import IngestError, IngestReport, SkipFile

_STAGED = "_staged"


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    patterns: list[str],
    fmt: str = "auto",
    progress: Callable[[int, int, str], None] | None = None,
    keep_going: bool = False,
) -> list[IngestReport]:
    """Load every file, each in its own transaction. A bad file raises IngestError, unless
    `keep_going`: then it is reported as rejected (`error` its one-line reason) and the rest load."""
    if fmt != "auto" and fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; this version reads: auto, {', '.join(FORMATS)}")
    paths = files.expand(patterns)
    if not paths:
        raise IngestError(f"no CSV, CSV.gz, Parquet or JSON-lines files found in {' '.join(patterns)}")
    batch = uuid.uuid4().hex
    reports = []
    try:
        for index, path in enumerate(paths):
            if progress:
                progress(index, len(paths), str(path))
            try:
                reports.append(ingest_file(con, path, batch, fmt))
            except IngestError as exc:
                if not keep_going:
                    raise
                reports.append(IngestReport(file=str(path), format=fmt, status="rejected", error=str(exc)))
    finally:
        if any(r.status == "loaded" for r in reports):
            refresh(con)  # what did load is allocated like the rest, even when a later file failed
    if progress:
        progress(len(paths), len(paths), "done")
    return reports


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, batch: str, fmt: str = "auto") -> IngestReport:
    kind = files.kind(path)
    digest = files.file_hash(path)
    report = IngestReport(file=str(path), format=fmt)
    if already_loaded(con, digest):
        report.status = "unchanged"
        return report
    try:
        columns = focus.read_raw(con, path, kind, report)
        source_format = choose(path, columns, fmt)
        report.format = source_format.name
        source_format.normalise(con, path, report, _STAGED)
        store_rows(con, _STAGED, report, digest, batch, source_format.incremental)
    except SkipFile as exc:
        report.status, report.error = "skipped", str(exc)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STAGED}")
        con.execute(f"DROP TABLE IF EXISTS {focus.RAW}")
    return report
