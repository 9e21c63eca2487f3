"""The store's one writer at a time: an advisory lock on `write.lock`, which names its holder. The
kernel releases it when the holder dies, even by kill -9, so a crash never leaves the store locked."""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_TIMEOUT = 60.0
_POLL = 0.1
# flock does not order two threads of one process (each would open its own descriptor), and the
# app writes from several; threads queue here first, per store.
_local: dict[Path, threading.Lock] = {}
_local_guard = threading.Lock()


class LockTimeout(Exception):
    """Another writer kept the store for the whole wait; the message says who."""


def timeout_from_env() -> float:
    """`FINOPS_LOCK_TIMEOUT` seconds (default 60); a value that is not a number is refused, not ignored."""
    text = os.environ.get("FINOPS_LOCK_TIMEOUT")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        raise LockTimeout(f"FINOPS_LOCK_TIMEOUT={text!r}: expected a number of seconds") from None
    if not 0 <= seconds < 86_400:
        raise LockTimeout(f"FINOPS_LOCK_TIMEOUT={text!r}: expected 0 to 86399 seconds")
    return seconds


@contextmanager
def holding(lock_file: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the store's write lock, waiting up to `timeout` seconds for the current holder."""
    wait = timeout_from_env() if timeout is None else timeout
    deadline = time.monotonic() + wait
    with _local_guard:
        local = _local.setdefault(lock_file.resolve(), threading.Lock())
    if not local.acquire(timeout=wait):
        raise LockTimeout(_busy_message(lock_file, wait, "another thread of this process"))
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _acquire(fd, lock_file, deadline, wait)
            _describe_holder(fd)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
    finally:
        local.release()


@contextmanager
def if_free(lock_file: Path) -> Iterator[bool]:
    """The write lock without waiting: True inside when nobody else held it (and so it is held
    here), False when a writer, of this process or another, is at work."""
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except OSError:
        yield False  # no writer ever came (or the folder is not ours to change)
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except OSError:
            held = False
        yield held
    finally:
        os.close(fd)


def _acquire(fd: int, lock_file: Path, deadline: float, wait: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise LockTimeout(_busy_message(lock_file, wait, holder(lock_file)))
        time.sleep(_POLL)


def _describe_holder(fd: int) -> None:
    who = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command_line(),
        "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(who).encode(), 0)


def command_line() -> str:
    """This process's command, shortened, to say who writes."""
    return " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:300]


def holder(lock_file: Path) -> str:
    """Who holds the lock, as its holder wrote it down: pid, command and since when."""
    try:
        who = json.loads(lock_file.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(who, dict) or "pid" not in who:
        return "another process"
    return f"pid {who['pid']} on {who.get('host', '?')} (`{who.get('command', '?')}`) since {who.get('since', '?')}"


def _busy_message(lock_file: Path, wait: float, who: str) -> str:
    return (
        f"{lock_file.parent}: another write holds the store: {who}; waited {wait:g} s "
        "(FINOPS_LOCK_TIMEOUT sets the wait); try again when it has finished"
    )
