"""Frames for the Data page: what is loaded and which exchange rates are in use."""

from __future__ import annotations

from typing import Any

import pandas as pd


def sources_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per source file, for display: totals per currency and the ingest report as text."""
    rows = []
    for entry in entries:
        report = entry.get("report") or {}
        notes = [
            *(f"fixed: {m}" for m in report.get("fixes", [])),
            *(f"warning: {m}" for m in report.get("warnings", [])),
        ]
        rows.append(
            {
                "Source": entry["source"],
                "Format": entry["format"],
                "Rows": int(entry["rows"]),
                "Billing periods": ", ".join(entry["billing_periods"]),
                "BilledCost": "; ".join(
                    f"{amount:,.2f} {currency}" for currency, amount in sorted(entry["totals"].items())
                ),
                "Ingested at (UTC)": entry["ingested_at"].replace("T", " "),
                "Fixes and warnings": "; ".join(notes) or "none",
            }
        )
    columns = ["Source", "Format", "Rows", "Billing periods", "BilledCost", "Ingested at (UTC)", "Fixes and warnings"]
    return pd.DataFrame(rows, columns=columns)


def rates_frame(rates: pd.DataFrame) -> pd.DataFrame:
    shown = rates.rename(columns={"valid_from": "Valid from", "currency": "Currency", "usd_per_unit": "USD per unit"})
    return shown.sort_values(["Currency", "Valid from"], ignore_index=True)
