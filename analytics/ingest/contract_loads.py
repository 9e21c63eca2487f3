"""The Contract Commitment files that are loaded, as the `sources` list and `remove` show them.
Their rows live in `contract_commitments` (each load's own x_SourceId there), not in `sources`,
whose ids belong to cost files: a load is named `contract-<id>` so the two never collide."""

from __future__ import annotations

from typing import Any

from analytics.engine import Connection, Engine, has_table
from analytics.ingest.contract import DATASET
from analytics.store import transaction

PREFIX = "contract-"

_LOADS = """
SELECT x_SourceId AS id, any_value(x_SourceFile) AS source, count(*) AS rows,
       list(DISTINCT ContractId ORDER BY ContractId) AS contracts,
       strftime(min(ContractCommitmentPeriodStart), '%Y-%m') AS first,
       strftime(max(ContractCommitmentPeriodEnd), '%Y-%m') AS last,
       strftime(max(x_IngestedAt), '%Y-%m-%dT%H:%M:%S') AS ingested_at
FROM contract_commitments GROUP BY x_SourceId ORDER BY x_SourceId
"""


def reference(load_id: int) -> str:
    return f"{PREFIX}{load_id}"


def load_id(text: str) -> int | None:
    """The load id in a reference `contract-<id>`; None when `text` is not one."""
    tail = text.strip().lower().removeprefix(PREFIX)
    return int(tail) if text.strip().lower().startswith(PREFIX) and tail.isdigit() else None


def list_loads(engine: Engine) -> list[dict[str, Any]]:
    """Per load, the keys of analytics.sources.list_sources: `id` is `contract-<id>`, `rows` the
    commitments it holds (those a later file of the same ids replaced are no longer its),
    `billing_periods` the span of its commitment periods (YYYY-MM, end exclusive), no totals."""
    if not has_table(engine, "contract_commitments"):
        return []
    return [
        {
            "id": reference(int(r["id"])),
            "source": r["source"],
            "format": DATASET,
            "dataset": DATASET,
            "provider": [],
            "contracts": [str(c) for c in r["contracts"]],
            "rows": int(r["rows"]),
            "billing_periods": [f"{r['first']} to {r['last']}"],
            "totals": {},
            "ingested_at": r["ingested_at"] or "",
            "report": None,
        }
        for r in engine.query(_LOADS).to_dict("records")
    ]


def find_loads(con: Connection) -> list[tuple[str, str]]:
    """(reference, file) of every load, for finding one by file name."""
    rows = con.execute(
        "SELECT x_SourceId, any_value(x_SourceFile) FROM contract_commitments GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [(reference(int(r[0])), str(r[1])) for r in rows]


def remove_load(con: Connection, load: int) -> list[str] | None:
    """Delete one load's commitments in one transaction; its file, or None when no load has that id."""
    with transaction(con):
        row = con.execute(
            "SELECT any_value(x_SourceFile) FROM contract_commitments WHERE x_SourceId = ?", [load]
        ).fetchone()
        if row is None or row[0] is None:
            return None
        con.execute("DELETE FROM contract_commitments WHERE x_SourceId = ?", [load])
    return [str(row[0])]
