"""Finding AWS CUR columns whatever the spelling: legacy `lineItem/UnblendedCost`, Athena
`line_item_unblended_cost`, CUR 2.0 (the same, `_arn` instead of `_a_r_n`, some attributes in maps)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from analytics.ingest.focus import cast_number
from analytics.schema import MONEY

_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Legacy tag columns; AWS writes user tags as `user:<key>` and its own as `aws:<key>`.
_LEGACY_TAG = re.compile(r"^resourceTags/(user|aws):(.+)$", re.IGNORECASE)
_SNAKE_TAG = re.compile(r"^resource_tags_(user|aws)_(.+)$", re.IGNORECASE)
# Two header names written without the comma between them, as in `pricing/OfferingClasspricing/PurchaseOption`.
_FUSED = re.compile(r"^[A-Za-z]+/[A-Za-z:]*[a-z0-9][a-z]+/")


PRECAST = "_amount:"  # prefix of a text column's amount computed once (Columns.precast)


def quote_ident(name: str) -> str:
    """A column name from a file header as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A header-derived name (a tag key) as a SQL string literal; never used for data values."""
    return "'" + text.replace("'", "''") + "'"


def snake_names(legacy: str) -> list[str]:
    """The snake_case spellings of a legacy name: CUR 2.0 (`savings_plan_arn`), Athena (`..._a_r_n`)."""
    category, _, name = legacy.partition("/")
    prefix = _WORD.sub("_", category).lower()
    words = _WORD.sub("_", name).lower()
    letters = re.sub(r"(?<=.)([A-Z])", r"_\1", name).lower()
    return list(dict.fromkeys([f"{prefix}_{words}", f"{prefix}_{letters}"]))


@dataclass(frozen=True)
class Columns:
    """The raw table's columns and types; `col` answers a legacy name with a SQL expression or None."""

    types: dict[str, str]  # actual name -> DuckDB type
    snake: bool  # CUR 2.0 / Athena layout
    # Text columns whose amount an inner SELECT computes once, as `PRECAST` + name (see aws.py).
    precast: frozenset[str] = frozenset()

    @classmethod
    def of(cls, described: Sequence[tuple[str, str]], snake: bool) -> Columns:
        return cls({name: kind for name, kind in described if name != "_row"}, snake)

    def _find(self, name: str) -> str | None:
        candidates = snake_names(name) if self.snake else [name]
        lowered = {n.lower(): n for n in self.types}
        return next((lowered[c.lower()] for c in candidates if c.lower() in lowered), None)

    def has(self, name: str) -> bool:
        return self.col(name) is not None

    def col(self, name: str) -> str | None:
        """The column as SQL (text or typed as in the file), or None when the file lacks it."""
        found = self._find(name)
        if found is not None:
            return quote_ident(found)
        if self.snake and name.startswith("product/"):
            return self._from_map("product", snake_names(name)[0].removeprefix("product_"))
        return None

    def _from_map(self, column: str, key: str) -> str | None:
        # CUR 2.0 keeps most product attributes in a map column `product` (JSON text in CSV).
        kind = self.types.get(column, "")
        if kind.upper().startswith("MAP"):
            return f"{quote_ident(column)}[{quote_text(key)}]"
        if kind.upper() == "VARCHAR":
            return f"json_extract_string({quote_ident(column)}, {quote_text('$.' + key)})"
        return None

    def text(self, name: str) -> str:
        """The column as trimmed text, NULL when absent or empty."""
        column = self.col(name)
        return f"nullif(trim(CAST({column} AS VARCHAR)), '')" if column else "NULL"

    def time(self, name: str) -> str:
        """The column as the file has it (text is parsed by the FOCUS reader, typed stays typed)."""
        return self.col(name) or "NULL"

    def number(self, name: str) -> str:
        """The column as a DECIMAL amount; text that is not a number was refused before (see aws.py)."""
        found = self._find(name)
        if found is None:
            return f"CAST(NULL AS {MONEY})"
        if found in self.precast:
            return quote_ident(PRECAST + found)
        if self.types[found].upper() == "VARCHAR":
            return cast_number(quote_ident(found), MONEY)
        # A Parquet NaN, infinity or 1e300 has no DECIMAL value: NULL here, refused by aws.py first.
        return f"try_cast({quote_ident(found)} AS {MONEY})"

    def quantity(self, name: str) -> str:
        """The column as a DOUBLE quantity or unit price (checked like amounts, see aws.py)."""
        found = self._find(name)
        if found is None:
            return "CAST(NULL AS DOUBLE)"
        column = quote_ident(found)
        return cast_number(column, "DOUBLE") if self.types[found].upper() == "VARCHAR" else column

    def numeric_columns(self, names: Sequence[str]) -> dict[str, str]:
        """Legacy name -> actual column, for the named columns the file has (to be checked)."""
        found = {name: self._find(name) for name in names}
        return {name: actual for name, actual in found.items() if actual}

    def is_text(self, actual: str) -> bool:
        return self.types[actual].upper() == "VARCHAR"

    def fused(self) -> list[str]:
        return [name for name in self.types if _FUSED.match(name)]

    def tags(self) -> str:
        """A FOCUS Tags JSON object built from the tag columns or the CUR 2.0 map; NULL when untagged."""
        columns: list[tuple[str, str]] = []  # (tag key, its value as SQL text, NULL when empty)
        for name in self.types:
            match = (_SNAKE_TAG if self.snake else _LEGACY_TAG).match(name)
            if match:
                key = match.group(2) if match.group(1).lower() == "user" else f"aws:{match.group(2)}"
                columns.append((key, f"nullif(CAST({quote_ident(name)} AS VARCHAR), '')"))
        map_column = next((n for n in self.types if n.lower() == "resource_tags"), None) if self.snake else None
        if map_column is None and len({key for key, _ in columns}) == len(columns):
            return _tag_object(columns)
        entries = [f"{{'k': {quote_text(key)}, 'v': {value}}}" for key, value in columns]
        parts = []
        if entries:
            parts.append(f"list_filter([{', '.join(entries)}], lambda e: e.v IS NOT NULL)")
        if map_column is not None:
            parts.append(_map_entries(quote_ident(map_column), self.types[map_column]))
        entries_sql = parts[0] if len(parts) == 1 else f"list_concat({', '.join(parts)})"
        return f"nullif(CAST(to_json(map_from_entries({entries_sql})) AS VARCHAR), '{{}}')"

    def tag_column_count(self) -> int:
        pattern = _SNAKE_TAG if self.snake else _LEGACY_TAG
        return sum(1 for name in self.types if pattern.match(name)) + (
            1 if self.snake and any(n.lower() == "resource_tags" for n in self.types) else 0
        )

    def cost_categories(self) -> list[str]:
        prefix = "cost_category" if self.snake else "costcategory/"
        return [name for name in self.types if name.lower().startswith(prefix)]


def _tag_object(columns: list[tuple[str, str]]) -> str:
    """The tag columns' JSON object as DuckDB's to_json writes a map (keys in column order, escaped
    by to_json, no blanks), joined as text: building a map on every row cost a tenth of a load."""
    if not columns:
        return "NULL"
    members = [
        f"CASE WHEN {value} IS NOT NULL THEN CAST(to_json({quote_text(key)}) AS VARCHAR) || ':' "
        f"|| CAST(to_json({value}) AS VARCHAR) END"
        for key, value in columns
    ]
    return f"nullif('{{' || concat_ws(',', {', '.join(members)}) || '}}', '{{}}')"


def _map_entries(column: str, kind: str) -> str:
    """CUR 2.0 `resource_tags` map (or its JSON text in CSV): keys `user_<key>` and `aws_<key>`."""
    as_map = column if kind.upper().startswith("MAP") else f"CAST(json({column}) AS MAP(VARCHAR, VARCHAR))"
    key = (
        "CASE WHEN starts_with(e.key, 'user_') THEN e.key[6:] "
        "WHEN starts_with(e.key, 'user:') THEN e.key[6:] "
        "WHEN starts_with(e.key, 'aws_') THEN 'aws:' || e.key[5:] ELSE e.key END"
    )
    return (
        f"list_filter(list_transform(map_entries({as_map}), lambda e: {{'k': {key}, 'v': nullif(e.value, '')}}), "
        "lambda e: e.v IS NOT NULL)"
    )
