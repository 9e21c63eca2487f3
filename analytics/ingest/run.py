"""Ingest of files, globs and folders: each file one transaction, all files of one call one batch."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from analytics.allocation.refresh import refresh
from analytics.engine import Connection
from analytics.ingest import aws, contract, files, focus
from analytics.ingest.formats import FORMATS, choose
from analytics.ingest.load import already_loaded, store_rows
from analytics.ingest.report import IngestError, IngestReport, SkipFile, one_error
from analytics.ingest.staging import stage
from analytics.store import scratch_folder

_STAGED = "_staged"
DATASETS = ("auto", "cost-and-usage", contract.DATASET)
log = logging.getLogger(__name__)


def ingest_paths(
    con: Connection,
    patterns: list[str],
    fmt: str = "auto",
    progress: Callable[[int, int, str], None] | None = None,
    keep_going: bool = False,
    dataset: str = "auto",
) -> list[IngestReport]:
    """Load every file, each in its own transaction. A bad file raises IngestError, unless
    `keep_going`: then it is reported as rejected (`error` its one-line reason) and the rest load.
    `dataset`: DATASETS; "auto" loads a file whose header is a Contract Commitment one as that."""
    if dataset not in DATASETS:
        raise IngestError(f"unknown dataset {dataset!r}; this version reads: {', '.join(DATASETS)}")
    if fmt != "auto" and fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; this version reads: auto, {', '.join(FORMATS)}")
    found = files.find(patterns)
    if not found:
        raise IngestError(f"no CSV, CSV.gz, Parquet or JSON-lines files found in {' '.join(patterns)}")
    batch = uuid.uuid4().hex
    reports = []
    try:
        for index, item in enumerate(found):
            if progress:
                progress(index, len(found), str(item.path))
            try:
                if item.problem:
                    raise IngestError(item.problem)
                if dataset == contract.DATASET or (dataset == "auto" and contract.detect(contract.header(item.path))):
                    reports.append(contract.ingest(con, item.path))
                else:
                    reports.append(ingest_file(con, item.path, batch, fmt))
            except IngestError as exc:
                if not keep_going:
                    raise
                reports.append(IngestReport(file=str(item.path), format=fmt, status="rejected", error=str(exc)))
    finally:
        if any(r.status == "loaded" and r.format != contract.DATASET for r in reports):
            refresh(con)  # what did load is allocated like the rest, even when a later file failed
    if progress:
        progress(len(found), len(found), "done")
    return reports


def ingest_file(con: Connection, path: Path, batch: str, fmt: str = "auto") -> IngestReport:
    """Load one file in one transaction. Whatever goes wrong, the caller gets an IngestError with
    one line naming the file; an error nobody foresaw is logged with its traceback as well."""
    with one_error(path, log), stage(path, scratch_folder(con)) as staged:
        return _ingest_staged(con, path, staged.path, staged.digest, staged.fix, batch, fmt)


def _ingest_staged(
    con: Connection, path: Path, data: Path, digest: str, fix: str | None, batch: str, fmt: str
) -> IngestReport:
    report = IngestReport(file=str(path), format=fmt)
    if already_loaded(con, digest):
        report.status = "unchanged"  # the same bytes loaded before, so they were readable
        return report
    kind = files.kind(data, name=path, deep=False)  # csvread checks a gzip CSV as it reads it

    if fix:
        report.fix(fix)
    try:
        columns = focus.read_raw(con, path, kind, report, data=data, keep=lambda header: _used(path, header, fmt))
        source_format = choose(path, columns, fmt)
        report.format = source_format.name
        source_format.normalise(con, path, report, _STAGED)
        store_rows(con, _STAGED, report, digest, batch, source_format.incremental)
    except SkipFile as exc:
        report.status, report.error = "skipped", str(exc)
    finally:
        focus.drop(
            con, _STAGED, aws.MAPPED, focus.RAW, focus.RAW_KEPT, focus.RAW_CELLS
        )  # views first: each may read the next
    return report


def _used(path: Path, header: list[str], fmt: str) -> set[str] | None:
    """The columns of a CSV file that its format reads (None: all of them)."""
    used = choose(path, header, fmt).used
    return None if used is None else used(header)
