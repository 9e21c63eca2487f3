"""`access check`: validate the access rules against the data; `access who`: what one person gets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from analytics import store
from analytics.access.rules import (
    ROLES,
    AccessError,
    AccessRules,
    Identity,
    check_dimensions,
    default_access_path,
    load_access,
)
from analytics.cli_common import Handler, UsageError, db_path
from analytics.engine import DuckDBEngine
from analytics.queries import dimensions


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    parser = commands.add_parser("access", help="check the access rules; see what one person gets")
    actions = parser.add_subparsers(dest="access_command", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--access", type=Path, default=None, help="rules file ($FINOPS_ACCESS or data/access.yaml)")
    where.add_argument("--json", action="store_true")
    check = actions.add_parser("check", parents=[common, where], help="validate the rules against the data")
    check.set_defaults(access_handler=_check)
    who = actions.add_parser("who", parents=[where], help="the role and scope one person gets")
    who.add_argument("email", metavar="EMAIL")
    who.add_argument("--groups", default="", help="a,b: the groups their ID token carries")
    who.add_argument("--unverified", action="store_true", help="their email is not verified by the identity provider")
    who.set_defaults(access_handler=_who)
    return {"access": _access}


def _access(args: argparse.Namespace) -> int:
    try:
        return int(args.access_handler(args))
    except AccessError as exc:
        raise UsageError(str(exc)) from exc


def _rules(args: argparse.Namespace) -> AccessRules:
    path = Path(args.access) if args.access is not None else default_access_path()
    rules = load_access(path)
    if rules is None:
        raise UsageError(f"{path}: no such access file; start from data/access.yaml.example (docs/access.md)")
    return rules


def _check(args: argparse.Namespace) -> int:
    rules = _rules(args)
    folder = db_path(args)
    notes = []
    if folder.exists():
        con = store.reader(folder)
        try:
            check_dimensions(rules, dimensions(DuckDBEngine(con)))
        finally:
            con.close()
    else:  # opening would create an empty store; rules may well be written before any data
        notes.append(f"no data at {folder} yet, so tag: and alloc: dimensions were not checked")
    roles = {role: sum(r.role == role for r in rules.rules) for role in reversed(ROLES)}
    if not roles["admin"]:
        notes.append("no rule grants admin: nobody can load data or change rules in the app")
    if args.json:
        listed = [{"name": r.name, "line": r.line, "role": r.role, "scope": r.scope.describe()} for r in rules.rules]
        report = {
            "file": str(rules.path),
            "groups_claim": rules.groups_claim,
            "rules": listed,
            "roles": roles,
            "dimensions_checked": folder.exists(),
            "notes": notes,
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    counts = ", ".join(f"{n} {role}" for role, n in roles.items())
    print(f"{rules.path}: {len(rules.rules)} rules ({counts}); groups from the {rules.groups_claim!r} claim")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _who(args: argparse.Namespace) -> int:
    rules = _rules(args)
    groups = tuple(dict.fromkeys(g.strip() for g in args.groups.split(",") if g.strip()))
    identity = Identity(args.email, groups, email_verified=not args.unverified)
    grant = rules.grant(identity)
    if args.json:
        report: dict[str, Any] = {"email": args.email, "groups": list(groups), "access": grant is not None}
        if grant is not None:
            filters = [{d: list(v) for d, v in f} for f in grant.scope.filters]
            scope = {"everything": grant.scope.everything, "filters": filters, "key": grant.scope.key()}
            report |= {"role": grant.role, "scope": scope, "describe": grant.scope.describe()}
            report["rules"] = list(grant.rules)
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    if grant is None:
        print(f"no access: {args.email} matches no rule in {rules.path}")
        return 0
    print(f"{args.email}: {grant.role}, sees {grant.scope.describe()} (rules: {', '.join(grant.rules)})")
    return 0
