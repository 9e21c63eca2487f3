"""Writes FOCUS-shaped rows into the store: tag sets, provenance, replacement of re-delivered
billing periods, and the daily rollup, all in one transaction."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from analytics.engine import Connection
from analytics.ingest.report import IngestReport
from analytics.ingest.tags import parse_tags, tag_set_id
from analytics.ingest.views import LABEL, combine
from analytics.schema import FOCUS_COLUMNS
from analytics.store import SAMPLE_FORMAT, delete_sample, is_sample, transaction
from analytics.store.rollup import SOURCE_TABLES, build_contract_applied, build_rollup

# A billing period of one provider's billing account is delivered whole; a newer delivery of the
# same key replaces the older one, while files of the same ingest batch (parts of one export) add up.
DELIVERY_KEY = ("ProviderName", "BillingAccountId", "BillingPeriodStart")


def already_loaded(con: Connection, file_hash: str) -> bool:
    row = con.execute("SELECT count(*) FROM sources WHERE x_FileHash = ?", [file_hash]).fetchone()
    return bool(row and row[0])


def store_rows(
    con: Connection,
    staged: str,
    report: IngestReport,
    file_hash: str,
    batch: str,
    incremental: bool = False,
) -> None:
    """Move the rows of the temp table or view `staged` (FOCUS column names, any subset, typed)
    into the store as one source. `staged` is an identifier chosen by the caller, never by a user.
    `incremental` formats deliver a period as many files, each new; only a file of the same name
    replaces an earlier one."""
    present = {row[0] for row in con.execute(f"DESCRIBE {staged}").fetchall()}
    # Rows labelled with a view (actual / amortized) are combined with the stored other view first;
    # the combined rows are then the whole delivery, replacing even this batch's earlier rows.
    combined = LABEL in present
    if combined:
        combine(con, staged, report, batch)
        present = {row[0] for row in con.execute(f"DESCRIBE {staged}").fetchall()}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(con):
        tag_map = _tag_map(con, staged, report) if "Tags" in present else None
        if report.format != SAMPLE_FORMAT and is_sample(con):
            delete_sample(con)
            report.fix("removed the sample company: your own data replaces it")
        source_id = _next_source_id(con)
        if incremental:
            _replace_same_file(con, staged, batch, report)
        else:
            _replace_earlier_deliveries(con, staged, batch, report, combined)
        con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, report.file, report.format, file_hash, now, batch, report.rows_read, None],
        )
        select = ", ".join(
            f'CAST(s."{c}" AS {t})' if c in present else f"CAST(NULL AS {t})" for c, t in FOCUS_COLUMNS.items()
        )
        tag_id = "m.x_TagSetId" if tag_map is not None else "NULL"
        join = 'LEFT JOIN _tag_map m ON m.raw = s."Tags"' if tag_map is not None else ""
        label = f"coalesce(s.{LABEL}, ?)" if combined else "?"
        if tag_map is not None:
            con.register("_tag_map", tag_map)
        try:
            inserted = con.execute(
                f"INSERT INTO line_items SELECT {select}, ?, ?, {label}, ?, {tag_id} FROM {staged} s {join}",
                [source_id, report.file, report.format, now],
            ).fetchone()
        finally:
            if tag_map is not None:
                con.unregister("_tag_map")
        report.rows_loaded = int(inserted[0]) if inserted else 0
        build_rollup(con, source_id)
        if "ContractApplied" in present:
            build_contract_applied(con, source_id)
        periods = con.execute(
            "SELECT DISTINCT strftime(BillingPeriodStart, '%Y-%m') FROM daily_costs WHERE x_SourceId = ? ORDER BY 1",
            [source_id],
        ).fetchall()
        report.billing_periods = [p[0] for p in periods if p[0] is not None]
        con.execute("UPDATE sources SET Report = ? WHERE x_SourceId = ?", [json.dumps(report.to_dict()), source_id])


def _next_source_id(con: Connection) -> int:
    row = con.execute("SELECT coalesce(max(x_SourceId), 0) + 1 FROM sources").fetchone()
    return int(row[0]) if row else 1


def _tag_map(con: Connection, staged: str, report: IngestReport) -> pd.DataFrame:
    """raw Tags text -> tag set id, parsing each distinct text once; new tag sets are stored."""
    raws = [r[0] for r in con.execute(f'SELECT DISTINCT "Tags" FROM {staged} WHERE "Tags" IS NOT NULL').fetchall()]
    ids: list[int | None] = []
    pairs: list[tuple[int, str, str | None]] = []
    unreadable = 0
    for raw in raws:
        parsed = parse_tags(raw)
        if parsed.tags is None:
            unreadable += 1
            ids.append(None)
            continue
        if parsed.fixed:
            report.fix(parsed.fixed)
        set_id = tag_set_id(parsed.tags)
        ids.append(set_id)
        if set_id is not None:
            pairs.extend((set_id, k, v) for k, v in parsed.tags.items())
    if unreadable:
        report.warn(f"{unreadable:,} distinct Tags values are not JSON objects; those rows count as untagged")
    if pairs:
        frame = pd.DataFrame(pairs, columns=["x_TagSetId", "TagKey", "TagValue"]).drop_duplicates(
            ["x_TagSetId", "TagKey"]
        )
        con.register("_new_tags", frame)
        con.execute("INSERT OR IGNORE INTO tag_sets SELECT x_TagSetId, TagKey, TagValue FROM _new_tags")
        con.unregister("_new_tags")
    return pd.DataFrame({"raw": pd.Series(raws, dtype="object"), "x_TagSetId": pd.Series(ids, dtype="Int64")})


def _replace_earlier_deliveries(
    con: Connection, staged: str, batch: str, report: IngestReport, combined: bool = False
) -> None:
    keys = ", ".join(f'"{k}"' for k in DELIVERY_KEY)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _delivery AS SELECT DISTINCT {keys} FROM {staged}")
    match = " AND ".join(f't."{k}" IS NOT DISTINCT FROM d."{k}"' for k in DELIVERY_KEY)
    earlier = "t.x_SourceId IN (SELECT x_SourceId FROM sources WHERE x_IngestBatch <> ? OR ?)"
    replaced = con.execute(
        f"SELECT DISTINCT t.x_SourceFile, strftime(t.BillingPeriodStart, '%Y-%m') FROM line_items t, _delivery d "
        f"WHERE {match} AND {earlier} ORDER BY 1, 2",
        [batch, combined],
    ).fetchall()
    report.replaced = [f"{period} from {file}" for file, period in replaced]
    for table in SOURCE_TABLES:
        con.execute(f"DELETE FROM {table} t USING _delivery d WHERE {match} AND {earlier}", [batch, combined])
    con.execute("DELETE FROM sources s WHERE NOT EXISTS (SELECT 1 FROM line_items l WHERE l.x_SourceId = s.x_SourceId)")
    con.execute("DROP TABLE _delivery")


def _replace_same_file(con: Connection, staged: str, batch: str, report: IngestReport) -> None:
    # Report names repeat across tenancies and folders (and uploads land in temp folders), so a
    # file replaces an earlier one of the same name only for the same provider and billing account.
    earlier = (
        "SELECT s.x_SourceId FROM sources s WHERE s.x_IngestBatch <> ? "
        "AND parse_filename(s.x_SourceFile) = parse_filename(?) AND EXISTS ("
        "SELECT 1 FROM line_items l JOIN (SELECT DISTINCT ProviderName, BillingAccountId FROM "
        f"{staged}) k USING (ProviderName, BillingAccountId) WHERE l.x_SourceId = s.x_SourceId)"
    )
    found = con.execute(
        f"SELECT x_SourceId, x_SourceFile FROM sources WHERE x_SourceId IN ({earlier})", [batch, report.file]
    )
    earlier_sources = found.fetchall()
    report.replaced = [f"the earlier copy {file}" for _, file in earlier_sources]
    for table in (*SOURCE_TABLES, "sources"):
        for source_id, _ in earlier_sources:
            con.execute(f"DELETE FROM {table} WHERE x_SourceId = ?", [source_id])
