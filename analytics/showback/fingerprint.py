"""The data fingerprint of a pack: per source file, billing period and currency, the line items and
the totals of the months covered, hashed. Each generated pack is recorded in `showback_packs`, so
that when a provider restates a closed month, the page and the CLI can say what changed since."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.engine import Connection, Engine, has_table
from analytics.showback.request import PackRequest

KEY = ("source", "format", "billing_period", "currency")
FIELDS = ("rows", "billed", "effective")


def source_totals(engine: Engine, first: dt.date, end: dt.date) -> pd.DataFrame:
    """Per source file, format, billing period (YYYY-MM) and billing currency, with the providers:
    line items, BilledCost and EffectiveCost (exact decimal text) charged in [first, end]."""
    return engine.query(
        """
        SELECT s.x_SourceFile AS source, s.x_SourceFormat AS format,
               coalesce(strftime(r.BillingPeriodStart, '%Y-%m'), '') AS billing_period,
               r.BillingCurrency AS currency, string_agg(DISTINCT r.ProviderName, ', ' ORDER BY r.ProviderName)
                   AS providers,
               CAST(sum(r.LineItems) AS BIGINT) AS rows,
               CAST(sum(r.BilledCost) AS VARCHAR) AS billed, CAST(sum(r.EffectiveCost) AS VARCHAR) AS effective
        FROM daily_costs r JOIN sources s USING (x_SourceId)
        WHERE r.ChargeDay BETWEEN ? AND ?
        GROUP BY ALL ORDER BY source, format, billing_period, currency
        """,
        [first, end],
    )


def _entries(totals: pd.DataFrame) -> list[dict[str, Any]]:
    entries = []
    for row in totals.to_dict("records"):
        entry: dict[str, Any] = {k: str(row[k] or "") for k in KEY}
        entry["rows"] = int(row["rows"])
        for name in ("billed", "effective"):
            entry[name] = str(Decimal(str(row[name] or 0)).normalize())
        entries.append(entry)
    return entries


def fingerprint(totals: pd.DataFrame) -> str:
    """16 hex characters that change when any source's rows or totals in the period change."""
    text = json.dumps(_entries(totals), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Recorded:
    """A pack produced earlier for the same months, and how the data moved since."""

    generated_at: dt.datetime
    owner_dimension: str
    metric: str
    data_fingerprint: str
    rules_fingerprint: str
    output: str
    differences: pd.DataFrame  # KEY + rows/billed/effective before, after and change

    @property
    def changed(self) -> bool:
        return not self.differences.empty


def record_pack(
    con: Connection,
    request: PackRequest,
    totals: pd.DataFrame,
    rules_fingerprint: str,
    generated_at: dt.datetime,
    output: str,
) -> None:
    """Remember that a pack for these months was produced from data with this fingerprint."""
    con.execute(
        "INSERT INTO showback_packs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            generated_at.replace(tzinfo=None),
            request.first,
            request.last,
            request.owner,
            request.metric.value,
            request.currency,
            rules_fingerprint,
            fingerprint(totals),
            json.dumps(_entries(totals)),
            output,
        ],
    )


def last_pack(engine: Engine, request: PackRequest, totals: pd.DataFrame) -> Recorded | None:
    """The latest pack recorded for the same months (any owner dimension or basis: they share the
    data), with the per-source differences between its data and `totals` (empty when unchanged)."""
    if not has_table(engine, "showback_packs"):
        return None
    frame = engine.query(
        "SELECT * FROM showback_packs WHERE first_month = ? AND last_month = ? ORDER BY generated_at DESC LIMIT 1",
        [request.first, request.last],
    )
    if frame.empty:
        return None
    row = frame.iloc[0]
    before = pd.DataFrame(json.loads(str(row["sources"])), columns=[*KEY, *FIELDS])
    differences = (
        pd.DataFrame(columns=[*KEY, *(f"{f}_{w}" for f in FIELDS for w in ("before", "after", "change"))])
        if str(row["data_fingerprint"]) == fingerprint(totals)
        else diff_sources(before, pd.DataFrame(_entries(totals), columns=[*KEY, *FIELDS]))
    )
    return Recorded(
        generated_at=pd.Timestamp(row["generated_at"]).to_pydatetime(),
        owner_dimension=str(row["owner_dimension"]),
        metric=str(row["metric"]),
        data_fingerprint=str(row["data_fingerprint"]),
        rules_fingerprint=str(row["rules_fingerprint"]),
        output=str(row["output"] or ""),
        differences=differences,
    )


def diff_sources(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per source key present on either side: rows, billed and effective before, after, and change
    (a source that appeared or went counts as zero on the other side); only the keys that differ."""
    merged = before.merge(after, on=list(KEY), how="outer", suffixes=("_before", "_after"))
    out = merged[list(KEY)].copy()
    for name in FIELDS:
        parse = int if name == "rows" else (lambda v: Decimal(str(v)))
        b = merged[f"{name}_before"].map(lambda v, p=parse: p(0) if pd.isna(v) else p(v))
        a = merged[f"{name}_after"].map(lambda v, p=parse: p(0) if pd.isna(v) else p(v))
        out[f"{name}_before"], out[f"{name}_after"] = b, a
        out[f"{name}_change"] = [x - y for x, y in zip(a, b, strict=True)]
    moved = (out["rows_change"] != 0) | (out["billed_change"] != 0) | (out["effective_change"] != 0)
    return out[moved].reset_index(drop=True)


def describe_changes(recorded: Recorded) -> list[str]:
    """One line per source whose rows or totals moved since the recorded pack."""
    lines = []
    for row in recorded.differences.to_dict("records"):
        where = " ".join(str(row[k]) for k in ("source", "billing_period", "currency") if row[k])
        parts = [f"rows {row['rows_before']:,} → {row['rows_after']:,} ({row['rows_change']:+,})"]
        for name, label in (("billed", "BilledCost"), ("effective", "EffectiveCost")):
            before, after, change = (Decimal(row[f"{name}_{w}"]) for w in ("before", "after", "change"))
            parts.append(f"{label} {before:,.2f} → {after:,.2f} ({change:+,.2f})")
        lines.append(f"{where}: " + "; ".join(parts))
    return lines
