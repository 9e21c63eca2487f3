"""What one ingest did to one file: rows read and loaded, what was repaired, what was replaced."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analytics.logs import log_failure, one_line


class IngestError(Exception):
    """A file that cannot be loaded; the message names the file and the problem in one line."""


@contextmanager
def one_error(path: Path, log: logging.Logger) -> Iterator[None]:
    """Whatever goes wrong loading `path` reaches the caller as an IngestError of one line naming the
    file; an error nobody foresaw is logged with its traceback as well."""
    try:
        yield
    except (IngestError, KeyboardInterrupt):
        raise
    except Exception as exc:
        reference = log_failure(log, f"loading {path}", exc)
        raise IngestError(
            f"{path}: could not be loaded ({one_line(exc)}); nothing of it was stored "
            f"(details in the log, reference {reference})"
        ) from exc


class SkipFile(Exception):
    """A readable file that must not be loaded (the message says why), e.g. a superseded delivery."""


@dataclass
class IngestReport:
    file: str
    format: str
    rows_read: int = 0
    rows_loaded: int = 0
    status: str = "loaded"  # loaded | unchanged | skipped | rejected
    error: str | None = None  # why a rejected file was refused, in one line naming it
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    billing_periods: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows; loaded + skipped = read

    def fix(self, message: str) -> None:
        if message not in self.fixes:
            self.fixes.append(message)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def skip(self, reason: str, rows: int) -> None:
        if rows:
            self.skipped[reason] = self.skipped.get(reason, 0) + rows

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if self.status == "unchanged":
            return f"{self.file}: already loaded, unchanged ({self.rows_read:,} rows)"
        if self.status == "skipped":
            return f"{self.file}: not loaded, {self.error}"
        text = f"{self.file}: {self.rows_loaded:,} of {self.rows_read:,} rows loaded as {self.format}"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{n:,} ({reason})" for reason, n in self.skipped.items())
        if self.replaced:
            text += f"; replaced {', '.join(self.replaced)}"
        return text
