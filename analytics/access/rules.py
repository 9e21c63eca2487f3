"""Who may see what: data/access.yaml (or FINOPS_ACCESS) parsed into frozen dataclasses, validated
with the line of every problem, and matched against a signed-in identity. docs/access.md is the
reference for the format and its semantics. Nothing here touches the database: `check_dimensions`
compares the scopes with the dimensions the caller found in the data."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from analytics.access.scope import ALL, Scope, filter_of, union
from analytics.schema import DETAIL_DIMENSIONS, ROLLUP_DIMENSIONS, SHARED_POOL, is_alloc, is_tag

Role = Literal["admin", "analyst", "viewer"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")  # lowest first: several rules give the highest
_TOP_LEVEL = ("groups_claim", "rules")
_RULE_KEYS = ("name", "emails", "domains", "groups", "role", "scope")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DOMAIN = re.compile(r"^[^@\s*/]+$")
_SCOPES_CAN_USE = f"tag:<key>, alloc:<name> or {', '.join(ROLLUP_DIMENSIONS)}"


class AccessError(ValueError):
    """Access rules that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the ID token describes them."""

    email: str | None
    groups: tuple[str, ...] = ()
    email_verified: bool | None = None  # False: email and domain rules do not match (docs/access.md)


@dataclass(frozen=True)
class Grant:
    """What a person may do (`role`) and see (`scope`), and the rules that said so."""

    role: Role
    scope: Scope
    rules: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


LOCAL_ADMIN = Grant("admin", ALL, ("single-user mode",))


@dataclass(frozen=True)
class AccessRule:
    """One rule: who it matches (emails and domains in lower case, groups as the IdP sends them)."""

    name: str
    role: Role
    scope: Scope
    emails: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    line: int = 0
    dimension_lines: tuple[tuple[str, int], ...] = ()  # each scope dimension and the line naming it

    def matches(self, identity: Identity) -> bool:
        if set(self.groups) & set(identity.groups):
            return True
        # Some IdPs let a user type an email they do not own; only a verified one may match.
        if identity.email is None or identity.email_verified is False:
            return False
        email = identity.email.strip().lower()
        local, at, domain = email.rpartition("@")
        return email in self.emails or (bool(local and at) and domain in self.domains)


@dataclass(frozen=True)
class AccessRules:
    path: Path
    groups_claim: str
    rules: tuple[AccessRule, ...]

    def grant(self, identity: Identity) -> Grant | None:
        """The sum of every rule `identity` matches (highest role, union of scopes); None: no rule."""
        matched = [r for r in self.rules if r.matches(identity)]
        if not matched:
            return None
        role = max((r.role for r in matched), key=ROLES.index)
        return Grant(role, union(r.scope for r in matched), tuple(r.name for r in matched))


def default_access_path() -> Path:
    """`FINOPS_ACCESS` if set, else data/access.yaml."""
    # Imported here: the store imports DuckDB, and the sign-in gate runs before anything needs it.
    from analytics.store import DATA_DIR

    return Path(os.environ.get("FINOPS_ACCESS") or DATA_DIR / "access.yaml")


def load_access(path: Path | None = None) -> AccessRules | None:
    """The rules in `path` (default `default_access_path()`); None when there is no such file."""
    path = path or default_access_path()
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"{path}: cannot read the access rules ({exc})") from exc
    return parse_access(text, str(path))


def parse_access(text: str, source: str) -> AccessRules:
    """Parse and validate; raises AccessError naming `source`, the line and the problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise AccessError(f"{source}:{line}: not valid YAML ({problem})") from exc
    if root is None:
        raise AccessError(f"{source}:1: the file is empty; list who may see what under `rules:` (docs/access.md)")
    return _Parser(source).access(root)


def check_dimensions(rules: AccessRules, known: Iterable[str]) -> None:
    """Refuses a `tag:` or `alloc:` scope dimension the data does not have: it would match nothing,
    and its people would see an empty app that looks like no spend."""
    present = sorted(set(known))
    for rule in rules.rules:
        for dimension, line in rule.dimension_lines:
            if (is_tag(dimension) or is_alloc(dimension)) and dimension not in present:
                what = "tag key" if is_tag(dimension) else "allocation dimension"
                close = difflib.get_close_matches(dimension, present, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise AccessError(f"{rules.path}:{line}: rule {rule.name!r}: no {what} {dimension!r} in the data{hint}")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, reason: str) -> AccessError:
        return AccessError(f"{self.source}:{node.start_mark.line + 1}: {reason}")

    def fields(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping's entries by key; a key not in `allowed`, or named twice, is refused."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value)")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = self.text(key, f"a key of {what}")
            if name in out:
                raise self.fail(key, f"{name!r} appears twice in {what}")
            if allowed and name not in allowed:
                raise self.fail(key, f"unknown key {name!r} in {what}; expected {', '.join(allowed)}")
            out[name] = (key, value)
        return out

    def text(self, node: yaml.Node, what: str) -> str:
        """A scalar's text as written (123456789012 and 0123 stay digits, not numbers)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or not node.value.strip():
            raise self.fail(node, f"{what} must be a non-empty text")
        return str(node.value)

    def texts(self, node: yaml.Node, what: str) -> list[str]:
        """A non-empty list of texts; a single text stands for a one-item list."""
        if not isinstance(node, yaml.ScalarNode | yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        items = [node] if isinstance(node, yaml.ScalarNode) and node.value.strip() else node.value
        if not items:
            raise self.fail(node, f"{what}: list at least one value")
        return [self.text(item, f"each of {what}") for item in items]

    def access(self, root: yaml.Node) -> AccessRules:
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, "the file must be a mapping with `rules:` (and optionally `groups_claim:`)")
        top = self.fields(root, "the access rules", _TOP_LEVEL)
        claim = self.text(top["groups_claim"][1], "groups_claim") if "groups_claim" in top else "groups"
        if "rules" not in top:
            raise self.fail(root, "no `rules:`: list who may see what (docs/access.md)")
        node = top["rules"][1]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "`rules` must be a list of rules (each item starting with `- name:`)")
        if not node.value:
            raise self.fail(node, "`rules` is empty: list at least one rule, or nobody could sign in")
        rules: list[AccessRule] = []
        for item in node.value:
            rule = self.rule(item)
            twin = next((r for r in rules if r.name.lower() == rule.name.lower()), None)
            if twin is not None:
                raise self.fail(item, f"rule name {rule.name!r} is used twice (first on line {twin.line})")
            rules.append(rule)
        return AccessRules(Path(self.source), claim, tuple(rules))

    def rule(self, node: yaml.Node) -> AccessRule:
        parts = self.fields(node, "a rule", _RULE_KEYS)
        for needed in ("name", "role", "scope"):
            if needed not in parts:
                raise self.fail(node, f"a rule needs `{needed}`")
        name = self.text(parts["name"][1], "name")
        if not any(k in parts for k in ("emails", "domains", "groups")):
            raise self.fail(node, f"rule {name!r} matches nobody: give it emails, domains or groups")
        role_node = parts["role"][1]
        role = self.text(role_node, "role")
        if role not in ROLES:
            raise self.fail(role_node, f"rule {name!r}: role {role!r}; expected admin, analyst or viewer")
        scope_node = parts["scope"][1]
        scope, lines = self.scope(scope_node, name)
        if role == "admin" and not scope.everything:
            raise self.fail(
                scope_node,
                f"rule {name!r}: an admin rule must have `scope: all` (admins load data and change rules for "
                "everybody); give a limited scope to an analyst or viewer rule",
            )
        return AccessRule(
            name=name,
            role=role,
            scope=scope,
            emails=self.emails(parts, name),
            domains=self.domains(parts, name),
            groups=tuple(dict.fromkeys(self.texts(parts["groups"][1], "groups"))) if "groups" in parts else (),
            line=node.start_mark.line + 1,
            dimension_lines=lines,
        )

    def emails(self, parts: dict[str, tuple[yaml.Node, yaml.Node]], name: str) -> tuple[str, ...]:
        if "emails" not in parts:
            return ()
        node = parts["emails"][1]
        emails = [e.strip().lower() for e in self.texts(node, "emails")]
        for email in emails:
            if not _EMAIL.match(email):
                raise self.fail(node, f"rule {name!r}: {email!r} is not an email address")
        return tuple(dict.fromkeys(emails))

    def domains(self, parts: dict[str, tuple[yaml.Node, yaml.Node]], name: str) -> tuple[str, ...]:
        if "domains" not in parts:
            return ()
        node = parts["domains"][1]
        domains = [d.strip().lower() for d in self.texts(node, "domains")]
        for domain in domains:
            if not _DOMAIN.match(domain):
                raise self.fail(
                    node,
                    f"rule {name!r}: {domain!r} is not a domain; write it as example.com "
                    "(no @, no wildcard: subdomains are not matched, list each one)",
                )
        return tuple(dict.fromkeys(domains))

    def scope(self, node: yaml.Node, name: str) -> tuple[Scope, tuple[tuple[str, int], ...]]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and node.value == "all":
            return ALL, ()
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"rule {name!r}: scope must be `all` or a mapping of dimension: [values]")
        entries = self.fields(node, f"the scope of {name!r}", ())
        if not entries:
            raise self.fail(node, f"rule {name!r}: the scope names no dimension; write `scope: all` for everything")
        conditions = []
        for dimension, (key, values) in entries.items():
            self.dimension(key, dimension, name)
            conditions.append((dimension, self.texts(values, f"the values of {dimension}")))
        lines = tuple((dimension, key.start_mark.line + 1) for dimension, (key, _) in entries.items())
        return Scope(False, (filter_of(conditions),)), lines

    def dimension(self, node: yaml.Node, dimension: str, name: str) -> None:
        """A dimension every page reads from the daily rollups, so that a scope applies to all of them."""
        if dimension == SHARED_POOL:
            raise self.fail(
                node, f"rule {name!r}: {SHARED_POOL} says which shared pool a cost came from, not who owns it"
            )
        if is_tag(dimension) or is_alloc(dimension):
            if not dimension.partition(":")[2].strip():
                raise self.fail(node, f"rule {name!r}: {dimension!r} needs a name after the colon, as in tag:team")
            return
        if dimension in ROLLUP_DIMENSIONS:
            return
        why = " (a detail column, not kept in the daily rollups)" if dimension in DETAIL_DIMENSIONS else ""
        raise self.fail(
            node, f"rule {name!r}: {dimension!r} cannot scope access{why}; a scope can use {_SCOPES_CAN_USE}"
        )
