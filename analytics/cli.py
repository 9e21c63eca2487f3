"""The command line, for finance automation, scripts and tests: `python -m analytics <command>`."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from analytics import audit
from analytics.allocation.cli import RULES_HELP, open_allocated
from analytics.allocation.rules import RulesError
from analytics.audit import AuditError
from analytics.cli_common import COMMON, Handler, UsageError, db_path, parse_date, to_cent
from analytics.csv_safety import write_csv
from analytics.engine import Connection, DuckDBEngine, EngineError
from analytics.export import FOCUS_VERSIONS, ExportError, check_request, export_focus
from analytics.fx import DEFAULT_FX_PATH, FxError, load_fx
from analytics.ingest.formats import FORMATS
from analytics.ingest.report import IngestError, IngestReport
from analytics.ingest.run import DATASETS, ingest_paths
from analytics.logs import log_failure, log_path, one_line
from analytics.queries import COST, PERIOD, SHARED, UnknownDimension, spend
from analytics.schema import Filters, Grain, Metric
from analytics.sources import SourceNotFound, find_source, list_sources, remove_source, source_of
from analytics.store import StoreError, connect, first_line, writing


def _parser() -> argparse.ArgumentParser:
    common = COMMON
    parser = argparse.ArgumentParser(prog="python -m analytics", description="FinOps Lens command line")
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample", parents=[common], help="build the sample company into the db")
    sample.add_argument("--rows", type=int, default=None, help="approximate number of line items")
    sample.add_argument("--months", type=int, default=13, help="full months before the current one")
    sample.add_argument("--seed", type=int, default=42)
    sample.add_argument("--as-of", type=parse_date, default=None, help="the 'today' of the sample (default today, UTC)")

    ingest = commands.add_parser("ingest", parents=[common], help="load cost export files")
    ingest.add_argument("paths", nargs="+", help="files, globs or folders (CSV, CSV.gz, Parquet)")
    ingest.add_argument("--format", choices=["auto", *FORMATS], default="auto")
    ingest.add_argument("--json", action="store_true", help="print the ingest reports as JSON")
    ingest.add_argument(
        "--dataset", choices=DATASETS, default="auto", help="FOCUS dataset (auto: a Contract Commitment header is one)"
    )

    sources = commands.add_parser("sources", parents=[common], help="what is loaded")
    sources.add_argument("--json", action="store_true")

    query = commands.add_parser("query", parents=[common], help="spend by dimensions and time")
    query.add_argument("--group-by", default="", help="DIM[,DIM]: FOCUS columns, tag:<key> or alloc:<name>")
    query.add_argument(
        "--where", action="append", default=[], metavar="DIM=VALUE", help="repeatable; an empty VALUE means not set"
    )
    query.add_argument("--metric", default="effective", help="effective|billed|list|contracted")
    query.add_argument("--from", dest="start", type=parse_date, default=None, help="first UTC day, inclusive")
    query.add_argument("--to", dest="end", type=parse_date, default=None, help="last UTC day, inclusive")
    query.add_argument("--grain", choices=[g.value for g in Grain], default="none")
    query.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    query.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    query.add_argument("--format", dest="output", choices=["table", "csv", "json"], default="table")
    query.add_argument("--rules", type=Path, default=None, help=RULES_HELP)

    remove = commands.add_parser("remove", parents=[common], help="remove a loaded source (the Data page's Remove)")
    remove.add_argument("source", metavar="SOURCE_ID|FILE", help="an id from `sources`, or the file it was loaded from")
    remove.add_argument("--yes", action="store_true", help="do not ask (needed when not on a terminal)")

    export = commands.add_parser("export-focus", parents=[common], help="write the line items as FOCUS Parquet")
    export.add_argument("--out", type=Path, required=True, help="FILE.parquet")
    export.add_argument("--from", dest="start", type=parse_date, default=None, help="first UTC day, inclusive")
    export.add_argument("--to", dest="end", type=parse_date, default=None, help="last UTC day, inclusive")
    export.add_argument(
        "--focus-version",
        default="1.2",
        help=f"{' or '.join(FOCUS_VERSIONS)} (default 1.2); 1.3 splits shared-cost pools per owner",
    )
    return parser


# Commands that live beside their analytics: each module's `add_commands(commands, common)` adds
# its subparsers and returns their handlers.
COMMAND_MODULES: tuple[str, ...] = (
    "analytics.allocation.cli",
    "analytics.forecast.cli",
    "analytics.anomalies.cli",
    "analytics.rightsizing.cli",
    "analytics.commitments.cli",
    "analytics.unit_economics.cli",
    "analytics.showback.cli",
    "analytics.store_cli",
    "analytics.audit_cli",
    "analytics.access.cli",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    handlers: dict[str, Handler] = {
        "sample": _sample,
        "ingest": _ingest,
        "sources": _sources,
        "query": _query,
        "export-focus": _export_focus,
        "remove": _remove,
    }
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in COMMAND_MODULES:
        handlers.update(importlib.import_module(name).add_commands(commands, COMMON))
    args = parser.parse_args(argv)
    try:
        return handlers[args.command](args)
    except (IngestError, StoreError, UnknownDimension, FxError, UsageError, ExportError, RulesError, AuditError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SourceNotFound as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"error: database: {first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback on a terminal
        reference = log_failure(logging.getLogger(__name__), f"python -m analytics {args.command}", exc)
        hint = "" if args.command == "remove" else f"; {_REMOVE_HINT}"
        print(f"error: {one_line(exc)} (ref {reference}, details in {log_path()}){hint}", file=sys.stderr)
        return 1


def _sample(args: argparse.Namespace) -> int:
    from analytics.sample import DEFAULT_ROWS, build_sample

    with writing(db_path(args)) as con, _progress_bar(total=100, unit="%") as bar:

        def progress(fraction: float, message: str) -> None:
            if bar is not None:
                bar.n = round(fraction * 100)
                bar.set_description(message)
                bar.refresh()

        rows = args.rows or DEFAULT_ROWS
        summary = build_sample(con, rows=rows, months=args.months, seed=args.seed, as_of=args.as_of, progress=progress)
    print(
        f"sample built: {summary.rows:,} line items, {summary.months} months to {summary.as_of}, "
        f"seed {summary.seed}, {summary.seconds:.1f} s -> {db_path(args)}"
    )
    return 0


def _ingest(args: argparse.Namespace) -> int:
    with writing(db_path(args)) as con, _progress_bar(total=None, unit="file") as bar:

        def progress(done: int, total: int, path: str) -> None:
            if bar is not None:
                bar.total = total
                bar.n = done
                bar.set_description(Path(path).name)
                bar.refresh()

        reports = ingest_paths(con, args.paths, args.format, progress, keep_going=True, dataset=args.dataset)
        detail = _load_detail(con, reports)
    audit.record(audit.cli_actor(), "load", detail)  # after the publish: only what was stored
    rejected = [r for r in reports if r.status == "rejected"]
    for report in rejected:
        print(f"error: {report.error}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        for report in reports:
            if report.status == "rejected":
                continue
            print(report.summary())
            for fix in report.fixes:
                print(f"  fixed: {fix}")
            for warning in report.warnings:
                print(f"  note: {warning}")
        if rejected:
            print(f"{len(reports) - len(rejected)} of {len(reports)} files loaded; {len(rejected)} rejected")
    return 2 if rejected else 0


def _load_detail(con: Connection, reports: list[IngestReport]) -> dict[str, list[Any]]:
    """What the audit log keeps of a load: each file, what happened to it and the source holding it."""
    ids = [None if r.status == "rejected" else source_of(con, Path(r.file), r.status == "unchanged") for r in reports]
    return {"files": [r.file for r in reports], "statuses": [r.status for r in reports], "source_ids": ids}


def _sources(args: argparse.Namespace) -> int:
    con = connect(db_path(args), read_only=True)
    try:
        entries = list_sources(DuckDBEngine(con))
    finally:
        con.close()
    if args.json:
        for entry in entries:
            entry.pop("report", None)
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print("nothing loaded yet: python -m analytics sample, or python -m analytics ingest PATH")
    for entry in entries:
        totals = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in entry["totals"].items())
        periods = ", ".join(entry["billing_periods"])
        name = f"{entry['id']}: {entry['source']} [{entry['format']}]"
        if not entry["totals"] and entry.get("dataset") == "contract-commitment":  # terms, not charges
            print(f"{name} {entry['rows']:,} contract commitments; periods {periods}")
            continue
        print(f"{name} {entry['rows']:,} rows; periods {periods}; billed {totals}")
    return 0


# An unexpected failure may come from a stored value (loaded before a check existed): say how to
# find and remove the source, since no command can tell which row caused it.
_REMOVE_HINT = (
    "if a loaded file holds a value this command cannot use, `python -m analytics sources` lists what is loaded "
    "and `python -m analytics remove SOURCE_ID --yes` removes one"
)


def _remove(args: argparse.Namespace) -> int:
    with writing(db_path(args)) as con:
        source_id, source = find_source(con, args.source)
        if not args.yes and not _confirmed(f"Remove source {source_id} ({source}) and its rows?"):
            raise UsageError(
                f"nothing removed: `remove {args.source}` asks for confirmation; add --yes to remove without asking"
            )
        files = remove_source(con, source_id)
    audit.record(audit.cli_actor(), "remove", {"source_id": source_id, "source": source, "files": files})
    print(f"removed source {source_id}: {', '.join(files)}")
    return 0


def _confirmed(question: str) -> bool:
    """Asks on a terminal; anywhere else (cron, a pipe) there is nobody to answer, so no."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _where(items: list[str]) -> dict[str, list[str | None]]:
    where: dict[str, list[str | None]] = {}
    for item in items:
        dimension, sep, value = item.partition("=")
        if not sep or not dimension:
            raise UsageError(f"--where {item!r}: expected DIM=VALUE")
        where.setdefault(dimension.strip(), []).append(value if value != "" else None)
    return where


def _query(args: argparse.Namespace) -> int:
    try:
        metric = Metric.parse(args.metric)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    group_by = [d.strip() for d in args.group_by.split(",") if d.strip()]
    filters = Filters.of(args.start, args.end, _where(args.where))
    fx = load_fx(args.fx)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    con = open_allocated(db_path(args), args.rules)
    try:
        result = spend(DuckDBEngine(con), fx, filters, group_by, metric, Grain(args.grain), args.currency)
    finally:
        con.close()
    for row in result.unconverted.itertuples(index=False):
        print(
            f"warning: {row.amount:,.2f} {row.currency} on {row.rows:,} rows has no {args.currency} rate in "
            f"{args.fx} and is left out of the totals",
            file=sys.stderr,
        )
    frame = result.frame
    if not frame[SHARED].any():
        frame = frame.drop(columns=SHARED)  # no shared-cost pools touch these rows
    if PERIOD in frame:
        frame = frame.sort_values([PERIOD, "cost"], ascending=[True, False], ignore_index=True)
    _print_frame(frame, args.output, f"{metric.value} in {args.currency}")
    return 0


def _export_focus(args: argparse.Namespace) -> int:
    check_request(Path(args.out), args.start, args.end, args.focus_version)
    con = connect(db_path(args), read_only=True)
    try:
        summary = export_focus(con, Path(args.out), args.start, args.end, args.focus_version)
    finally:
        con.close()
    print(f"exported {summary.rows:,} rows as FOCUS {args.focus_version} -> {summary.path}")
    return 0


def _print_frame(frame: pd.DataFrame, output: str, label: str) -> None:
    if output == "json":
        records = [_json_record({str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return
    money = [c for c in (COST, SHARED) if c in frame]
    if output == "csv":
        write_csv(frame.assign(**{c: frame[c].map(to_cent) for c in money}), sys.stdout)
    else:
        shown = frame.assign(**{c: frame[c].map(lambda v: f"{to_cent(v):,.2f}") for c in money}).fillna("(not set)")
        print(f"# {label}")
        print(shown.to_string(index=False))


def _json_record(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in (COST, SHARED):
            out[key] = to_cent(value)
        elif key == PERIOD:
            out[key] = value.isoformat()
        else:
            out[key] = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return out


class _NoBar:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress_bar(total: int | None, unit: str) -> Any:
    """A tqdm bar on a terminal; nothing when output is piped (cron, scripts)."""
    if sys.stderr.isatty():
        return tqdm(total=total, unit=unit, file=sys.stderr, leave=False)
    return _NoBar()
