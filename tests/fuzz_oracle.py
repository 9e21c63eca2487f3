"""What a mutated export holds, read independently of the loader: the csv module in strict mode with
the dialect it was written in, pyarrow, or json, and Decimal for every amount."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.fuzz_mutations import COST, DATE_WINDOW, DATES, Case

csv.field_size_limit(2**31 - 1)  # a 10 MB field is still valid CSV


@dataclass
class Holds:
    """The file's rows and its total of the billed cost column; `problem` says why there is no total."""

    total: Decimal | None = None
    rows: int = 0
    problem: str | None = None
    short_rows: list[int] = field(default_factory=list)  # rows missing trailing fields (cost still there)
    dates_outside: list[str] = field(default_factory=list)


_NULLS = ("", "null", "NULL")


def _money(value: Any, where: str) -> Decimal:
    if value is None or (isinstance(value, str) and value.strip() in _NULLS):
        return Decimal(0)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a finite number")
        return Decimal(repr(value))
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{where}: {str(value)[:30]!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{where}: {value!r} is not a finite number")
    return amount


def _credits(text: Any) -> Decimal:
    if text in (None, "", "[]"):
        return Decimal(0)
    items = text if isinstance(text, list) else ast.literal_eval(str(text))
    return sum((Decimal(str(c["amount"])) for c in items), Decimal(0))


def _decode(case: Case) -> bytes:
    data = case.path.read_bytes()
    return gzip.decompress(data) if case.gzipped else data


def _records(case: Case) -> tuple[list[str], list[list[Any]]]:
    """Header and rows as the file holds them; raises ValueError when it cannot be read at all."""
    data = _decode(case)
    if case.container == "parquet":
        arrow = pq.ParquetFile(io.BytesIO(data)).read()  # not read_table: it refuses a doubled column
        columns = [arrow.column(i).to_pylist() for i in range(arrow.num_columns)]
        return list(arrow.column_names), [list(r) for r in zip(*columns, strict=True)] if columns else []
    if case.container == "jsonl":
        header: list[str] = []
        rows = []
        for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue

            def strict(name: str, line_no: int = number) -> None:
                raise ValueError(f"line {line_no}: {name} is not JSON")

            try:
                record = json.loads(line, parse_constant=strict, parse_int=Decimal)  # no 4300-digit limit
            except RecursionError:
                raise ValueError(f"line {number}: nested too deep to read") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: {exc}") from None
            if not isinstance(record, dict):
                raise ValueError(f"line {number}: not a JSON object")
            # objects one level deep become `parent.child` fields, as BigQuery's columns are named
            flat: dict[str, Any] = {}
            for key, value in record.items():
                if isinstance(value, dict):
                    flat.update({f"{key}.{child}": inner for child, inner in value.items()})
                else:
                    flat[key] = value
            for key in flat:
                if key not in header:
                    header.append(key)
            rows.append(flat)
        return header, [[r.get(k) for k in header] for r in rows]
    text = data.decode(case.dialect.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=case.dialect.delimiter,
                        quotechar=case.dialect.quotechar, strict=True)  # fmt: skip
    try:
        all_rows = [r for r in reader if r]
    except csv.Error as exc:
        raise ValueError(f"not readable CSV ({exc})") from None
    if not all_rows:
        raise ValueError("no header")
    return all_rows[0], all_rows[1:]


_MOMENT = re.compile(r"\s*(-?\d{1,6})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?")


def _outside_window(value: str) -> bool:
    """Before 2000-01-01 or after 2100-01-01 00:00 (the bound itself is a valid exclusive end)."""
    found = _MOMENT.match(value)
    if not found:
        return False
    parts = tuple(int(g or 0) for g in found.groups())
    return parts[0] < DATE_WINDOW[0] or parts > (DATE_WINDOW[1], 1, 1, 0, 0, 0)


def holds(case: Case) -> Holds:
    try:
        header, rows = _records(case)
    except (ValueError, OSError, EOFError, pa.ArrowException, UnicodeDecodeError) as exc:
        return Holds(problem=str(exc)[:200])
    names = [str(h).strip().lower() for h in header]
    cost = next((names.index(c) for c in COST[case.family] if c in names), None)
    if cost is None:
        return Holds(rows=len(rows), problem="no cost column")
    out = Holds(total=Decimal(0), rows=len(rows))
    credits = names.index("credits") if case.family == "gcp" and "credits" in names else None
    dates = [names.index(d.lower()) for d in DATES[case.family] if d.lower() in names]
    try:
        for number, r in enumerate(rows, start=1):
            if len(r) != len(header) and case.container == "csv":
                if len(r) > len(header) or cost >= len(r):
                    return Holds(rows=len(rows), problem=f"row {number} has {len(r)} of {len(header)} fields")
                out.short_rows.append(number)
            out.total += _money(r[cost], f"row {number}")  # type: ignore[operator]
            if credits is not None and credits < len(r):
                out.total += _credits(r[credits])  # type: ignore[operator]
            for d in dates:
                value = str(r[d]) if d < len(r) and r[d] is not None else ""
                if _outside_window(value):
                    out.dates_outside.append(f"row {number}: {value[:30]}")
    except (ValueError, SyntaxError, KeyError, TypeError) as exc:
        return Holds(rows=len(rows), problem=str(exc)[:200])
    return out
