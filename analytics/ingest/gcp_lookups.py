"""Lookup tables the GCP mapping joins: Σ credits per distinct credits value, Tags per distinct set
of label arrays, ServiceCategory per service. Each distinct value is parsed once, in Python."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.engine import Connection
from analytics.ingest import gcp_arrays
from analytics.ingest.focus import RAW
from analytics.ingest.jsonl import ident
from analytics.ingest.report import IngestError, IngestReport

# Label arrays -> prefix of their keys in Tags. Resource labels keep their bare key (what users tag
# with); the others are prefixed because the same key may mean something else at project level.
# GCP label keys hold only [a-z0-9_-], so a prefix ending in ':' cannot collide with a real key.
LABEL_PREFIXES = {"labels": "", "project.labels": "project:", "system_labels": "system:", "tags": "rmtag:"}

# FOCUS 1.2 ServiceCategory of the common services (by service.description); the rest are 'Other'.
CATEGORIES = {
    "Compute Engine": "Compute",
    "Kubernetes Engine": "Compute",
    "App Engine": "Compute",
    "Cloud Run": "Compute",
    "Cloud Run Functions": "Compute",
    "Cloud Functions": "Compute",
    "Cloud Storage": "Storage",
    "Filestore": "Storage",
    "Networking": "Networking",
    "Cloud DNS": "Networking",
    "BigQuery": "Analytics",
    "BigQuery Storage API": "Analytics",
    "Dataflow": "Analytics",
    "Cloud Dataproc": "Analytics",
    "Cloud Pub/Sub": "Integration",
    "Cloud SQL": "Databases",
    "Cloud Spanner": "Databases",
    "Cloud Bigtable": "Databases",
    "Cloud Firestore": "Databases",
    "Cloud Memorystore for Redis": "Databases",
    "Vertex AI": "AI and Machine Learning",
    "Cloud Logging": "Management and Governance",
    "Cloud Monitoring": "Management and Governance",
    "Secret Manager": "Security",
    "Cloud Key Management Service (KMS)": "Security",
    "Artifact Registry": "Developer Tools",
    "Cloud Build": "Developer Tools",
}
_TABLES = ("_gcp_credits", "_gcp_tags", "_gcp_categories")


class Columns:
    """SQL for an export field of `_raw` (alias r): absent fields read as null, so the standard and
    the resource-level export (which adds resource.*) share one mapping."""

    def __init__(self, types: dict[str, str]) -> None:
        self.types = types

    def raw(self, name: str) -> str:
        return f"r.{ident(name)}" if name in self.types else "CAST(NULL AS VARCHAR)"

    def text(self, name: str) -> str:
        """The field as text; lists and objects (JSON input) as JSON text."""
        if name not in self.types:
            return "CAST(NULL AS VARCHAR)"
        type_ = self.types[name].upper()
        if type_ == "VARCHAR":
            return self.raw(name)
        if type_.startswith(("STRUCT", "MAP")) or type_.endswith("]"):
            return f"CAST(to_json({self.raw(name)}) AS VARCHAR)"
        return f"CAST({self.raw(name)} AS VARCHAR)"


@dataclass(frozen=True)
class Joins:
    sql: str  # the LEFT JOINs to append to `FROM _raw r`
    credits: str  # expression: Σ credits.amount of the row, 0 without credits
    tags: str  # expression: FOCUS Tags JSON text or null
    category: str  # expression: ServiceCategory


def build(con: Connection, path: Path, report: IngestReport, cols: Columns) -> Joins:
    joins = []
    credits = "0"
    if "credits" in cols.types:
        _credits(con, path, report, cols)
        joins.append(f"LEFT JOIN _gcp_credits c ON c.raw = {cols.text('credits')}")
        credits = "coalesce(c.amount, 0)"
    tags = "CAST(NULL AS VARCHAR)"
    sources = [name for name in LABEL_PREFIXES if name in cols.types]
    if sources:
        _tags(con, path, report, cols, sources)
        match = " AND ".join(f"t.k{i} IS NOT DISTINCT FROM {cols.text(s)}" for i, s in enumerate(sources))
        joins.append(f"LEFT JOIN _gcp_tags t ON {match}")
        tags = "t.tags"
    _table(con, "_gcp_categories", pd.DataFrame(list(CATEGORIES.items()), columns=["name", "category"]))
    joins.append(f"LEFT JOIN _gcp_categories g ON g.name = {cols.text('service.description')}")
    return Joins(" ".join(joins), credits, tags, "coalesce(g.category, 'Other')")


def drop(con: Connection) -> None:
    for name in _TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _credits(con: Connection, path: Path, report: IngestReport, cols: Columns) -> None:
    text = cols.text("credits")
    found = con.execute(f"SELECT {text}, min(r._row) FROM {RAW} r WHERE {text} IS NOT NULL GROUP BY 1").fetchall()
    amounts, literals = [], 0
    for raw, row in found:
        try:
            parsed = gcp_arrays.parse_array(raw)
            amounts.append(str(gcp_arrays.credits_total(parsed.items)))
        except gcp_arrays.ArrayError as exc:
            raise IngestError(f"{path}: row {row}, credits: {_shown(raw)} is not readable ({exc})") from exc
        literals += parsed.python_literal
    if literals:
        report.fix(
            f"credits written as Python literals (single quotes, None) read as lists ({literals:,} distinct values)"
        )
    frame = pd.DataFrame({"raw": [r[0] for r in found], "amount": amounts}, dtype="object")
    _table(con, "_gcp_credits", frame, "CAST(raw AS VARCHAR) AS raw, CAST(amount AS DECIMAL(38,12)) AS amount")


def _tags(con: Connection, path: Path, report: IngestReport, cols: Columns, sources: list[str]) -> None:
    keys = ", ".join(cols.text(s) for s in sources)
    found = con.execute(f"SELECT {keys}, min(r._row) FROM {RAW} r GROUP BY ALL").fetchall()
    merged_tags: list[str | None] = []
    literals = 0
    for record in found:
        merged: dict[str, str | None] = {}
        for source, raw in zip(sources, record[:-1], strict=True):
            if raw is None:
                continue
            try:
                parsed = gcp_arrays.parse_array(raw)
                merged.update(gcp_arrays.labels(parsed.items, LABEL_PREFIXES[source]))
            except gcp_arrays.ArrayError as exc:
                raise IngestError(f"{path}: row {record[-1]}, {source}: {_shown(raw)} is not readable ({exc})") from exc
            literals += parsed.python_literal and bool(parsed.items)
        merged_tags.append(json.dumps(merged, ensure_ascii=False, sort_keys=True) if merged else None)
    if literals:
        report.fix("labels written as Python literals (single quotes, None) read as key/value lists")
    columns = {f"k{i}": [r[i] for r in found] for i in range(len(sources))}
    typed = ", ".join(f"CAST(k{i} AS VARCHAR) AS k{i}" for i in range(len(sources)))
    frame = pd.DataFrame({**columns, "tags": merged_tags}, dtype="object")
    _table(con, "_gcp_tags", frame, f"{typed}, CAST(tags AS VARCHAR) AS tags")


def _table(con: Connection, name: str, frame: pd.DataFrame, select: str = "*") -> None:
    """A temp table from a DataFrame; `name` and `select` are constants of this module."""
    con.register("_gcp_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select} FROM _gcp_frame")
    finally:
        con.unregister("_gcp_frame")


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 80 else raw[:77] + "...")
