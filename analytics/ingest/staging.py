"""A private copy of each file, hashed while it is copied: the rows stored and the hash that says
"already loaded" come from the same bytes, however the original changes meanwhile, and the
readers get a plain path (DuckDB would read `[`, `*` and `?` in a user's file name as a glob)."""

from __future__ import annotations

import codecs
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from hashlib import _Hash

from analytics.ingest.files import UTF16_BOMS
from analytics.ingest.report import IngestError

_BLOCK = 1 << 22


@dataclass(frozen=True)
class Staged:
    path: Path  # the copy the readers parse
    digest: str  # SHA-256 of the bytes as delivered
    fix: str | None = None  # what staging repaired, for the load report


@contextmanager
def stage(path: Path, within: Path | None = None) -> Iterator[Staged]:
    """Copy `path` into a new folder in `within` (the system's temp folder by default), removed
    afterwards; UTF-16 text becomes UTF-8. A writer stages in its work folder, which the next process
    to open the store removes if this one was killed."""
    folder = Path(tempfile.mkdtemp(prefix="finops-stage-", dir=within))
    try:
        yield _copy(path, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy(path: Path, folder: Path) -> Staged:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source:
            first = source.read(_BLOCK)
            # The name only tells DuckDB's JSON reader a gzip stream; CSV compression is passed explicitly.
            target = folder / ("staged.gz" if first[:2] == b"\x1f\x8b" else "staged")
            with target.open("wb") as copy:
                if first.startswith(UTF16_BOMS):
                    _transcode(path, source, first, copy, digest)
                    return Staged(target, digest.hexdigest(), "UTF-16 text decoded to UTF-8")
                block = first
                while block:
                    digest.update(block)
                    copy.write(block)
                    block = source.read(_BLOCK)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return Staged(target, digest.hexdigest())


def _transcode(path: Path, source: BinaryIO, first: bytes, copy: BinaryIO, digest: _Hash) -> None:
    decoder = codecs.getincrementaldecoder("utf-16")()
    block = first
    try:
        while True:
            digest.update(block)
            text = decoder.decode(block, final=not block)
            copy.write(text.encode("utf-8"))
            if not block:
                break
            block = source.read(_BLOCK)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: UTF-16 text that cannot be decoded ({exc.reason}); save it as UTF-8") from exc
