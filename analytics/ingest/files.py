"""Finding the files to ingest and refusing, with a one-line reason, what cannot be read."""

from __future__ import annotations

import glob
import gzip
import hashlib
import zlib
from pathlib import Path

from analytics.ingest.report import IngestError

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".gz", ".json", ".jsonl", ".ndjson", ".json.gz")
_SNIFF_BYTES = 1 << 20


def expand(patterns: list[str]) -> list[Path]:
    """Files, globs and folders (searched recursively for CSV, CSV.gz and Parquet), in order."""
    found: list[Path] = []
    for pattern in patterns:
        matches = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))] or [Path(pattern)]
        for match in matches:
            if match.is_dir():
                found += sorted(p for p in match.rglob("*") if p.is_file() and _is_data(p.name.lower()))
            elif match.exists():
                found.append(match)
            else:
                raise IngestError(f"{match}: no such file or folder")
    return list(dict.fromkeys(found))


def _is_data(name: str) -> bool:
    # Manifests (AWS `<report>-Manifest.json`, Azure `manifest.json`) describe the data files beside
    # them and are read by their format; a folder scan must not load them as JSON-lines exports.
    return name.endswith(SUFFIXES) and not name.endswith("manifest.json")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def kind(path: Path) -> str:
    """'parquet', 'csv', 'csv.gz', 'json' or 'json.gz' from the bytes themselves, after checking
    they are readable; newline-delimited JSON (GCP billing export) starts with `{`."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise IngestError(f"{path}: the file is empty")
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        first = _check_gzip(path)
        return "json.gz" if _is_json_lines(first) else "csv.gz"
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    _check_text(path, sample)
    return "json" if _is_json_lines(sample) else "csv"


def _is_json_lines(sample: bytes) -> bool:
    # No CSV header starts with `{`; a byte-order mark may precede it.
    return sample.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


def _check_gzip(path: Path) -> bytes:
    """Read the whole stream once: a truncated gzip only shows itself at its end. Returns its start."""
    try:
        with gzip.open(path, "rb") as handle:
            first = handle.read(_SNIFF_BYTES)
            if not first:
                raise IngestError(f"{path}: the compressed file is empty")
            _check_text(path, first)
            while handle.read(1 << 22):
                pass
            return first
    except (EOFError, OSError, zlib.error) as exc:
        raise IngestError(f"{path}: truncated or corrupt gzip ({exc})") from exc


def _check_text(path: Path, sample: bytes) -> None:
    if b"\x00" in sample:
        raise IngestError(f"{path}: not a CSV or Parquet file (binary content)")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sample; only earlier errors count.
        if exc.start < len(sample) - 4:
            line = sample[: exc.start].count(b"\n") + 1
            raise IngestError(
                f"{path}, line {line}: not UTF-8 text (byte 0x{sample[exc.start]:02x}); re-export the file as UTF-8"
            ) from exc
