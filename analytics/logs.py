"""Where the details of a failure go: one log file, so that a terminal or a browser only ever shows a
one-line message and a reference id, and the traceback waits in the log for whoever runs the server.

The file is `$FINOPS_LOG`, else data/logs/finops.log in the project. Modules log with
`logging.getLogger(__name__)`; `setup_logging()` sends the `analytics` and `ui` loggers there."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

LOG_ENV = "FINOPS_LOG"
LOGGERS = ("analytics", "ui")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    """`$FINOPS_LOG` if set, else data/logs/finops.log."""
    # Imported here: the store imports DuckDB, which the sign-in gate must not wait for.
    from analytics.store import DATA_DIR

    return Path(os.environ.get(LOG_ENV) or DATA_DIR / "logs" / "finops.log")


def setup_logging() -> Path:
    """Attach the log file to the product's loggers (once per path); returns the file's path.

    A file that cannot be opened (read-only install) leaves Python's last-resort handler, which
    writes to stderr: the details are not lost, and nothing crashes over a log."""
    path = log_path()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        if any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in logger.handlers):
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            continue
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return path


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> str:
    """Log an unexpected exception with its traceback under a short reference id, and return the id
    (the one thing a user quotes when asking for help)."""
    setup_logging()
    reference = secrets.token_hex(4)
    logger.error("[%s] %s failed: %s", reference, what, exc, exc_info=exc)
    return reference


def one_line(exc: BaseException, limit: int = 200) -> str:
    """The exception's first line, without paths of the server's source; short enough for one line."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    message = f"{name}: {first}" if first else name
    return message if len(message) <= limit else message[: limit - 1] + "…"
