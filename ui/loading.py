"""Loading exports from the Data page: uploads staged under their own names, then every file
ingested on its own (one transaction each, one batch for all), so a bad file is listed as rejected
while the others load."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb

from analytics.ingest import files
from analytics.ingest.report import IngestError, IngestReport
from analytics.ingest.run import ingest_file
from analytics.store import first_line

UPLOAD_TYPES = ["csv", "gz", "parquet", "json", "jsonl"]
UPLOAD_PREFIX = "finops-upload-"


class Upload(Protocol):
    """What st.file_uploader returns, as far as staging needs it."""

    name: str

    def getbuffer(self) -> memoryview: ...


@dataclass
class Outcome:
    """What happened to one file: its ingest report, or the one-line reason it was rejected;
    `source_id` is the source now holding its rows (for an unchanged file, the earlier copy)."""

    file: str
    report: IngestReport | None = None
    error: str | None = None
    source_id: int | None = None

    @property
    def rejected(self) -> bool:
        return self.error is not None


def stage_uploads(uploads: Iterable[Upload]) -> tuple[Path, list[Path]]:
    """Write the uploads into a new temp folder under their original names (so the inventory shows
    them); two uploads of the same name go into numbered subfolders. Returns the folder and paths."""
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    paths: list[Path] = []
    for index, upload in enumerate(uploads):
        name = Path(upload.name.replace("\\", "/")).name or f"upload-{index + 1}"
        target = folder / name
        if target.exists():
            target = folder / str(index + 1) / name
            target.parent.mkdir()
        target.write_bytes(upload.getbuffer())
        paths.append(target)
    return folder, paths


def discard(folder: Path) -> None:
    """Remove staged uploads once loaded: their rows are in the database now."""
    shutil.rmtree(folder, ignore_errors=True)


def expand(pattern: str) -> list[Path]:
    """The files a server path, folder or glob names; IngestError when there are none."""
    text = pattern.strip()
    if not text:
        raise IngestError("give a file, folder or glob on the server")
    found = files.expand([str(Path(text).expanduser())])
    if not found:
        raise IngestError(f"{text}: no CSV, CSV.gz or Parquet files there")
    return found


def load_files(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    fmt: str = "auto",
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Ingest each file in its own transaction, all in one batch (parts of one export add up
    rather than replace each other); a file that fails is rejected with its one-line error and
    leaves the database as it was, and the next file is loaded."""
    batch = uuid.uuid4().hex
    outcomes = []
    for index, path in enumerate(paths):
        if progress:
            progress(index, len(paths), str(path))
        outcome = Outcome(file=str(path))
        try:
            outcome.report = ingest_file(con, path, batch, fmt)
        except IngestError as exc:
            outcome.error = str(exc)
        except duckdb.Error as exc:
            outcome.error = f"{path}: the file could not be read ({first_line(exc)})"
        except (OSError, ValueError) as exc:
            outcome.error = f"{path}: {first_line(exc)}"
        else:
            outcome.source_id = _source_of(con, path, batch, outcome.report)
        outcomes.append(outcome)
    if progress:
        progress(len(paths), len(paths), "done")
    return outcomes


def _source_of(con: duckdb.DuckDBPyConnection, path: Path, batch: str, report: IngestReport) -> int | None:
    if report.status == "unchanged":
        sql, params = "SELECT max(x_SourceId) FROM sources WHERE x_FileHash = ?", [files.file_hash(path)]
    else:
        sql, params = (
            "SELECT max(x_SourceId) FROM sources WHERE x_IngestBatch = ? AND x_SourceFile = ?",
            [
                batch,
                report.file,
            ],
        )
    row = con.execute(sql, params).fetchone()
    return None if row is None or row[0] is None else int(row[0])
