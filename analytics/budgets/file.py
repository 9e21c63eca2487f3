"""Budgets per owner and month: the user's file data/budgets.csv, the `budgets` table it is loaded
into, and budget vs actual vs month-end projection.

How the file and the table relate: data/budgets.csv is what the user edits (by hand or on the
Forecast page). When it has rows, they are the budgets: loaded into the table whenever the file
changes (fingerprint in meta `budgets_csv`). A file with only its header means "no budgets of
mine": the table keeps what is there, which for the sample company is the budgets it ships with.
Saving from the page writes the file and the table together."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from analytics.engine import Connection, Engine, EngineError
from analytics.store import DATA_DIR, first_line, get_meta, set_meta, transaction

COLUMNS = ["owner_dimension", "owner", "month", "amount", "currency"]
META_KEY = "budgets_csv"
COMPANY_DIMENSION = "company"  # owner_dimension of a company-wide total budget (any owner name, e.g. total)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONTH = re.compile(r"^\d{4}-\d{2}(-01)?$")
# A monthly budget above a trillion is a typo or a unit mix-up (1e400 was seen); the stored column
# (DECIMAL(38,12)) would refuse far larger ones with a database error naming no file or line.
MAX_AMOUNT = Decimal("1e12")
_MONTHS = (dt.date(2000, 1, 1), dt.date(2099, 12, 1))  # the dates ingest accepts


class BudgetError(ValueError):
    """A budget row cannot be used; the message names the file, line and field."""


def default_path() -> Path:
    """`FINOPS_BUDGETS` if set, else data/budgets.csv."""
    return Path(os.environ.get("FINOPS_BUDGETS") or DATA_DIR / "budgets.csv")


def parse(text: str, source: str, dimensions: list[str] | None = None) -> pd.DataFrame:
    """Check every row of a budgets CSV; `dimensions` (when given) are the owner dimensions that exist."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != COLUMNS:
        found = ",".join(header or [])
        raise BudgetError(f"{source}, line 1: header must be {','.join(COLUMNS)}, found {found or '(empty)'}")
    rows, seen = [], set()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(COLUMNS):
            raise BudgetError(f"{source}, line {line}: {len(record)} fields, expected {len(COLUMNS)}")
        rows.append(_row(source, line, dict(zip(COLUMNS, (c.strip() for c in record), strict=True)), dimensions))
        key = tuple(rows[-1][:3])
        if key in seen:
            raise BudgetError(f"{source}, line {line}: a second budget for {key[0]}={key[1]} in {key[2]:%Y-%m}")
        seen.add(key)
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(source: str, line: int, r: dict[str, str], dimensions: list[str] | None) -> list[object]:
    where = f"{source}, line {line}"
    if not r["owner_dimension"]:
        raise BudgetError(f"{where}, owner_dimension: empty (e.g. tag:team)")
    if dimensions is not None and r["owner_dimension"] not in (*dimensions, COMPANY_DIMENSION):
        raise BudgetError(f"{where}, owner_dimension: {r['owner_dimension']!r} is not a dimension of the data")
    if not r["owner"]:
        raise BudgetError(f"{where}, owner: empty")
    if not _MONTH.match(r["month"]):
        raise BudgetError(f"{where}, month: {r['month']!r} is not a month (YYYY-MM)")
    try:
        month = dt.date.fromisoformat(r["month"][:7] + "-01")
    except ValueError as exc:
        raise BudgetError(f"{where}, month: {r['month']!r} is not a month (YYYY-MM)") from exc
    if not _MONTHS[0] <= month <= _MONTHS[1]:
        raise BudgetError(f"{where}, month: {r['month']!r} is outside 2000-01 to 2099-12")
    try:
        amount = Decimal(r["amount"].replace("_", "#"))  # Decimal would read 1_000 as 1000
    except InvalidOperation as exc:
        raise BudgetError(f"{where}, amount: {r['amount']!r} is not a number") from exc
    if not amount.is_finite():
        raise BudgetError(f"{where}, amount: {r['amount']!r} is not a finite number")
    if amount < 0:
        raise BudgetError(f"{where}, amount: {r['amount']!r} must be zero or more")
    if amount > MAX_AMOUNT:
        raise BudgetError(f"{where}, amount: {r['amount']!r} is more than {MAX_AMOUNT:,.0f}, not a monthly budget")
    if not _CURRENCY.match(r["currency"]):
        raise BudgetError(f"{where}, currency: {r['currency']!r} is not a 3-letter code such as USD")
    return [r["owner_dimension"], r["owner"], month, float(amount), r["currency"]]


def to_csv(frame: pd.DataFrame) -> str:
    out = frame[COLUMNS].assign(month=pd.to_datetime(frame["month"]).dt.strftime("%Y-%m"))
    return out.to_csv(index=False, lineterminator="\n")


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_table(engine: Engine) -> pd.DataFrame:
    frame = engine.query(
        "SELECT owner_dimension, owner, month, CAST(amount AS DOUBLE) AS amount, currency FROM budgets "
        "ORDER BY owner_dimension, owner, month"
    )
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.date)


def replace_table(con: Connection, frame: pd.DataFrame, fingerprint: str | None = None) -> None:
    """All the budgets at once, in one transaction: a failure leaves the old ones in place."""
    staged = frame[COLUMNS].copy()
    with transaction(con):
        con.register("_budgets_in", staged)
        try:
            con.execute("DELETE FROM budgets")
            con.execute("INSERT INTO budgets SELECT owner_dimension, owner, month, amount, currency FROM _budgets_in")
        finally:
            con.unregister("_budgets_in")
        if fingerprint is not None:
            set_meta(con, META_KEY, fingerprint)


def needs_sync(engine: Engine, path: Path, dimensions: list[str] | None = None) -> bool:
    """True when `sync` would load the file: it has rows and changed since the last load. Read
    only, so a caller can skip opening a writer (a write copies and republishes the store); a file
    that cannot be used raises BudgetError, as `sync` would."""
    stored = engine.query("SELECT value FROM meta WHERE key = ?", [META_KEY])
    return _changed(path, dimensions, None if stored.empty else str(stored["value"].iloc[0])) is not None


def sync(con: Connection, path: Path, dimensions: list[str] | None = None) -> bool:
    """Load the file into the table when it has rows and changed since the last load; True if loaded."""
    changed = _changed(path, dimensions, get_meta(con, META_KEY))
    if changed is not None:
        _store(con, *changed, path)
    return changed is not None


def _changed(path: Path, dimensions: list[str] | None, stored: str | None) -> tuple[pd.DataFrame, str] | None:
    """The file's rows and fingerprint when it has rows and its fingerprint is not `stored`."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8-sig")
    frame = parse(text, str(path), dimensions)
    return None if frame.empty or _fingerprint(text) == stored else (frame, _fingerprint(text))


def _store(con: Connection, frame: pd.DataFrame, fingerprint: str, path: Path) -> None:
    """replace_table, with a database refusal reported as the file's (the table is left as it was)."""
    try:
        replace_table(con, frame, fingerprint)
    except EngineError as exc:
        raise BudgetError(f"{path}: cannot be stored: {first_line(exc)}") from exc


def save(con: Connection, path: Path, frame: pd.DataFrame, dimensions: list[str] | None) -> None:
    """Check `frame` as if it were the file, then write the file and the table."""
    text = to_csv(frame)
    checked = parse(text, str(path), dimensions)
    _store(con, checked, _fingerprint(text), path)
    temporary = path.with_suffix(".csv.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a file
