"""The real exports in tests/data/real (each folder with its licence; README.md there names the sources),
and independent sums over them (csv module + Decimal)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

REALDATA = Path(__file__).resolve().parent / "data" / "real"
FOCUS_SAMPLE = REALDATA / "focus" / "focus-1.0-sample.csv"


def csv_sum(path: Path, column: str, by: str | None = None, where: dict[str, str] | None = None) -> dict[str, Decimal]:
    """An independent sum of a CSV column with the csv module and Decimal, per value of `by`."""
    totals: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            if where and any(record.get(k) != v for k, v in where.items()):
                continue
            key = record[by] if by else ""
            value = record[column]
            if value in ("", "NULL", "null"):
                continue
            totals[key] = totals.get(key, Decimal(0)) + Decimal(value)
    return totals


CENT = Decimal("0.01")


def cents(values: dict[str, Decimal]) -> dict[str, Decimal]:
    """Amounts per key rounded to the cent, the precision every total must reconcile to."""
    return {k: Decimal(str(v)).quantize(CENT) for k, v in values.items()}


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file's records as text, the way a test edits a real export before loading it."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
