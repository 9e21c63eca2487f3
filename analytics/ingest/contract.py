"""The FOCUS 1.3 Contract Commitment dataset: one row per commitment term of a contract, with its
dates and amounts (docs/formats.md). A file is checked whole before anything is stored; it then
replaces the stored rows of the commitment ids it holds, in one transaction, so loading a file
twice, or a newer delivery of the same commitments, stores each commitment once."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import logging
import re
import zlib
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from analytics.engine import Connection
from analytics.ingest.report import IngestError, IngestReport, one_error
from analytics.store import transaction

log = logging.getLogger(__name__)

DATASET = "contract-commitment"
TEXT_COLUMNS = (
    "ContractCommitmentId", "ContractId", "ContractCommitmentCategory", "ContractCommitmentType",
    "ContractCommitmentDescription",
)  # fmt: skip
AMOUNT_COLUMNS = ("ContractCommitmentCost", "ContractCommitmentQuantity")
TAIL_TEXT = ("ContractCommitmentUnit", "BillingCurrency")
TIME_COLUMNS = (
    "ContractCommitmentPeriodStart",
    "ContractCommitmentPeriodEnd",
    "ContractPeriodStart",
    "ContractPeriodEnd",
)
# The order of the stored table (analytics/store DDL), without the provenance columns.
COLUMNS = (*TEXT_COLUMNS, *AMOUNT_COLUMNS, *TAIL_TEXT, *TIME_COLUMNS)
NOT_NULL = ("ContractCommitmentId", "ContractId", "ContractCommitmentCategory", "ContractCommitmentType", *TIME_COLUMNS)
CATEGORIES = ("Spend", "Usage")
# Columns only a Cost and Usage file has: a file with them is not this dataset.
_COST_AND_USAGE = {"ChargeCategory", "BilledCost", "EffectiveCost", "ChargePeriodStart"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_DIGITS = 26  # DECIMAL(38,12) keeps 26 digits before the point

Row = dict[str, Any]


def detect(columns: Sequence[str]) -> bool:
    """A header with every Contract Commitment column and none of Cost and Usage's own."""
    names = set(columns)
    return set(COLUMNS) <= names and not names & _COST_AND_USAGE


def header(path: Path) -> list[str]:
    """The column names of a CSV, CSV.gz or Parquet file ([] when it has none or is unreadable)."""
    try:
        if _is_parquet(path):
            return list(pq.read_schema(path).names)
        with _text(path) as handle:
            return next(csv.reader(handle), [])
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error, ValueError):
        return []  # not this dataset's: the cost-and-usage path reads it and names what is wrong


def ingest(con: Connection, path: Path) -> IngestReport:
    """Check the whole file, then store it in one transaction (see the module's docstring). Whatever
    goes wrong, the caller gets an IngestError with one line naming the file."""
    with one_error(path, log):
        return _ingest(con, path)


def _ingest(con: Connection, path: Path) -> IngestReport:
    report = IngestReport(file=str(path), format=DATASET)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = list(_checked(path))
    report.rows_read = len(rows)
    if not rows:
        raise IngestError(f"{path}: no Contract Commitment rows under the header; nothing was stored")
    stored = con.execute("SELECT count(*) FROM contract_commitments WHERE x_FileHash = ?", [digest]).fetchone()
    if stored and stored[0] == len(rows):
        report.status = "unchanged"  # every row of these bytes is still stored
        return report
    ids = [row["ContractCommitmentId"] for row in rows]
    with transaction(con):
        found = con.execute("SELECT coalesce(max(x_SourceId), 0) + 1 FROM contract_commitments").fetchone()
        load_id = int(found[0]) if found else 1
        replaced = con.execute(
            "SELECT count(*) FROM contract_commitments WHERE list_contains(?, ContractCommitmentId)", [ids]
        ).fetchone()
        con.execute("DELETE FROM contract_commitments WHERE list_contains(?, ContractCommitmentId)", [ids])
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 4))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.executemany(
            f"INSERT INTO contract_commitments VALUES ({marks})",
            [[row[c] for c in COLUMNS] + [load_id, str(path), digest, now] for row in rows],
        )
    report.rows_loaded = len(rows)
    if replaced and replaced[0]:
        report.replaced.append(f"{replaced[0]} earlier commitment rows with the same ids")
    return report


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def _text(path: Path) -> io.TextIOWrapper:
    with path.open("rb") as probe:
        zipped = probe.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if zipped else path.open("rb")  # noqa: SIM115 (closed with the wrapper returned)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) for each data row: "line N" of a CSV (the header is line 1), "row N" of Parquet."""
    if _is_parquet(path):
        table = pq.read_table(path)
        _require(path, table.column_names)
        for index, record in enumerate(table.to_pylist(), start=1):
            yield f"row {index}", record
        return
    with _text(path) as handle:
        reader = csv.DictReader(handle)
        _require(path, reader.fieldnames or [])
        for record in reader:
            yield f"line {reader.line_num}", record


def _require(path: Path, columns: Sequence[str]) -> None:
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise IngestError(f"{path}: Contract Commitment column {', '.join(missing)} missing; nothing was stored")


def _checked(path: Path) -> Iterator[Row]:
    """The file's rows, typed and checked against the FOCUS 1.3 rules; the first broken rule raises
    IngestError naming the file, the row and the column."""
    seen: dict[str, str] = {}
    try:
        for where, record in _records(path):
            row = _typed(path, where, record)
            _rules(path, where, row)
            key = row["ContractCommitmentId"]
            if key in seen:
                raise IngestError(
                    f"{path}, {where}, ContractCommitmentId: {key!r} is already on {seen[key]} (it must be unique)"
                )
            seen[key] = where
            yield row
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 text ({exc.reason}); nothing was stored") from exc
    except (csv.Error, OSError, EOFError) as exc:
        raise IngestError(f"{path}: not a readable CSV, CSV.gz or Parquet file ({exc}); nothing was stored") from exc


def _typed(path: Path, where: str, record: dict[str, Any]) -> Row:
    row: Row = {}
    for column in (*TEXT_COLUMNS, *TAIL_TEXT):
        value = record.get(column)
        row[column] = None if value is None or str(value).strip() == "" else str(value).strip()
    for column in AMOUNT_COLUMNS:
        row[column] = _amount(path, where, column, record.get(column))
    for column in TIME_COLUMNS:
        row[column] = _time(path, where, column, record.get(column))
    return row


def _amount(path: Path, where: str, column: str, value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise IngestError(f"{path}, {where}, {column}: {value!r} is not a decimal number") from None
    if not amount.is_finite() or amount.adjusted() >= _MAX_DIGITS:
        raise IngestError(f"{path}, {where}, {column}: {value!r} is not a usable amount")
    if amount < 0:
        raise IngestError(f"{path}, {where}, {column}: {value} is negative (a commitment commits a positive amount)")
    return amount


def _time(path: Path, where: str, column: str, value: Any) -> dt.datetime | None:
    """FOCUS Date/Time: ISO 8601 in UTC; stored naive UTC like every time in the store."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise IngestError(
                f"{path}, {where}, {column}: {value!r} is not a date/time (ISO 8601, e.g. 2026-01-01T00:00:00Z)"
            ) from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    if not 2000 <= when.year <= 2099:
        raise IngestError(f"{path}, {where}, {column}: {value} is outside 2000 to 2099")
    return when


def _rules(path: Path, where: str, row: Row) -> None:
    def fail(column: str, problem: str) -> IngestError:
        return IngestError(f"{path}, {where}, {column}: {problem}")

    for column in NOT_NULL:
        if row[column] is None:
            raise fail(column, "empty (it must not be null)")
    category = row["ContractCommitmentCategory"]
    if category not in CATEGORIES:
        raise fail("ContractCommitmentCategory", f"{category!r} is not one of {', '.join(CATEGORIES)}")
    if category == "Spend" and row["ContractCommitmentCost"] is None:
        raise fail("ContractCommitmentCost", "empty on a Spend commitment")
    if category == "Spend" and row["BillingCurrency"] is None:
        raise fail("BillingCurrency", "empty on a Spend commitment")
    if row["BillingCurrency"] is not None and not _CURRENCY.match(row["BillingCurrency"]):
        raise fail("BillingCurrency", f"{row['BillingCurrency']!r} is not a currency code (USD, EUR)")
    if category == "Usage" and row["ContractCommitmentQuantity"] is None:
        raise fail("ContractCommitmentQuantity", "empty on a Usage commitment")
    if (row["ContractCommitmentQuantity"] is None) != (row["ContractCommitmentUnit"] is None):
        raise fail("ContractCommitmentUnit", "must be given exactly when ContractCommitmentQuantity is")
    for begin, end in (
        ("ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd"),
        ("ContractPeriodStart", "ContractPeriodEnd"),
    ):
        if row[end] <= row[begin]:
            raise fail(end, f"{row[end]} is not after {begin} {row[begin]} (the end is exclusive)")
