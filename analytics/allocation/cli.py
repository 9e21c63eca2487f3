"""`python -m analytics allocate`: validate and apply the allocation rules, and say how much spend
has an owner. Also how the other commands open a database whose allocation is up to date."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analytics import audit
from analytics.allocation.apply import apply_rules, is_current
from analytics.allocation.coverage import allocated_share
from analytics.allocation.refresh import current_rules, refresh
from analytics.allocation.rules import check_against, default_rules_path, load_rules
from analytics.cli_common import Handler, UsageError, db_path, to_cent
from analytics.engine import Connection, DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.queries import tag_keys
from analytics.schema import EVERYTHING
from analytics.store import connect, writing

RULES_HELP = "allocation rules (default $FINOPS_RULES or data/allocation.yaml)"


def open_allocated(db: Path, rules: Path | None) -> Connection:
    """A connection whose allocation is `rules` applied to the data as it is: read-only when it
    already is, else read-write just long enough to re-apply them. Explicitly named rules that do
    not validate stop the command; a broken default file leaves the last applied rules in force."""
    if rules is not None:
        if not rules.exists():
            raise UsageError(f"--rules {rules}: no such file")
        load_rules(rules)  # raises RulesError with the line and reason
    con = connect(db, read_only=True)
    in_force, error = current_rules(con, rules)
    if error:
        print(f"warning: {error}; the last applied rules stay in force", file=sys.stderr)
    if is_current(con, in_force):
        return con
    con.close()
    with writing(db, note="applying the allocation rules") as con:
        refresh(con, rules)
    return connect(db, read_only=True)


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    allocate = commands.add_parser(
        "allocate", parents=[common], help="validate and apply the allocation rules; show the share of spend allocated"
    )
    allocate.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    allocate.add_argument("--check", action="store_true", help="only validate the rules file, change nothing")
    allocate.add_argument("--json", action="store_true")
    return {"allocate": _allocate}


def _allocate(args: argparse.Namespace) -> int:
    path = args.rules or default_rules_path()
    if args.rules is not None and not path.exists():
        raise UsageError(f"--rules {path}: no such file")
    rules = load_rules(path)
    if not args.check:
        with writing(db_path(args), note="applying the allocation rules") as con:
            applied = apply_rules(con, rules)
        audit.record(audit.cli_actor(), "allocation rules", {"rules": str(path), "fingerprint": applied.fingerprint})
    con = connect(db_path(args), read_only=True)
    try:
        engine = DuckDBEngine(con)
        warnings: list[str] = []
        if args.check:
            summary = {"rules": str(path), "fingerprint": rules.fingerprint(), "valid": True}
        else:
            warnings = check_against(rules, tag_keys(engine))
            share = allocated_share(engine, load_fx(DEFAULT_FX_PATH), EVERYTHING)
            summary = {
                "rules": str(path),
                "fingerprint": applied.fingerprint,
                "seconds": round(applied.seconds, 3),
                "owner_dimension": share.owner_dimension,
                "allocated": to_cent(share.allocated),
                "total": to_cent(share.total),
                "percent_allocated": round(share.percent, 2),
                "maturity": share.mark,
                "warnings": warnings,
            }
    finally:
        con.close()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    if args.check:
        print(f"{path}: valid (fingerprint {rules.fingerprint()})")
        return 0
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"applied {path} (fingerprint {summary['fingerprint']}) in {summary['seconds']} s")
    if share.owner_dimension:
        print(
            f"{share.percent:.1f}% of EffectiveCost has an owner in {share.owner_dimension} "
            f"({to_cent(share.allocated):,.2f} of {to_cent(share.total):,.2f} USD): {share.mark}"
        )
    else:
        print("no owner dimension: add `owner: <dimension>` or a virtual dimension to the rules")
    return 0
