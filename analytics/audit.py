"""The audit log (issue 14): who loaded or removed data, changed the allocation rules or budgets, or
exported a showback pack, and when. An append-only JSON-lines file (`FINOPS_AUDIT`, default
data/audit.jsonl). Each entry is one line written by one os.write on an O_APPEND descriptor, so
entries from processes writing at once (the app, cron, a script) never interleave. A reader skips a
line that is not an entry (a torn disk, a hand edit) and counts it rather than failing."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.store import DATA_DIR

AUDIT_VARIABLE = "FINOPS_AUDIT"
FIELDS = ("at", "actor", "action", "detail")


class AuditError(OSError):
    """The audit log could not be written; one line naming the file."""


@dataclass(frozen=True)
class Entry:
    at: str  # UTC, ISO 8601
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass
class AuditLog:
    """The entries read, oldest first, and the line numbers that were skipped as not entries."""

    entries: list[Entry] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def audit_path() -> Path:
    """`FINOPS_AUDIT` if set, else data/audit.jsonl in the project."""
    return Path(os.environ.get(AUDIT_VARIABLE) or DATA_DIR / "audit.jsonl")


def cli_actor() -> str:
    """The command line's actor: the operating-system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"cli:uid {os.getuid()}"


def record(actor: str, action: str, detail: dict[str, Any], path: Path | None = None) -> Entry:
    """Append one entry, stamped now (UTC)."""
    entry = Entry(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), actor, action, detail)
    target = path or audit_path()
    line = json.dumps(entry.__dict__, ensure_ascii=False, default=str) + "\n"
    data = line.encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise AuditError(f"{target}: the audit log could not be written ({exc.strerror or exc})") from exc
    if written != len(data):
        raise AuditError(f"{target}: the audit log took {written} of {len(data)} bytes of an entry")
    return entry


def read(since: dt.date | None = None, path: Path | None = None) -> AuditLog:
    """Every entry (oldest first) whose UTC day is `since` or later; no file is an empty log."""
    log = AuditLog()
    target = path or audit_path()
    if not target.exists():
        return log
    try:
        with target.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                entry = _entry(raw)
                if entry is None:
                    if raw.strip():
                        log.skipped.append(number)
                    continue
                if since is None or entry.at[:10] >= since.isoformat():
                    log.entries.append(entry)
    except OSError as exc:
        raise AuditError(f"{target}: the audit log could not be read ({exc.strerror or exc})") from exc
    return log


def _entry(raw: bytes) -> Entry | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or set(value) != set(FIELDS):
        return None
    at, actor, action, detail = (value[f] for f in FIELDS)
    if not (isinstance(at, str) and isinstance(actor, str) and isinstance(action, str) and isinstance(detail, dict)):
        return None
    try:
        dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    return Entry(at, actor, action, detail)


def detail_text(value: Any) -> str:
    """A detail value as one cell: lists joined by "; ", anything nested as JSON."""
    if isinstance(value, list):
        return "; ".join(detail_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per entry, one column per detail key (so a file name starts its own cell and is
    checked for formulas when written as CSV through analytics.csv_safety)."""
    keys = sorted({k for e in entries for k in e.detail})
    rows = [
        {"at": e.at, "actor": e.actor, "action": e.action, **{k: detail_text(e.detail.get(k)) for k in keys}}
        for e in entries
    ]
    return pd.DataFrame(rows, columns=["at", "actor", "action", *keys])
