"""`store`: what the store holds and who writes it; `convert`: a single-file database into a store."""

from __future__ import annotations

import argparse
import json

from analytics.cli_common import Handler, UsageError, db_path
from analytics.store import StoreError, convert, lock, snapshots


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    status = commands.add_parser("store", parents=[common], help="the store's current generation and its writer")
    status.add_argument("--json", action="store_true")
    commands.add_parser(
        "convert", parents=[common], help="turn a database from before the store's generations into a store"
    )
    return {"store": _status, "convert": _convert}


def _status(args: argparse.Namespace) -> int:
    folder = db_path(args)
    now = snapshots.current(folder) if folder.is_dir() else None
    if now is None:
        raise UsageError(f"{folder}: no store here yet; build the sample with `python -m analytics sample`")
    with lock.if_free(folder / snapshots.LOCK) as free:
        held = (folder / snapshots.LOCK).exists() and not free  # no lock file: no writer ever came
    size = now.file.stat().st_size
    status = {
        "store": str(folder),
        "generation": now.generation,
        "file": now.file.name,
        "bytes": size,
        "published_at": now.published_at,
        "writer": lock.holder(folder / snapshots.LOCK) if held else None,
    }
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"{folder}: generation {now.generation} ({size / 1e6:,.1f} MB), published {now.published_at}")
    print(f"being written by {status['writer']}" if held else "no write in progress")
    return 0


def _convert(args: argparse.Namespace) -> int:
    path = db_path(args)
    if path.is_dir():
        print(f"{path}: already a store, nothing to convert")
        return 0
    if not path.exists():
        raise StoreError(f"{path}: no such database")
    done = convert(path)
    if done is None:
        print(f"{path}: converted by another process meanwhile")
        return 0
    for currency in sorted(done.before.keys() | done.after.keys()):
        before, after = (f"{t[currency]:,.2f}" if currency in t else "nothing" for t in (done.before, done.after))
        print(f"billed {currency}: {before} before, {after} after")
    tied = done.before == done.after
    print(f"converted {path} into a store: " + ("every total the same" if tied else "TOTALS DIFFER"))
    return 0 if tied else 1
