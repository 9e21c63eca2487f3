"""What is loaded: one entry per source file with its providers, format, rows, billing periods and
totals; removing a source; and how fresh each provider's data is."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from analytics.allocation.apply import is_current
from analytics.allocation.refresh import Status, current_rules, refresh
from analytics.allocation.rules import default_rules_path
from analytics.engine import Connection, Engine
from analytics.ingest import contract_loads
from analytics.ingest.files import file_hash
from analytics.schema import CENT
from analytics.store import (
    SAMPLE_FORMAT,
    delete_sample,
    get_meta,
    reader,
    refuse_foreign,
    set_meta,
    snapshots,
    transaction,
)
from analytics.store.rollup import SOURCE_TABLES

# A provider whose latest day with charges is more than this many days before today (UTC) is
# stale. Providers deliver a day's charges one to two days late (AWS CUR and Azure exports refresh
# daily, Google's export lags up to a day); three days leaves room for a late run, not a broken one.
STALE_AFTER_DAYS = 3
# Set when a removal leaves nothing loaded, so the app does not rebuild the sample on its next start.
EMPTIED_KEY = "emptied_by_user_at"
COST_AND_USAGE = "cost-and-usage"


def settled(db: Path) -> Status | None:
    """The rules in force when the store can be shown as it is; None when opening it needs a write
    first (the sample on a first start, or the allocation behind the rules or the data)."""
    if not snapshots.is_store(db):
        refuse_foreign(db)
        return None
    con = reader(db)
    try:
        rules, error = current_rules(con)
        if needs_sample(con) or not is_current(con, rules):
            return None
        return Status(rules, default_rules_path(), error)
    finally:
        con.close()


def loaded_files(db: Path) -> list[tuple[int, str]]:
    """(id, file) of every loaded source in the newest generation."""
    con = reader(db)
    try:
        rows = con.execute("SELECT x_SourceId, x_SourceFile FROM sources ORDER BY x_SourceId").fetchall()
    finally:
        con.close()
    return [(int(r[0]), str(r[1])) for r in rows]


def shows_sample(engine: Engine) -> bool:
    """True when everything loaded is the generated sample, built to its end."""
    formats = engine.query("SELECT DISTINCT x_SourceFormat AS f FROM sources")["f"].tolist()
    done = engine.query("SELECT count(*) AS n FROM meta WHERE key = 'sample_as_of'")["n"].iloc[0]
    return formats == [SAMPLE_FORMAT] and bool(done)


def needs_sample(con: Connection) -> bool:
    """Whether the app should build the sample company on opening this database: nothing is loaded
    (unless a user removed everything on purpose), or a sample build was cut short (its rows are
    there but not the `sample_as_of` it writes last)."""
    formats = {row[0] for row in con.execute("SELECT DISTINCT x_SourceFormat FROM sources").fetchall()}
    if formats == {SAMPLE_FORMAT}:
        return get_meta(con, "sample_as_of") is None
    return not formats and get_meta(con, EMPTIED_KEY) is None


def source_of(con: Connection, path: Path, unchanged: bool) -> int | None:
    """The source holding a file's rows after an ingest: for a file that was already loaded, the
    earlier source with the same bytes; else the newest source loaded from that path."""
    if unchanged:
        sql, params = "SELECT max(x_SourceId) FROM sources WHERE x_FileHash = ?", [file_hash(path)]
    else:
        sql, params = "SELECT max(x_SourceId) FROM sources WHERE x_SourceFile = ?", [str(path)]
    row = con.execute(sql, params).fetchone()
    return None if row is None or row[0] is None else int(row[0])


class SourceNotFound(LookupError):
    """No source has that id (it may have been removed meanwhile)."""


def list_sources(engine: Engine) -> list[dict[str, Any]]:
    """Per source: `id`, `source`, `format`, `dataset`, `provider` (ProviderName values, sorted),
    `rows`, `billing_periods` (YYYY-MM), `ingested_at` (UTC, ISO seconds), `report` (the ingest report
    or None) and `totals`: BilledCost per billing currency, rounded to the cent. Cost files come
    first; then the Contract Commitment files, with ids `contract-<n>` (see contract_loads)."""
    frame = engine.query(
        """
        SELECT s.x_SourceId AS id, s.x_SourceFile AS source, s.x_SourceFormat AS format,
               s.x_IngestedAt AS ingested_at, s.Report AS report, r.BillingCurrency AS currency,
               CAST(sum(r.BilledCost) AS VARCHAR) AS billed, sum(r.LineItems) AS rows,
               list(DISTINCT strftime(r.BillingPeriodStart, '%Y-%m')) AS periods,
               list(DISTINCT r.ProviderName) AS providers
        FROM sources s JOIN daily_costs r USING (x_SourceId)
        GROUP BY ALL ORDER BY s.x_SourceId, currency
        """
    )
    result: dict[int, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        entry = result.setdefault(
            int(row["id"]),
            {
                "id": int(row["id"]),
                "source": row["source"],
                "format": row["format"],
                "dataset": COST_AND_USAGE,
                "provider": set(),
                "rows": 0,
                "billing_periods": set(),
                "totals": {},
                "ingested_at": row["ingested_at"].isoformat(timespec="seconds"),
                "report": json.loads(row["report"]) if row["report"] else None,
            },
        )
        entry["rows"] += int(row["rows"])
        entry["billing_periods"].update(p for p in row["periods"] if p)
        entry["provider"].update(p for p in row["providers"] if p)
        entry["totals"][row["currency"]] = float(Decimal(row["billed"]).quantize(CENT, ROUND_HALF_UP))
    for entry in result.values():
        entry["billing_periods"] = sorted(entry["billing_periods"])
        entry["provider"] = sorted(entry["provider"])
    return [*result.values(), *contract_loads.list_loads(engine)]


def remove_source(con: Connection, source_id: int | str) -> list[str]:
    """Remove one source's line items, rollup rows and provenance in one transaction; returns the
    files removed. Any source of the sample company removes the whole sample, with the tables only
    the sample fills (utilisation, budgets, business metrics). A `contract-<n>` id removes that
    Contract Commitment file's commitments."""
    if isinstance(source_id, str):
        return _remove_contract_load(con, source_id)
    with transaction(con):
        row = con.execute("SELECT x_SourceFormat FROM sources WHERE x_SourceId = ?", [source_id]).fetchone()
        if row is None:
            raise SourceNotFound(f"no source with id {source_id}; it may have been removed already")
        if row[0] == SAMPLE_FORMAT:
            files = _files(con, "x_SourceFormat = ?", [SAMPLE_FORMAT])
            delete_sample(con)
        else:
            files = _files(con, "x_SourceId = ?", [source_id])
            for table in (*SOURCE_TABLES, "sources"):
                con.execute(f"DELETE FROM {table} WHERE x_SourceId = ?", [source_id])
        con.execute(
            "DELETE FROM tag_sets WHERE x_TagSetId NOT IN (SELECT x_TagSetId FROM line_items WHERE x_TagSetId "
            "IS NOT NULL UNION SELECT x_TagSetId FROM daily_costs WHERE x_TagSetId IS NOT NULL)"
        )
        left = con.execute("SELECT count(*) FROM sources").fetchone()
        if left is not None and left[0] == 0:
            set_meta(con, EMPTIED_KEY, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    refresh(con)
    return files


def _remove_contract_load(con: Connection, reference: str) -> list[str]:
    load = contract_loads.load_id(reference)
    files = None if load is None else contract_loads.remove_load(con, load)
    if files is None:
        raise SourceNotFound(f"no source with id {reference}; it may have been removed already")
    return files


def find_source(con: Connection, reference: str) -> tuple[int | str, str]:
    """(id, file) of the source named by `reference`: its id (`contract-<n>` for a Contract
    Commitment file), the file path as stored, or a file name that only one source has. Raises
    SourceNotFound, with the candidates when several match."""
    text = reference.strip()
    if contract_loads.load_id(text) is not None:
        found = [r for r in contract_loads.find_loads(con) if r[0] == text.lower()]
        if not found:
            raise SourceNotFound(f"no source with id {text}; `python -m analytics sources` lists what is loaded")
        return found[0]
    if text.isdigit():
        row = con.execute("SELECT x_SourceId, x_SourceFile FROM sources WHERE x_SourceId = ?", [int(text)]).fetchone()
        if row is None:
            raise SourceNotFound(f"no source with id {text}; `python -m analytics sources` lists what is loaded")
        return int(row[0]), str(row[1])
    rows: list[tuple[int | str, str]] = [
        (int(r[0]), str(r[1]))
        for r in con.execute("SELECT x_SourceId, x_SourceFile FROM sources ORDER BY x_SourceId").fetchall()
    ]
    rows += contract_loads.find_loads(con)
    absolute = str(Path(text).expanduser().absolute())
    exact = [r for r in rows if str(r[1]) in (text, absolute)]
    named = exact or [r for r in rows if Path(str(r[1])).name == Path(text).name]
    if len(named) == 1:
        return named[0]
    if not named:
        raise SourceNotFound(f"no source loaded from {text!r}; `python -m analytics sources` lists what is loaded")
    ids = ", ".join(f"{r[0]} ({r[1]})" for r in named)
    raise SourceNotFound(f"{text!r} names {len(named)} sources: {ids}; give the id")


def _files(con: Connection, where: str, params: list[Any]) -> list[str]:
    rows = con.execute(f"SELECT x_SourceFile FROM sources WHERE {where} ORDER BY x_SourceId", params).fetchall()
    return [str(r[0]) for r in rows]


def freshness(
    engine: Engine, today: dt.date | None = None, stale_after_days: int = STALE_AFTER_DAYS
) -> list[dict[str, Any]]:
    """Per ProviderName: `last_day`, the latest UTC day with charges (ChargePeriodStart's day, so
    its charge period ends at the following midnight), `days_behind` today (UTC) and `stale`
    (more than `stale_after_days` behind). Oldest first; an unnamed provider is None."""
    today = today or dt.datetime.now(dt.UTC).date()
    frame = engine.query(
        "SELECT ProviderName AS provider, max(ChargeDay) AS last_day FROM daily_costs GROUP BY ALL "
        "ORDER BY last_day, provider"
    )
    entries = []
    for row in frame.to_dict("records"):
        last_day = row["last_day"]
        last_day = last_day.date() if hasattr(last_day, "date") else last_day
        behind = (today - last_day).days
        entries.append(
            {
                "provider": row["provider"],
                "last_day": last_day,
                "days_behind": behind,
                "stale": behind > stale_after_days,
            }
        )
    return entries
