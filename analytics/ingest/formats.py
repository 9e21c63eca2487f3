"""The source formats FinOps Lens reads, each recognised by its header and mapped onto FOCUS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analytics.engine import Connection
from analytics.ingest import aws, azure, focus, gcp, oci
from analytics.ingest.report import IngestError, IngestReport

# Reads the file's rows from temp table `_raw` (with `_row`) and creates the typed FOCUS table.
Normalise = Callable[[Connection, Path, IngestReport, str], None]


@dataclass(frozen=True)
class SourceFormat:
    name: str  # as given to `ingest --format` and stored in x_SourceFormat
    label: str  # for people: "FOCUS 1.0-1.4", "AWS legacy CUR", ...
    detect: Callable[[Sequence[str]], bool]  # the file's column names -> is it this format
    normalise: Normalise
    # A snapshot format re-delivers whole billing periods (a newer file replaces the period); an
    # incremental one adds files to a period (OCI writes numbered reports), so only a same-named
    # file replaces.
    incremental: bool = False
    # The columns of a CSV header the format reads (None: all); the others are not copied.
    used: Callable[[Sequence[str]], set[str]] | None = None


FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat("focus", "FOCUS 1.0-1.4", focus.detect, focus.normalise),
        SourceFormat("aws-cur", "AWS legacy CUR", aws.detect_legacy, aws.from_legacy, used=aws.used_legacy),
        SourceFormat("aws-cur2", "AWS CUR 2.0 / Athena", aws.detect_snake, aws.from_snake, used=aws.used_snake),
        SourceFormat("gcp", "Google Cloud billing export", gcp.detect, gcp.normalise),
        SourceFormat("oci", "Oracle Cloud cost report", oci.detect, oci.normalise, incremental=True),
        SourceFormat("azure", "Azure cost details (EA/MCA)", azure.detect, azure.normalise),
    )
}


def choose(path: Path, columns: Sequence[str], wanted: str) -> SourceFormat:
    """The format asked for, or the first whose header signature the file has."""
    if wanted != "auto":
        return FORMATS[wanted]
    for source_format in FORMATS.values():
        if source_format.detect(columns):
            return source_format
    known = ", ".join(f.label for f in FORMATS.values())
    shown = ", ".join(list(columns)[:6]) + (", ..." if len(columns) > 6 else "")
    raise IngestError(f"{path}: not a cost export this version reads ({known}); its columns are {shown}")
