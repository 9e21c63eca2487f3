"""Keeping the stored allocation in step with the rules file and the data: every write path (ingest,
sample build, source removal) and every reader that opens the database calls `refresh`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analytics.allocation.apply import RULES_KEY, Applied, apply_rules, is_current
from analytics.allocation.rules import EMPTY, Rules, RulesError, default_rules_path, load_rules, parse_rules
from analytics.engine import Connection
from analytics.store import get_meta


@dataclass(frozen=True)
class Status:
    """What is applied. `error`: why the rules file could not be used (the last rules that were
    applied stay in force); `applied`: set when this call re-applied the rules."""

    rules: Rules
    path: Path
    error: str | None = None
    applied: Applied | None = None
    stamp: tuple[str, float] | None = None  # the rules file's path and modification time, when read


def last_applied(con: Connection) -> Rules:
    """The rules the stored allocation was built with (none before the first application)."""
    text = get_meta(con, RULES_KEY)
    if not text:
        return EMPTY
    try:
        return parse_rules(text, "the last applied rules")
    except RulesError:
        return EMPTY  # written by a version with other rules syntax


def current_rules(con: Connection, path: Path | None = None) -> tuple[Rules, str | None]:
    """The rules in `path` (default: `FINOPS_RULES` or data/allocation.yaml), or, when that file is
    not valid, the last applied ones together with the reason."""
    try:
        return load_rules(path), None
    except RulesError as exc:
        return last_applied(con), str(exc)


def refresh(con: Connection, path: Path | None = None) -> Status:
    """Apply the rules if the rules or the data changed since they were last applied."""
    rules, error = current_rules(con, path)
    where = path or default_rules_path()
    if is_current(con, rules):
        return Status(rules, where, error)
    return Status(rules, where, error, apply_rules(con, rules))
