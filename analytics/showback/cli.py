"""`python -m analytics showback`: a pack for a month (or a range of months), unattended (cron).
Exits 2 with one line on bad input (no data for the month, unknown dimension), 1 when the pack does
not tie out, 0 otherwise; says when the data of the months changed since an earlier pack."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from analytics import audit
from analytics.allocation.cli import RULES_HELP, open_allocated
from analytics.allocation.coverage import applied_rules
from analytics.cli_common import Handler, UsageError, db_path
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.showback.data import PackData, ShowbackError, gather
from analytics.showback.figures import owner_rows, recon_rows, rounding_row
from analytics.showback.fingerprint import describe_changes, last_pack, record_pack
from analytics.showback.request import BASES, PackRequest, parse_month
from analytics.showback.workbook import owner_packs, pack
from analytics.store import StoreError, writing


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    parser = commands.add_parser(
        "showback", parents=[common], help="Excel showback pack for a month: per owner, reconciled to the cent"
    )
    parser.add_argument("--month", required=True, help="YYYY-MM: the (first) month of the pack")
    parser.add_argument("--through", default=None, help="YYYY-MM: last month, for a pack over several months")
    parser.add_argument("--by", default=None, help="owner dimension (default: the rules' owner, e.g. alloc:...)")
    parser.add_argument("--out", type=Path, default=None, help="FILE.xlsx: the consolidated workbook")
    parser.add_argument("--split-dir", type=Path, default=None, help="DIR: also one workbook per owner")
    parser.add_argument("--basis", choices=list(BASES), default="effective", help="effective (default) or billed")
    parser.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    parser.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    parser.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    return {"showback": _showback}


def _request(args: argparse.Namespace, default_owner: str | None) -> PackRequest:
    try:
        first = parse_month(args.month)
        last = parse_month(args.through) if args.through else first
    except ValueError as exc:
        raise UsageError(f"--month/--through: {exc}") from exc
    if last < first:
        raise UsageError(f"--through {args.through} is before --month {args.month}")
    owner = args.by or default_owner
    if not owner:
        raise UsageError("--by: name the owner dimension (the allocation rules name none), e.g. --by tag:team")
    return PackRequest(first, last, owner, BASES[args.basis], args.currency)


def _check_outputs(args: argparse.Namespace) -> None:
    if args.out is None and args.split_dir is None:
        raise UsageError("--out FILE.xlsx or --split-dir DIR: say where to write the pack")
    if args.out is not None:
        if args.out.suffix.lower() != ".xlsx":
            raise UsageError(f"--out {args.out}: the pack is an Excel workbook; name it .xlsx")
        if not args.out.parent.exists():
            raise UsageError(f"--out {args.out}: no folder {args.out.parent}")
    if args.split_dir is not None and args.split_dir.exists() and not args.split_dir.is_dir():
        raise UsageError(f"--split-dir {args.split_dir}: not a folder")


def _showback(args: argparse.Namespace) -> int:
    _check_outputs(args)
    fx = load_fx(args.fx)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    db = db_path(args)
    con = open_allocated(db, args.rules)
    try:
        engine = DuckDBEngine(con)
        request = _request(args, applied_rules(engine).owner_dimension())
        try:
            data = gather(engine, fx, request)
        except ShowbackError as exc:
            raise UsageError(str(exc)) from exc
        earlier = last_pack(engine, request, data.sources)
    finally:
        con.close()
    if earlier is not None and earlier.changed:
        print(
            f"note: the data for {request.label} changed since the pack generated "
            f"{earlier.generated_at:%Y-%m-%d %H:%M} UTC "
            f"(data fingerprint {earlier.data_fingerprint} → {data.data_fingerprint}):",
            file=sys.stderr,
        )
        for line in describe_changes(earlier):
            print(f"  {line}", file=sys.stderr)
    generated_at = dt.datetime.now(dt.UTC)
    written = _write(args, data, generated_at)
    _record(db, data, generated_at, ", ".join(written))
    audit.record(audit.cli_actor(), "showback export", _export_detail(request, written))
    return _report(data, written)


def _export_detail(request: PackRequest, written: list[str]) -> dict[str, str | list[str]]:
    return {"months": request.label, "owner": request.owner, "outputs": written}


def _write(args: argparse.Namespace, data: PackData, generated_at: dt.datetime) -> list[str]:
    written = []
    if args.out is not None:
        args.out.write_bytes(pack(data, generated_at))
        written.append(str(args.out))
    if args.split_dir is not None:
        args.split_dir.mkdir(parents=True, exist_ok=True)
        count = 0
        for name, content in owner_packs(data, generated_at):
            (args.split_dir / name).write_bytes(content)
            count += 1
        written.append(f"{args.split_dir}/ ({count} owner workbooks)")
    return written


def _record(db: Path, data: PackData, generated_at: dt.datetime, output: str) -> None:
    """Remember the pack's data fingerprint; a database open elsewhere only costs the record."""
    try:
        with writing(db, note="showback: recording a pack", data_changed=False) as con:
            record_pack(con, data.request, data.sources, data.rules_fingerprint, generated_at, output)
    except StoreError as exc:
        print(f"warning: the pack was written but not recorded for change detection: {exc}", file=sys.stderr)


def _report(data: PackData, written: list[str]) -> int:
    request = data.request
    rows = owner_rows(data)
    owners = sum(1 for r in rows if r.is_owner)
    total = sum(r.total for r in rows) + rounding_row(data, rows).total  # the Summary's total row
    recon = recon_rows(data)
    ties = all(r.difference == 0 for r in recon)
    print(
        f"showback {request.label} by {request.owner}: {owners} owners, {total:,.2f} {request.currency} "
        f"({request.metric.value}); data fingerprint {data.data_fingerprint}; rules {data.rules_fingerprint}"
    )
    for path in written:
        print(f"wrote {path}")
    for r in recon:
        status = "ties out" if r.difference == 0 else f"DIFFERENCE {r.difference:,.2f}"
        print(f"  reconciliation {r.label}: source {r.source:,.2f} {r.currency}, {status}")
    return 0 if ties else 1
