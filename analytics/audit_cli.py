"""`audit`: the audit log (loads, removals, rule and budget changes, pack exports), as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from analytics import audit
from analytics.cli_common import Handler, parse_date


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    parser = commands.add_parser("audit", parents=[common], help="who loaded, removed, changed or exported what")
    parser.add_argument("--since", type=parse_date, default=None, help="first UTC day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="print the entries as a JSON list")
    return {"audit": _audit}


def _audit(args: argparse.Namespace) -> int:
    path = audit.audit_path()
    log = audit.read(args.since, path)
    if log.skipped:
        lines = ", ".join(str(n) for n in log.skipped[:10]) + (", ..." if len(log.skipped) > 10 else "")
        print(f"warning: {path}: {len(log.skipped)} line(s) skipped, not audit entries: line {lines}", file=sys.stderr)
    if args.json:
        print(json.dumps([e.__dict__ for e in log.entries], indent=2, ensure_ascii=False, default=str))
        return 0
    if not log.entries:
        print(f"no audit entries{f' since {args.since}' if args.since else ''} in {path}")
        return 0
    print(audit.frame(log.entries).to_string(index=False))
    return 0
