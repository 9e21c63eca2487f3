"""The commands `unit-cost` and `ingest-metrics` (registered through analytics.cli COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.allocation.cli import RULES_HELP, open_allocated
from analytics.allocation.refresh import refresh
from analytics.cli_common import Handler, UsageError, db_path, parse_date, refused, to_cent
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.queries import COST, PERIOD
from analytics.schema import Filters, Grain, Metric
from analytics.store import writing
from analytics.unit_economics.charts import unit_text
from analytics.unit_economics.compute import OWNER, UNIT_COST, VALUE, unit_cost
from analytics.unit_economics.metrics import UnknownMetric
from analytics.unit_economics.metrics_ingest import MetricsError, load_metrics

GRAINS = (Grain.DAY.value, Grain.WEEK.value, Grain.MONTH.value)


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    uc = commands.add_parser("unit-cost", parents=[common], help="cost per unit of a business metric, over time")
    uc.add_argument("--metric", required=True, help="business metric name, e.g. orders")
    uc.add_argument("--by", default=None, help="owner dimension: a FOCUS column, tag:<key> or alloc:<name>")
    uc.add_argument("--grain", choices=GRAINS, default="month")
    uc.add_argument("--from", dest="start", type=parse_date, default=None, help="first UTC day, inclusive")
    uc.add_argument("--to", dest="end", type=parse_date, default=None, help="last UTC day, inclusive")
    uc.add_argument("--basis", default="effective", help="cost basis: effective|billed|list|contracted")
    uc.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    uc.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    uc.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    uc.add_argument("--json", action="store_true")

    ing = commands.add_parser("ingest-metrics", parents=[common], help="load business metrics (date,metric,value)")
    ing.add_argument("paths", nargs="+", type=Path, help="CSV, CSV.gz or Parquet files")
    return {"unit-cost": _unit_cost, "ingest-metrics": _ingest}


def _unit_cost(args: argparse.Namespace) -> int:
    try:
        basis = Metric.parse(args.basis)
    except ValueError as exc:
        raise UsageError(f"--basis: {exc}") from exc
    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    fx = load_fx(args.fx)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    con = open_allocated(db_path(args), args.rules)
    try:
        result = unit_cost(
            DuckDBEngine(con), fx, args.metric, args.by, Grain(args.grain), Filters(args.start, args.end), basis,
            args.currency,
        )  # fmt: skip
    except UnknownMetric as exc:
        raise UsageError(str(exc)) from exc
    finally:
        con.close()
    for row in result.unconverted.itertuples(index=False):
        print(
            f"warning: {row.amount:,.2f} {row.currency} on {row.rows:,} rows has no {args.currency} rate and is "
            "left out of the costs",
            file=sys.stderr,
        )
    frame = result.frame.rename(columns={OWNER: args.by}) if args.by else result.total
    records = [_record({str(k): v for k, v in r.items()}, args.by) for r in frame.to_dict("records")]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    print(f"# {basis.value} in {args.currency} per {args.metric} ({result.denominator}); '-' is a gap")
    for r in records:
        owner = f"  {r[args.by] if r[args.by] is not None else '(not set)'}" if args.by else ""
        unit = "-" if r[UNIT_COST] is None else unit_text(r[UNIT_COST], args.currency)
        value = "-" if r[VALUE] is None else f"{r[VALUE]:,.0f}"
        print(f"{r[PERIOD]}{owner}  cost {r[COST]:,.2f}  {args.metric} {value}  unit {unit}")
    return 0


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) or not math.isfinite(float(value)) else float(value)


def _record(row: dict[str, Any], by: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {PERIOD: row[PERIOD].isoformat()}
    if by is not None:
        owner = row[by]
        out[by] = None if owner is None or owner != owner else str(owner)
    unit = _number(row[UNIT_COST])
    out[COST] = to_cent(row[COST])
    out[VALUE] = _number(row[VALUE])
    out[UNIT_COST] = None if unit is None else float(f"{unit:.8g}")
    return out


def _ingest(args: argparse.Namespace) -> int:
    for path in args.paths:
        try:
            with writing(db_path(args)) as con:
                refresh(con)  # owner dimensions are checked against the allocated data, kept current here
                report = load_metrics(con, str(path))
        except MetricsError as exc:
            raise refused(exc) from exc
        print(report.summary())
        for note in report.notes:
            print(f"  note: {note}")
    return 0
