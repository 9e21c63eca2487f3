"""The commands `rightsizing` and `ingest-utilization` (registered through analytics.cli COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analytics.cli_common import Handler, UsageError, db_path, refused
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.rightsizing.inventory import OWNER
from analytics.rightsizing.prices import PriceSheetError, load_price_sheet
from analytics.rightsizing.report import cash_savings, records, total_savings
from analytics.rightsizing.run import prepare, recommendations
from analytics.rightsizing.settings import Settings
from analytics.rightsizing.shapes import ShapesError, load_shapes
from analytics.rightsizing.utilization_ingest import SCALES, UtilizationError, load_utilization
from analytics.schema import Metric
from analytics.store import connect, writing


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    rs = commands.add_parser("rightsizing", parents=[common], help="rightsizing recommendations from utilisation")
    rs.add_argument("--lookback", type=int, default=14, help="days of utilisation, ending on its last day (14)")
    rs.add_argument("--percentile", type=float, default=99.5, help="CPU percentile: 90, 95, 99 or 99.5 (default)")
    rs.add_argument("--headroom", type=float, default=0.2, help="added to CPU and memory, as a fraction (0.2)")
    rs.add_argument("--target", type=float, default=0.8, help="highest projected utilisation, as a fraction (0.8)")
    rs.add_argument("--metric", default="effective", help="cost basis: effective|billed|list|contracted")
    rs.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    rs.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    rs.add_argument(
        "--price-sheet", type=Path, default=None, help="CSV: provider,instance_type,price_per_hour[,region]"
    )
    rs.add_argument("--families", default="", help="FAMILY[,FAMILY]: the only other families a resource may move to")
    rs.add_argument("--allow-arch-change", action="store_true", help="allow x86 <-> Arm moves")
    rs.add_argument("--owner", default=OWNER, help="owner dimension (default tag:team)")
    rs.add_argument("--utilization", type=Path, default=None, help="load this utilisation file first")
    rs.add_argument("--json", action="store_true")

    ing = commands.add_parser("ingest-utilization", parents=[common], help="load utilisation metrics (long layout)")
    ing.add_argument("paths", nargs="+", type=Path, help="CSV, CSV.gz or Parquet files")
    ing.add_argument("--scale", choices=SCALES, default="auto", help="*_pct values as percent or 0-1 fraction (GCP)")
    ing.add_argument("--allow-unknown", action="store_true", help="accept resource ids absent from the cost data")
    return {"rightsizing": _rightsizing, "ingest-utilization": _ingest}


def _settings(args: argparse.Namespace) -> Settings:
    try:
        metric = Metric.parse(args.metric)
        families = tuple(f.strip() for f in args.families.split(",") if f.strip()) or None
        settings = Settings(
            lookback_days=args.lookback,
            percentile=args.percentile,
            headroom=args.headroom,
            target=args.target,
            families=families,
            allow_arch_change=args.allow_arch_change,
            metric=metric,
            currency=args.currency,
        )
        settings.check()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    known = set(load_shapes().table["family"])
    unknown = [f for f in settings.families or () if f not in known]
    if unknown:
        raise UsageError(f"--families: unknown famil(ies) {', '.join(unknown)}; see data/instance_shapes.csv")
    return settings


def _rightsizing(args: argparse.Namespace) -> int:
    settings = _settings(args)
    fx = load_fx(args.fx)
    if settings.currency not in fx.currencies():
        raise UsageError(f"--currency {settings.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    try:
        shapes = load_shapes()
        sheet = load_price_sheet(args.price_sheet, shapes) if args.price_sheet else None
    except (ShapesError, PriceSheetError) as exc:
        raise UsageError(str(exc)) from exc
    if args.utilization is not None:
        _load(db_path(args), args.utilization, "auto", check_ids=True)
    con = connect(db_path(args), read_only=True)
    try:
        inputs = prepare(DuckDBEngine(con), fx, settings, sheet, args.owner or None, shapes)
        frame = recommendations(inputs, settings, shapes)
    finally:
        con.close()
    if inputs.start is None:
        raise UsageError("no utilisation data loaded: python -m analytics ingest-utilization FILE (see the README)")
    total = total_savings(frame)
    if args.json:
        payload = {
            "lookback": {"days": settings.lookback_days, "from": str(inputs.start), "to": str(inputs.end)},
            "percentile": settings.percentile,
            "headroom": settings.headroom,
            "target": settings.target,
            "metric": settings.metric.value,
            "currency": settings.currency,
            "recommendations": records(frame),
            "total_monthly_savings": total,
            # without the savings on hours under commitments, which free capacity rather than cash
            "cash_monthly_savings": cash_savings(frame),
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(
        f"# rightsizing over {inputs.start} to {inputs.end}, p{settings.percentile:g} CPU, "
        f"{settings.headroom:.0%} headroom, {settings.target:.0%} target; "
        f"{settings.metric.value} in {settings.currency}"
    )
    for r in records(frame):
        proposed = f" -> {r['proposed']}" if r["proposed"] else ""
        print(
            f"{r['action']:<17} {r['monthly_savings']:>12,.2f}  {r['current'] or '?'}{proposed}  "
            f"[{r['risk'] or '-'}]  {r['resource_id']}"
        )
    print(f"total monthly savings: {total:,.2f} {settings.currency}")
    print(f"of which cash (not on hours under commitments): {cash_savings(frame):,.2f} {settings.currency}")
    return 0


def _load(db: Path, path: Path, scale: str, check_ids: bool) -> None:
    try:
        with writing(db) as con:
            report = load_utilization(con, str(path), scale=scale, check_ids=check_ids)
    except UtilizationError as exc:
        raise refused(exc) from exc
    print(report.summary())
    for note in report.notes:
        print(f"  note: {note}")


def _ingest(args: argparse.Namespace) -> int:
    for path in args.paths:
        _load(db_path(args), path, args.scale, check_ids=not args.allow_unknown)
    return 0
