"""Finding the files to ingest and refusing, with a one-line reason, what cannot be read."""

from __future__ import annotations

import errno
import glob
import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from analytics.ingest.report import IngestError

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".gz", ".json", ".jsonl", ".ndjson", ".json.gz")
_SNIFF_BYTES = 1 << 20
_GLOB_CHARACTERS = frozenset("*?[")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Found:
    """One file an argument names; `problem` is the one-line reason it cannot be read, if any."""

    path: Path
    problem: str | None = None


def find(patterns: list[str]) -> list[Found]:
    """Every file the arguments name, each once, in order, with the reason it cannot be read.

    A path that exists is that file or folder, whatever characters its name holds: `glob[1].csv` is
    a file, never the pattern matching `glob1.csv`. Only an argument naming nothing that holds `*`,
    `?` or `[` is a pattern."""
    found: list[Found] = []
    for pattern in patterns:
        literal = Path(pattern)
        if os.path.lexists(literal) or not _GLOB_CHARACTERS & set(pattern):
            matches = [literal]
        else:
            matches = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))] or [literal]
        for match in matches:
            if match.is_dir():
                found += _folder(match)
            else:
                found.append(Found(match, _problem(match)))
    unique: dict[Path, Found] = {}
    for item in found:
        unique.setdefault(item.path, item)
    return list(unique.values())


def _folder(folder: Path) -> list[Found]:
    # A broken link with a data suffix is reported rather than silently passed over: the user
    # put it there expecting it to load.
    entries = sorted(p for p in folder.rglob("*") if is_data(p.name) and (p.is_file() or p.is_symlink()))
    return [Found(p, _problem(p)) for p in entries if p.is_file() or not p.is_dir()]


def _problem(path: Path) -> str | None:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path}: symlink loop (the link leads back to itself)"
        if os.path.islink(path):
            return f"{path}: dangling symlink (it points to {os.readlink(path)}, which does not exist)"
        if exc.errno == errno.ENOENT:
            return f"{path}: no such file or folder"
        return f"{path}: cannot be opened ({exc.strerror})"
    if not path.is_file():
        return f"{path}: not a regular file"
    return None


def is_data(name: str) -> bool:
    """Whether a file of this name is a cost export ingest reads. Manifests (AWS
    `<report>-Manifest.json`, Azure `manifest.json`) describe the data files beside them and are read
    by their format; a folder scan must not load them as JSON-lines exports."""
    lower = name.lower()
    return lower.endswith(SUFFIXES) and not lower.endswith("manifest.json")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def kind(path: Path, name: Path | None = None, deep: bool = True) -> str:
    """'parquet', 'csv', 'csv.gz', 'json' or 'json.gz' from the bytes of `path` themselves, after
    checking they are readable (messages name `name`, the file as the user knows it);
    newline-delimited JSON (GCP billing export) starts with `{`. Without `deep`, the rest of a gzip
    CSV stream is left for its reader to check (csvread decompresses it once, as DuckDB reads it)."""
    shown = name or path
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise IngestError(f"{shown}: the file is empty")
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        first = _check_gzip(path, shown, deep)
        return "json.gz" if _is_json_lines(first) else "csv.gz"
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    _check_text(shown, sample)
    return "json" if _is_json_lines(sample) else "csv"


def _is_json_lines(sample: bytes) -> bool:
    # No CSV header starts with `{`; a byte-order mark may precede it.
    return sample.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


def _check_gzip(path: Path, shown: Path, deep: bool) -> bytes:
    """Read the whole stream once: a truncated gzip only shows itself at its end. Returns its start."""
    try:
        with gzip.open(path, "rb") as handle:
            first = handle.read(_SNIFF_BYTES)
            if not first:
                raise IngestError(f"{shown}: the compressed file is empty")
            _check_text(shown, first)
            if deep or _is_json_lines(first):
                while handle.read(1 << 22):
                    pass
            return first
    except (EOFError, OSError, zlib.error) as exc:
        raise IngestError(corrupt_gzip(shown, exc)) from exc


def corrupt_gzip(shown: Path, exc: BaseException) -> str:
    return f"{shown}: truncated or corrupt gzip ({exc})"


def _check_text(path: Path, sample: bytes) -> None:
    if sample.startswith(UTF16_BOMS):
        raise IngestError(f"{path}: UTF-16 text inside a compressed file; save it as UTF-8")
    if sample.startswith(_BINARY_MAGIC) or (b"\x00" in sample and not _nul_in_text(sample)):
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


# Zip (xlsx, docx, ods), OLE2 (xls) and PDF: formats a user may rename to .csv by mistake.
_BINARY_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0", b"%PDF")


def _nul_in_text(sample: bytes) -> bool:
    """A few NULs in otherwise UTF-8 text are characters of a field, which Python's csv module reads.
    Binary content is not valid UTF-8, and UTF-16 without a byte-order mark is half NULs."""
    if sample.count(b"\x00") * 20 > len(sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 4
    return True
