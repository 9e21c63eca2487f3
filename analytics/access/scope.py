"""What part of the spend a person may see: everything, or a union of filters on dimensions. Pure
values, compared and hashed as they are; the engine turns one into a WHERE clause."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

# One filter: every (dimension, allowed values) must hold; the values of one dimension are OR-ed.
Filter = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Scope:
    """`everything`, or the rows that pass any one of `filters` (each sorted, deduplicated)."""

    everything: bool
    filters: tuple[Filter, ...] = ()

    def key(self) -> str:
        """A short fingerprint, the same in every process, for cache keys ("all" for everything)."""
        if self.everything:
            return "all"
        text = json.dumps(self.filters, separators=(",", ":"), ensure_ascii=True)
        return "s" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def dimensions(self) -> list[str]:
        """Every dimension any filter names, in sorted order."""
        return sorted({dimension for f in self.filters for dimension, _ in f})

    def describe(self) -> str:
        """One line for people: "everything", or each filter's conditions, the filters joined by "; or "."""
        if self.everything:
            return "everything"
        if not self.filters:
            return "nothing"
        return "; or ".join(" and ".join(_condition(d, v) for d, v in f) for f in self.filters)


ALL = Scope(True, ())
NOTHING = Scope(False, ())


def _condition(dimension: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{dimension} = {values[0]}"
    return f"{dimension} in ({', '.join(values)})"


def filter_of(conditions: Iterable[tuple[str, Iterable[str]]]) -> Filter:
    """A filter in its canonical form: dimensions sorted, each one's values sorted and deduplicated
    (each dimension named once: a YAML mapping cannot repeat a key)."""
    return tuple(sorted((d, tuple(sorted(set(values)))) for d, values in conditions))


def union(scopes: Iterable[Scope]) -> Scope:
    """What any of `scopes` allows: everything if one of them does; else their filters, with a
    filter dropped when another lets through every row it does, so equal scopes get equal keys."""
    filters: set[Filter] = set()
    for scope in scopes:
        if scope.everything:
            return ALL
        filters.update(scope.filters)
    kept = [f for f in filters if not any(other != f and _covers(other, f) for other in filters)]
    return Scope(False, tuple(sorted(kept)))


def _covers(wide: Filter, narrow: Filter) -> bool:
    """Every row `narrow` lets through, `wide` does: each condition of `wide` is also a condition of
    `narrow` with no more values."""
    conditions = dict(narrow)
    return all(d in conditions and set(conditions[d]) <= set(values) for d, values in wide)
