"""The store's files: numbered generations of one DuckDB database, and `manifest.json`, which names
the current one. A write copies the current generation into a private work folder, changes the copy,
and publishes it by renaming a new manifest into place, so a reader sees the state before a write or
after it, never a part. What a killed process leaves (its work folder, its spill folder, a generation
it had not yet named) is removed by the next process that opens the store."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
LOCK = "write.lock"
WORK = "work"  # one folder per writing process: the next generation, its WAL and its spill files
SPILL = "spill"  # one folder per reading process, where DuckDB spills queries larger than memory
KIND = "finops-lens-store"
LAYOUT_VERSION = 1
_GENERATION = re.compile(r"^gen-(\d{9})\.duckdb$")


class SnapshotError(Exception):
    """The store's folder is not usable; the message says why, in one line."""


@dataclass(frozen=True)
class Current:
    generation: int
    file: Path
    published_at: str
    # The last generation whose write changed what pages show: a write that only records something
    # beside the data (a showback pack for change detection) keeps it, and so every cache built on it.
    data_generation: int


def generation_name(generation: int) -> str:
    return f"gen-{generation:09d}.duckdb"


def is_store(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def unpublished(folder: Path) -> bool:
    """Whether `folder` holds only what processes make in a store before its first write is
    published (a reader's spill folder, a writer's lock and work folder): a store with no data yet."""
    return all(entry.name in (WORK, SPILL, LOCK) for entry in _entries(folder))


def current(folder: Path) -> Current | None:
    """The published generation, or None before the first write."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"{folder / MANIFEST}: cannot be read ({exc.strerror})") from exc
    try:
        manifest = json.loads(text)
        generation = int(manifest["generation"])
        name = str(manifest["file"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{folder / MANIFEST}: not a FinOps Lens store manifest ({exc})") from exc
    if manifest.get("kind") != KIND or name != generation_name(generation):
        raise SnapshotError(f"{folder / MANIFEST}: not a FinOps Lens store manifest")
    data_generation = int(manifest.get("data_generation", generation))
    return Current(generation, folder / name, str(manifest.get("published_at", "")), data_generation)


def work_folder(folder: Path) -> Path:
    return folder / WORK / process_name(os.getpid())


def spill_folder(folder: Path) -> Path:
    return folder / SPILL / process_name(os.getpid())


def process_name(pid: int) -> str:
    """What a process's files are named by: its pid and, where the system says, its start time, so
    that a later process given the same pid (the rule after a container restarts) keeps no files of
    a dead one alive."""
    started = _start_time(pid)
    return f"{pid}-{started}" if started else str(pid)


def start(folder: Path) -> tuple[Path, int]:
    """A private copy of the current generation to write (an absent path when there is none yet),
    and the generation it will become. The caller holds the write lock."""
    work = work_folder(folder)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    draft = work / "next.duckdb"
    now = current(folder)
    if now is not None:
        shutil.copyfile(now.file, draft)
    return draft, (now.generation + 1 if now else 1)


def publish(folder: Path, draft: Path, generation: int, note: str, data_changed: bool = True) -> None:
    """Make `draft` (checkpointed and closed) the current generation: renamed beside the others,
    then named in a new manifest that replaces the old one in one rename. The caller holds the lock."""
    before = current(folder)
    data_generation = generation if data_changed or before is None else before.data_generation
    target = folder / generation_name(generation)
    _fsync(draft)
    os.replace(draft, target)
    manifest = {
        "kind": KIND,
        "layout": LAYOUT_VERSION,
        "generation": generation,
        "data_generation": data_generation,
        "file": target.name,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": note[:300],
    }
    staged = folder / f"{MANIFEST}.{process_name(os.getpid())}"
    staged.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _fsync(staged)
    os.replace(staged, folder / MANIFEST)
    _fsync_dir(folder)
    discard(folder)
    tidy(folder, locked=True)


def discard(folder: Path) -> None:
    """Forget this process's unpublished work."""
    shutil.rmtree(work_folder(folder), ignore_errors=True)


def tidy(folder: Path, locked: bool) -> None:
    """Remove what no reader can need: folders of processes that have ended and generations older
    than the one before the current (a reader that just read the previous manifest may still open
    that one; readers that opened older ones keep their open file). With the lock held, also
    generations newer than the current one: a writer killed between its two renames left them."""
    for kind in (WORK, SPILL):
        for entry in _entries(folder / kind):
            if _ended(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
    now = current(folder)
    if now is None:
        return
    for entry in _entries(folder):
        match = _GENERATION.match(entry.name)
        if match is None:
            continue
        generation = int(match.group(1))
        if generation < now.generation - 1 or (locked and generation > now.generation):
            entry.unlink(missing_ok=True)
        if locked and generation != now.generation:
            Path(f"{entry}.wal").unlink(missing_ok=True)
    for staged in folder.glob(f"{MANIFEST}.*"):
        if _ended(staged.suffix[1:]):
            staged.unlink(missing_ok=True)


def adopt(folder: Path, database: Path) -> None:
    """Turn a single-file database (checkpointed, closed, nobody else using it) into the store at
    `folder`'s first generation, by renames only. `folder` does not exist yet."""
    building = folder.with_name(f"{folder.name}.converting-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    os.replace(database, building / generation_name(1))
    manifest = {
        "kind": KIND,
        "layout": LAYOUT_VERSION,
        "generation": 1,
        "file": generation_name(1),
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": f"converted from the single-file database {folder.name}",
    }
    (building / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(building, folder)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _ended(name: str) -> bool:
    """Whether the process that named a file `name` (see `process_name`) has ended; False for a name
    no process of ours gives."""
    pid, _, started = name.partition("-")
    if not pid.isdigit() or (started and not started.isdigit()):
        return False
    if not _alive(int(pid)):
        return True
    return bool(started) and _start_time(int(pid)) not in (None, started)


def _start_time(pid: int) -> str | None:
    """When `pid` started, in clock ticks since boot (Linux's /proc); None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name, in brackets, may hold spaces; field 22 counts from the first.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 and fields[19].isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
