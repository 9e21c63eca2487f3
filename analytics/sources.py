"""What is loaded: one entry per source file with its format, rows, billing periods and totals."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from analytics.engine import Engine

CENT = Decimal("0.01")


def list_sources(engine: Engine) -> list[dict[str, Any]]:
    """Per source: `source`, `format`, `rows`, `billing_periods` (YYYY-MM), `ingested_at`, and
    `totals`: BilledCost per billing currency, rounded to the cent."""
    frame = engine.query(
        """
        SELECT s.x_SourceId AS id, s.x_SourceFile AS source, s.x_SourceFormat AS format,
               s.x_IngestedAt AS ingested_at, s.Report AS report, r.BillingCurrency AS currency,
               sum(r.BilledCost) AS billed, sum(r.LineItems) AS rows,
               list(DISTINCT strftime(r.BillingPeriodStart, '%Y-%m')) AS periods
        FROM sources s JOIN daily_costs r USING (x_SourceId)
        GROUP BY ALL ORDER BY s.x_SourceId, currency
        """
    )
    result: dict[int, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        entry = result.setdefault(
            int(row["id"]),
            {
                "source": row["source"],
                "format": row["format"],
                "rows": 0,
                "billing_periods": set(),
                "totals": {},
                "ingested_at": row["ingested_at"].isoformat(timespec="seconds"),
                "report": json.loads(row["report"]) if row["report"] else None,
            },
        )
        entry["rows"] += int(row["rows"])
        entry["billing_periods"].update(p for p in row["periods"] if p)
        entry["totals"][row["currency"]] = float(Decimal(row["billed"]).quantize(CENT, ROUND_HALF_UP))
    for entry in result.values():
        entry["billing_periods"] = sorted(entry["billing_periods"])
    return list(result.values())
