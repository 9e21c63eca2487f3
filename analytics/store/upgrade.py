"""A generation written by an earlier schema, brought up to the current one in a writer's copy.

Schema 2 (FOCUS 1.3's ServiceProviderName and HostProviderName became rollup dimensions): the daily
rollup gains their columns, so it is built again from the line items, which always held them. The
stored allocation was built from the old rollup and lacks them too; its state is cleared, so the next
reader that checks it (every page, `query`, `allocate`) applies the rules again. docs/store.md says
when this runs and what a reader sees meanwhile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from analytics.engine import Connection
from analytics.schema import ROLLUP_DIMENSIONS
from analytics.store.rollup import rebuild_rollups

SCHEMA_KEY = "schema_version"
# analytics.allocation.apply.STATE_KEY (the store may not import the allocation, which imports it);
# tests/test_store_upgrade.py checks the two agree.
ALLOCATION_STATE_KEY = "alloc_state"
_SOURCE_TOTALS = """
SELECT x_SourceId, sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost), sum(LineItems)
FROM daily_costs GROUP BY 1 ORDER BY 1
"""
_CURRENCY_TOTALS = "SELECT BillingCurrency, sum(BilledCost) FROM daily_costs GROUP BY ALL ORDER BY 1"

Totals = dict[int, tuple[Decimal, ...]]


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: the schema versions, the columns the rollup gained, and per source the
    rollup's billed, effective, list and contracted sums and line count, before and after."""

    from_version: str
    to_version: str
    added: tuple[str, ...]
    rows: int
    before: Totals
    after: Totals

    @property
    def changed_sources(self) -> list[int]:
        """Sources whose sums differ: their old rollup had drifted from their line items."""
        return sorted(s for s in self.before.keys() | self.after.keys() if self.before.get(s) != self.after.get(s))


def version(con: Connection) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [SCHEMA_KEY]).fetchone()
    return None if row is None else str(row[0])


def missing_columns(con: Connection) -> tuple[str, ...]:
    """The rollup dimensions `daily_costs` lacks (none once upgraded, or before it exists)."""
    have = {
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = 'daily_costs'"
        ).fetchall()
    }
    return tuple(d for d in ROLLUP_DIMENSIONS if have and d not in have)


def needed(con: Connection, target: str) -> bool:
    """True when the generation `con` reads was written by a schema older than `target`."""
    if missing_columns(con):
        return True
    found = version(con)
    return found is not None and _number(found) < _number(target)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def run(con: Connection, target: str, where: str) -> Upgrade | None:
    """Bring the writer's copy `con` (the DDL already run on it) of the store at `where` to schema
    `target`, all or nothing; None when it already is."""
    if not needed(con, target):
        return None
    added = missing_columns(con)
    from_version = version(con) or "1"
    before = _totals(con)
    con.execute("BEGIN TRANSACTION")
    try:
        rows = rebuild_rollups(con)
        # Loads of contract commitments before schema 2 did not record when; they stay unrecorded.
        con.execute("ALTER TABLE contract_commitments ADD COLUMN IF NOT EXISTS x_IngestedAt TIMESTAMP")
        con.execute("DELETE FROM meta WHERE key = ?", [ALLOCATION_STATE_KEY])
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [SCHEMA_KEY, target])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    done = Upgrade(from_version, target, added, rows, before, _totals(con))
    _log(con, done, where)
    return done


def _totals(con: Connection) -> Totals:
    return {int(r[0]): tuple(Decimal(v or 0) for v in r[1:]) for r in con.execute(_SOURCE_TOTALS).fetchall()}


def _log(con: Connection, done: Upgrade, where: str) -> None:
    billed = ", ".join(f"{c} {Decimal(v or 0):,.2f}" for c, v in con.execute(_CURRENCY_TOTALS).fetchall()) or "nothing"
    gained = ", ".join(done.added) or "no column"
    log = logging.getLogger(__name__)
    if done.changed_sources:
        log.warning(
            "upgraded the store %s from schema %s to %s (daily_costs gains %s; %s rollup rows rebuilt from the "
            "line items): the old rollup of sources %s did not match their line items and now does; billed %s",
            where,
            done.from_version,
            done.to_version,
            gained,
            f"{done.rows:,}",
            ", ".join(map(str, done.changed_sources)),
            billed,
        )
        return
    log.warning(
        "upgraded the store %s from schema %s to %s (daily_costs gains %s; %s rollup rows rebuilt from the "
        "line items): every source's totals identical before and after; billed %s",
        where,
        done.from_version,
        done.to_version,
        gained,
        f"{done.rows:,}",
        billed,
    )
