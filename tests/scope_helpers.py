"""For the scoping tests: the small sample with the shipped allocation rules applied (so that
`alloc:business_unit` and the split Support pool exist), and scopes and page filters written as
plain SQL over the unscoped store, independently of analytics.store.scoped and analytics.queries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from analytics.allocation.refresh import refresh
from analytics.schema import Filters
from analytics.store import DATA_DIR, writing
from tests.app_fixtures import pristine_sample

SHIPPED_RULES = DATA_DIR / "allocation.yaml"
HALF_CENT = Decimal("0.005")
# Scope and filter parts: (dimension, allowed values); None among a filter's values means "not set".
Part = tuple[str, Sequence[str | None]]


def allocated_sample(target: Path) -> Path:
    """The small app sample at `target` (a store once opened), allocated with the shipped rules."""
    pristine_sample(target)
    with writing(target) as con:
        status = refresh(con, SHIPPED_RULES)
        assert status.error is None, status.error
    return target


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def condition(dimension: str, values: Sequence[str | None], columns: set[str], params: list[object]) -> str:
    """SQL true for a row `r` of alloc_costs / alloc_line_items whose `dimension` is one of `values`.
    A column the table does not have matches nothing; a tag is looked up in `alloc_tags` (`t`)."""
    known = [v for v in values if v is not None]
    parts = []
    if dimension.startswith("tag:"):
        key = dimension[len("tag:") :]
        for value in known:
            parts.append(
                "EXISTS (SELECT 1 FROM alloc_tags t WHERE t.x_TagSetId = r.x_TagSetId "
                "AND t.TagKey = ? AND t.TagValue = ?)"
            )
            params += [key, value]
        if None in values:
            parts.append(
                "NOT EXISTS (SELECT 1 FROM alloc_tags t WHERE t.x_TagSetId = r.x_TagSetId "
                "AND t.TagKey = ? AND t.TagValue IS NOT NULL)"
            )
            params.append(key)
    elif dimension not in columns:
        return "FALSE"
    else:
        for value in known:
            parts.append(f"r.{_quoted(dimension)} = ?")
            params.append(value)
        if None in values:
            parts.append(f"r.{_quoted(dimension)} IS NULL")
    return "(" + (" OR ".join(parts) or "FALSE") + ")"


def scope_sql(filters: Sequence[Sequence[Part]], columns: set[str], params: list[object]) -> str:
    """A scope (a union of filters, each an AND of parts) as SQL over `r`; no filter: FALSE."""
    granted = ["(" + " AND ".join(condition(d, v, columns, params) for d, v in f) + ")" for f in filters if f]
    return "(" + (" OR ".join(granted) or "FALSE") + ")"


def filters_sql(filters: Filters, columns: set[str], params: list[object], detail: bool) -> str:
    """A page's Filters as SQL over `r` (`detail`: a row of alloc_line_items, dated by ChargePeriodStart)."""
    day = "CAST(r.ChargePeriodStart AS DATE)" if detail else "r.ChargeDay"
    parts = ["TRUE"]
    if filters.start is not None:
        parts.append(f"{day} >= ?")
        params.append(filters.start)
    if filters.end is not None:
        parts.append(f"{day} <= ?")
        params.append(filters.end)
    parts += [condition(d, v, columns, params) for d, v in filters.where]
    return " AND ".join(parts)


def to_cent(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
