"""What every command of the command line shares: the --db option, argument parsing helpers,
the one-line usage error and rounding to the cent. Command modules import this, not cli.py."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from analytics.input_files import FileRefused
from analytics.schema import CENT
from analytics.store import default_db_path

Handler = Callable[[argparse.Namespace], int]

COMMON = argparse.ArgumentParser(add_help=False)
COMMON.add_argument("--db", type=Path, default=None, help="database file (default $FINOPS_DB or data/finops.duckdb)")


class UsageError(ValueError):
    """Bad arguments or input, reported in one line; the command exits with status 2."""


def refused(exc: FileRefused) -> UsageError:
    """A refused input file: every problem on stderr, and the one-line error to raise."""
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return UsageError(str(exc))


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db is not None else default_db_path()


def to_cent(value: float) -> float:
    """Half-up to the cent, as an invoice rounds; through the shortest decimal text of the float, so
    an amount stored as 1.005 is 1.01 and not the 1.00 that its binary neighbour would give."""
    return float(Decimal(repr(float(value))).quantize(CENT, ROUND_HALF_UP))
