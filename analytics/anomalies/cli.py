"""`python -m analytics anomalies`: anomaly events with their impact and root cause."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analytics.allocation.cli import RULES_HELP, open_allocated
from analytics.anomalies.events import Event, find_events
from analytics.anomalies.rootcause import explain, sentence
from analytics.cli_common import Handler, UsageError, db_path, parse_date, to_cent
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    parser = commands.add_parser("anomalies", parents=[common], help="cost anomalies and their root cause")
    parser.add_argument("--from", dest="start", type=parse_date, default=None, help="first UTC day, inclusive")
    parser.add_argument("--to", dest="end", type=parse_date, default=None, help="last UTC day, inclusive")
    parser.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    parser.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    parser.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    parser.add_argument("--json", action="store_true", help="print a JSON list of events")
    return {"anomalies": _anomalies}


def to_json(event: Event) -> dict[str, object]:
    d = event.as_dict()
    for key in ("expected", "actual", "impact"):
        d[key] = to_cent(float(d[key]))  # type: ignore[arg-type]
    d["impact_pct"] = None if event.impact_pct is None else round(event.impact_pct, 4)
    d["max_z"] = round(event.max_z, 2)
    d["root_cause"] = [
        {
            **c.as_dict(),
            "contribution": round(c.contribution, 4),
            "actual": to_cent(c.actual),
            "expected": to_cent(c.expected),
            "delta": to_cent(c.delta),
        }
        for c in event.root_cause
    ]
    return d


def _anomalies(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    fx = load_fx(args.fx)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    con = open_allocated(db_path(args), args.rules)  # tags as the allocation rules normalise them
    try:
        engine = DuckDBEngine(con)
        events = find_events(engine, fx, args.start, args.end, args.currency)
        for event in events:
            event.root_cause = explain(engine, fx, event)
    finally:
        con.close()
    if args.json:
        print(json.dumps([to_json(e) for e in events], indent=2, ensure_ascii=False))
        return 0
    if not events:
        print("no anomalies")
    for event in events:
        daily = f"{to_cent(event.impact / event.days):,.2f} {event.currency}"
        print(f"{event.start}..{event.end}  impact {to_cent(event.impact):>12,.2f}  {sentence(event, daily)}")
    return 0
