"""The repeated fields of the GCP billing export (credits, labels) read from their text form: JSON,
or the Python literal some CSV flattenings write (single quotes, None), never evaluated as code."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class ArrayError(ValueError):
    """A credits or labels value that is not a list of records; the message says what is wrong."""


@dataclass(frozen=True)
class Parsed:
    items: list[dict[str, Any]]
    python_literal: bool  # read as a Python literal rather than JSON (reported as a repair)


def parse_array(text: str) -> Parsed:
    """A list of records from `[{"key": ...}]` or `[{'key': ..., 'x': None}]`; empty text is []."""
    stripped = text.strip()
    if not stripped:
        return Parsed([], False)
    try:
        value, literal = json.loads(stripped), False
    except RecursionError as exc:
        raise ArrayError("nested too deeply to read (hundreds of levels)") from exc
    except json.JSONDecodeError:
        try:
            # literal_eval only builds literals (lists, dicts, strings, numbers, None): no code runs.
            value, literal = ast.literal_eval(stripped), True
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise ArrayError("neither JSON nor a Python literal") from exc
    except ValueError as exc:
        # Python refuses integers of more than 4,300 digits rather than spend quadratic time on them.
        raise ArrayError("holds a number too long to read") from exc
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ArrayError("not a list of records")
    return Parsed(value, literal)


def credits_total(items: list[dict[str, Any]]) -> Decimal:
    """Σ credits.amount (credits are negative), exactly as written: floats go through their repr."""
    total = Decimal(0)
    for item in items:
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
            raise ArrayError(f"credit {item.get('name')!r} has no numeric amount")
        try:
            total += Decimal(str(amount).strip())
        except InvalidOperation as exc:
            raise ArrayError(f"credit amount {amount!r} is not a number") from exc
    if not total.is_finite():
        raise ArrayError("a credit amount is not finite")
    return total


def labels(items: list[dict[str, Any]], prefix: str) -> dict[str, str | None]:
    """[{key, value}] -> {prefix + key: value}. Resource-manager tags carry a namespace, which is
    part of their identity (two namespaces may both define `env`), so it is kept in the key."""
    found: dict[str, str | None] = {}
    for item in items:
        key = item.get("key")
        if not isinstance(key, str) or not key:
            raise ArrayError("a label has no key")
        namespace = item.get("namespace")
        name = f"{namespace}/{key}" if isinstance(namespace, str) and namespace else key
        value = item.get("value")
        found[prefix + name] = value if value is None or isinstance(value, str) else json.dumps(value)
    return found
