"""Sample companies built once and kept on disk, so that neither each pytest-xdist worker nor each run
pays for the build again (the default 300k-row company takes the better part of a minute).

A build is keyed by a hash of everything that decides its content: the source of every `analytics`
module the generator imports (found by following its imports, so a change to the schema, the store,
the allocation or the ingest code invalidates it), the shipped `data/` files, the allocation rules
named by FINOPS_RULES, the versions of the libraries that compute it, and the build's parameters.
Workers share one file per key: the first builds it under a file lock, to a temporary name renamed
into place when complete; each test session then works on its own copy, since DuckDB lets only one
process open a database read-write and the app tests do."""

from __future__ import annotations

import ast
import datetime as dt
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy
import pandas
import pyarrow

PROJECT = Path(__file__).resolve().parents[1]
CACHE = PROJECT / ".pytest_cache" / "d" / "finops-samples"  # inside the ignored pytest cache
SHIPPED = {".csv", ".yaml", ".yml", ".json"}


def _module_file(name: str) -> Path | None:
    """The file of `analytics...` module `name` in this checkout, or None if there is no such module."""
    base = PROJECT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, module: str) -> set[str]:
    """The `analytics` modules `path` (the module `module`) imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from package import module`
    return {name for name in found if name == "analytics" or name.startswith("analytics.")}


def generator_sources(root: str = "analytics.sample") -> list[Path]:
    """Every module file the sample generator runs: `root` and what it imports, transitively, with the
    packages' __init__ files that importing them executes."""
    seen: dict[str, Path] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        file = _module_file(name)
        if file is None:
            continue  # a name imported from a module, not a module
        seen[name] = file
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imported(file, name))
    return sorted(set(seen.values()))


def cache_key(**params: object) -> str:
    digest = hashlib.sha256()
    files = [*generator_sources(), Path(__file__)]
    # The shipped tables and rules only: not the local database, nor the log the app and tests append to.
    files += sorted(p for p in (PROJECT / "data").rglob("*") if p.suffix in SHIPPED and "logs" not in p.parts)
    rules = os.environ.get("FINOPS_RULES")
    if rules and Path(rules).is_file():
        files.append(Path(rules))
    for file in files:
        digest.update(str(file.relative_to(PROJECT) if file.is_relative_to(PROJECT) else file).encode())
        digest.update(file.read_bytes())
    versions = (duckdb.__version__, numpy.__version__, pandas.__version__, pyarrow.__version__)
    digest.update(repr((versions, sorted(params.items()))).encode())
    return digest.hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(target: Path, rows: int | None, months: int, seed: int, as_of: dt.date) -> None:
    """The sample as a single database file: a test's copy becomes a store when first opened (the
    conversion every user with a database from before the store's generations goes through)."""
    from analytics.sample import build_sample
    from analytics.store import snapshots, writing

    folder = target.with_name(target.name + ".store")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        with writing(folder) as con:
            if rows is None:
                build_sample(con, months=months, seed=seed, as_of=as_of)
            else:
                build_sample(con, rows=rows, months=months, seed=seed, as_of=as_of)
        built = snapshots.current(folder)
        assert built is not None
        os.replace(built.file, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cached_sample(label: str, target: Path, *, rows: int | None, months: int, seed: int, as_of: dt.date) -> Path:
    """A copy at `target` of the sample built with these parameters (`rows=None`: the default size)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = cache_key(label=label, rows=rows, months=months, seed=seed, as_of=as_of.isoformat())
    built = CACHE / f"{label}-{key}.duckdb"
    if not built.exists():
        with _locked(CACHE / f"{label}.lock"):
            if not built.exists():  # another worker may have built it while this one waited
                for stale in CACHE.glob(f".{label}-*.building.duckdb*"):  # left by a killed run: the lock is ours
                    if stale.is_dir():
                        shutil.rmtree(stale, ignore_errors=True)
                    else:
                        stale.unlink(missing_ok=True)
                partial = CACHE / f".{label}-{key}-{os.getpid()}.building.duckdb"
                wal = partial.with_name(partial.name + ".wal")
                try:
                    _build(partial, rows, months, seed, as_of)
                    os.replace(partial, built)
                finally:
                    partial.unlink(missing_ok=True)
                    wal.unlink(missing_ok=True)
                for stale in CACHE.glob(f"{label}-*.duckdb"):
                    if stale != built:
                        stale.unlink(missing_ok=True)
    shutil.copyfile(built, target)
    return target
