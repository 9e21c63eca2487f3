"""The Data page's tables: what is loaded, how fresh it is, what a load did, and which exchange
rates are in use. Every value from the data is shown as table text, never as Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from analytics.ingest.contract import DATASET as CONTRACT_DATASET
from analytics.ingest.formats import FORMATS
from analytics.ingest.report import IngestReport
from analytics.source_names import UPLOAD_PREFIX as UPLOAD_PREFIX  # named so tables show the upload's name
from analytics.source_names import shown_file as shown_file
from analytics.source_names import shown_paths as shown_paths
from analytics.sources import STALE_AFTER_DAYS as STALE_AFTER_DAYS  # for the page, which reads only ui
from analytics.store import SAMPLE_FORMAT
from ui.read_only import without_paths

SAMPLE_LABEL = "Sample company"
CONTRACT_LABEL = "FOCUS 1.3 Contract Commitment"
SOURCE_COLUMNS = [
    "Provider",
    "Format",
    "Source",
    "Billing periods",
    "Rows",
    "BilledCost",
    "Loaded at (UTC)",
    "Fixes and warnings",
]
RESULT_COLUMNS = [
    "File",
    "Result",
    "Format",
    "Rows read",
    "Rows loaded",
    "Rows skipped",
    "Billing periods",
    "BilledCost",
]


@dataclass
class Outcome:
    """What happened to one file: its ingest report, or the one-line reason it was rejected;
    `source_id` is the source now holding its rows (for an unchanged file, the earlier copy)."""

    file: str
    report: IngestReport | None = None
    error: str | None = None
    source_id: int | None = None

    @property
    def rejected(self) -> bool:
        return self.error is not None


def format_label(name: str) -> str:
    if name == SAMPLE_FORMAT:
        return SAMPLE_LABEL
    if name == CONTRACT_DATASET:
        return CONTRACT_LABEL
    known = FORMATS.get(name)
    return known.label if known is not None else name


def money(totals: dict[str, float]) -> str:
    """BilledCost per currency, exact to the cent: '1,234.50 USD; -3.00 EUR'."""
    return "; ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items())) or "none"


def file_name(path: str) -> str:
    """A source as someone who is not an admin sees it: the file's name, never the server's folder."""
    shown = shown_file(path)
    return shown if shown != path else PurePath(path).name or path


def sources_frame(entries: list[dict[str, Any]], paths: bool = True, notes: bool = True) -> pd.DataFrame:
    """One row per source file: providers, format, totals per currency and the ingest notes;
    without `paths` (a user who is not an admin), files by their names and notes without paths;
    without `notes` (a user who sees part of the spend), no notes: they speak of whole files."""
    name, note = (shown_file, shown_paths) if paths else (file_name, lambda text: without_paths(shown_paths(text)))
    rows = []
    for entry in entries:
        report = entry.get("report") or {}
        found = [
            *(f"fixed: {m}" for m in report.get("fixes", [])),
            *(f"warning: {m}" for m in report.get("warnings", [])),
        ]
        terms = entry.get("dataset") == CONTRACT_DATASET
        rows.append(
            {
                "Provider": ", ".join(entry.get("provider", [])) or ("(contract terms)" if terms else "(not set)"),
                "Format": format_label(entry["format"]),
                "Source": name(entry["source"]),
                "Billing periods": ", ".join(entry["billing_periods"]),
                "Rows": int(entry["rows"]),
                "BilledCost": "(terms, no charges)" if terms else money(entry["totals"]),
                "Loaded at (UTC)": entry["ingested_at"].replace("T", " ") or "(not recorded)",
                "Fixes and warnings": (note("; ".join(found)) or "No fixes needed")
                if notes
                else "(for administrators)",
            }
        )
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def line_items(entries: list[dict[str, Any]]) -> int:
    """The cost rows of `entries` (a Contract Commitment file's rows are commitments, not charges)."""
    return sum(int(e["rows"]) for e in entries if e.get("dataset") != CONTRACT_DATASET)


def removal_choices(entries: list[dict[str, Any]]) -> dict[int | str, str]:
    """Source id -> label for the remove picker; the sample company is one choice (it goes whole)."""
    choices: dict[int | str, str] = {}
    samples = [e for e in entries if e["format"] == SAMPLE_FORMAT]
    if samples:
        rows = sum(int(e["rows"]) for e in samples)
        choices[samples[0]["id"]] = f"{SAMPLE_LABEL}: all {len(samples)} sample sources, {rows:,} rows"
    for entry in entries:
        if entry.get("dataset") == CONTRACT_DATASET:
            count = int(entry["rows"])
            choices[entry["id"]] = f"{shown_file(entry['source'])}: {count:,} contract commitment{'s' * (count != 1)}"
        elif entry["format"] != SAMPLE_FORMAT:
            periods = ", ".join(entry["billing_periods"])
            choices[entry["id"]] = f"{shown_file(entry['source'])}: {int(entry['rows']):,} rows, {periods}"
    return choices


def freshness_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "Provider": e["provider"] if e["provider"] is not None else "(not set)",
            "Latest charge day (UTC)": e["last_day"].isoformat(),
            "Days behind today": int(e["days_behind"]),
            "Status": "stale" if e["stale"] else "up to date",
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=["Provider", "Latest charge day (UTC)", "Days behind today", "Status"])


def _skipped(report: IngestReport) -> dict[str, int]:
    """Reasons rows were not loaded, with counts; rows unaccounted for by the report get one line."""
    reasons = {str(k): int(v) for k, v in report.skipped.items()}
    unexplained = report.rows_read - report.rows_loaded - sum(reasons.values())
    if report.status != "unchanged" and unexplained > 0:
        reasons["not loaded (see the warnings)"] = unexplained
    return reasons


def result_frame(outcomes: list[Outcome], entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per file of the last load, as text (a rejected file has no counts, rather than zeros);
    totals are the store's, for the source holding the file."""
    by_id = {e["id"]: e for e in entries}
    rows = []
    for outcome in outcomes:
        report = outcome.report
        entry = by_id.get(outcome.source_id) if outcome.source_id is not None else None
        if report is None:
            rows.append(dict.fromkeys(RESULT_COLUMNS, "") | {"File": shown_file(outcome.file), "Result": "rejected"})
            continue
        unchanged = report.status == "unchanged"
        rows.append(
            {
                "File": shown_file(outcome.file),
                "Result": "unchanged" if unchanged else "loaded",
                "Format": format_label(entry["format"] if unchanged and entry else report.format),
                "Rows read": f"{entry['rows'] if unchanged and entry else report.rows_read:,}",
                "Rows loaded": f"{0 if unchanged else report.rows_loaded:,}",
                "Rows skipped": f"{sum(_skipped(report).values()):,}",
                "Billing periods": ", ".join(entry["billing_periods"] if entry else report.billing_periods),
                "BilledCost": money(entry["totals"]) if entry else "",
            }
        )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def notes_frame(outcomes: list[Outcome]) -> pd.DataFrame:
    """What a load has to say about the files it took, one line per note: skipped rows, fixes,
    warnings, replacements. (Rejected files are listed with their error apart, in full.)"""
    rows: list[tuple[str, str, str]] = []
    for outcome in outcomes:
        name = shown_file(outcome.file)
        report = outcome.report
        if report is None:
            continue
        if report.status == "unchanged":
            rows.append((name, "unchanged", "the same content is already loaded; nothing changed"))
        rows += [(name, "skipped", f"{count:,} rows: {reason}") for reason, count in _skipped(report).items()]
        rows += [(name, "fixed", shown_paths(text)) for text in report.fixes]
        rows += [(name, "warning", shown_paths(text)) for text in report.warnings]
        rows += [(name, "replaced", shown_paths(text)) for text in report.replaced]
    return pd.DataFrame(rows, columns=["File", "Note", "Detail"])


def rejections(outcomes: list[Outcome]) -> str:
    """The rejected files' one-line errors, one per line."""
    return "\n".join(o.error for o in outcomes if o.error is not None)


def rates_frame(rates: pd.DataFrame) -> pd.DataFrame:
    shown = rates.rename(columns={"valid_from": "Valid from", "currency": "Currency", "usd_per_unit": "USD per unit"})
    return shown.sort_values(["Currency", "Valid from"], ignore_index=True)
