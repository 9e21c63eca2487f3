"""Allocation rules: the YAML file users edit, parsed into frozen dataclasses and validated with the
line of every problem. Nothing here touches the database; `check_against` compares the rules with
the tag keys the data has."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analytics.schema import ALLOC_PREFIX, ROLLUP_DIMENSIONS, TAG_PREFIX, alloc_name, is_alloc, is_tag, tag_key
from analytics.store import DATA_DIR

SPLITS = ("proportional", "even", "fixed")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_LEVEL = ("owner", "tags", "dimensions", "shared_costs", "labels")


class RulesError(ValueError):
    """A rule set that cannot be used; the message names the file, the line and the reason."""


def default_rules_path() -> Path:
    """`FINOPS_RULES` if set, else data/allocation.yaml."""
    return Path(os.environ.get("FINOPS_RULES") or DATA_DIR / "allocation.yaml")


# A condition: dimension -> accepted values (None: not set; a value with `*` is a wildcard pattern).
Condition = tuple[str, tuple[str | None, ...]]


@dataclass(frozen=True)
class Rule:
    value: str
    when: tuple[Condition, ...]
    line: int


@dataclass(frozen=True)
class VirtualDimension:
    name: str
    rules: tuple[Rule, ...]
    default: str | None
    line: int

    @property
    def dimension(self) -> str:
        return ALLOC_PREFIX + self.name


@dataclass(frozen=True)
class SharedPool:
    name: str
    when: tuple[Condition, ...]
    to: str
    split: str
    weights: tuple[tuple[str, float], ...]
    line: int


@dataclass(frozen=True)
class Rules:
    """`key_aliases`: canonical key -> aliases; `value_aliases`: canonical key -> canonical value ->
    aliases (all matched case-insensitively). `owner`: the dimension that says who owns a dollar."""

    key_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    value_aliases: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()
    dimensions: tuple[VirtualDimension, ...] = ()
    pools: tuple[SharedPool, ...] = ()
    owner: str | None = None
    text: str = field(default="", compare=False)
    # Words shown for dimension names (`alloc:business_unit: Business unit`); display only, so not
    # part of the fingerprint: renaming a label re-applies nothing.
    labels: tuple[tuple[str, str], ...] = ()

    def fingerprint(self) -> str:
        """Identifies what the rules do (not their comments or layout)."""
        content = {
            "keys": self.key_aliases,
            "values": self.value_aliases,
            "dimensions": [(d.name, [(r.value, r.when) for r in d.rules], d.default) for d in self.dimensions],
            "pools": [(p.name, p.when, p.to, p.split, p.weights) for p in self.pools],
            "owner": self.owner,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]

    def dimension(self, name: str) -> VirtualDimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def owner_dimension(self) -> str | None:
        """The owner dimension: as declared, else the first virtual dimension, else none."""
        if self.owner:
            return self.owner
        return self.dimensions[0].dimension if self.dimensions else None

    def canonical_keys(self) -> list[str]:
        return [key for key, _ in self.key_aliases]

    def alias_of(self, key: str) -> str | None:
        """The canonical key a raw key is renamed to, or None when it is kept as it is."""
        for canonical, aliases in self.key_aliases:
            if key.lower() in {a.lower() for a in (canonical, *aliases)}:
                return canonical
        return None

    def canonical_value(self, key: str, value: str) -> str:
        """The canonical spelling of `value` of canonical tag `key` under the value aliases."""
        for tag, values in self.value_aliases:
            if tag == key:
                for canonical, aliases in values:
                    if value.lower() in {a.lower() for a in (canonical, *aliases)}:
                        return canonical
        return value

    def referenced(self) -> list[str]:
        """Every dimension the conditions and pool targets name, in order of appearance."""
        names: list[str] = []
        for conditions in [r.when for d in self.dimensions for r in d.rules] + [p.when for p in self.pools]:
            names += [dim for dim, _ in conditions]
        names += [p.to for p in self.pools]
        return list(dict.fromkeys(names))


EMPTY = Rules()


def load_rules(path: Path | None = None) -> Rules:
    """The rules in `path` (default: `default_rules_path()`); no data/allocation.yaml means no rules,
    but a file named by FINOPS_RULES must exist (a typo must not silently drop the allocation)."""
    named = path is None and bool(os.environ.get("FINOPS_RULES"))
    path = path or default_rules_path()
    if not path.exists():
        if named:
            raise RulesError(f"{path}: no such rules file (named by FINOPS_RULES)")
        return EMPTY
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read the rules ({exc})") from exc
    return parse_rules(text, str(path))


def parse_rules(text: str, source: str = "rules") -> Rules:
    """Parse and validate; raises RulesError naming `source`, the line and the reason."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError(f"{source}, {where}: not valid YAML ({problem})") from exc
    if root is None:
        return Rules(text=text)
    return _Parser(source).rules(root, text)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, reason: str) -> RulesError:
        return RulesError(f"{self.source}, line {node.start_mark.line + 1}: {reason}")

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value)")
        seen: set[str] = set()
        for key, _ in node.value:
            name = self.text(key, f"a key of {what}")
            if name in seen:
                raise self.fail(key, f"{name!r} appears twice in {what}")
            seen.add(name)
        return list(node.value)

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and what.endswith("values"):
            return [node]  # a single value stands for a one-item list
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or not node.value.strip():
            raise self.fail(node, f"{what} must be a non-empty text")
        return str(node.value)

    def value(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return None
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a text or null")
        return str(node.value)

    def rules(self, root: yaml.Node, text: str) -> Rules:
        sections = {self.text(k, "a section"): (k, v) for k, v in self.mapping(root, "the rules")}
        for name, (key, _) in sections.items():
            if name not in _TOP_LEVEL:
                raise self.fail(key, f"unknown section {name!r}; expected one of {', '.join(_TOP_LEVEL)}")
        keys, values = self.tags(sections["tags"][1]) if "tags" in sections else ((), ())
        rules = Rules(key_aliases=keys, value_aliases=values, text=text)
        dims: list[VirtualDimension] = []
        if "dimensions" in sections:
            for key, node in self.mapping(sections["dimensions"][1], "dimensions"):
                dims.append(self.virtual(key, node, rules, dims))
        rules = Rules(key_aliases=keys, value_aliases=values, dimensions=tuple(dims), text=text)
        pools: list[SharedPool] = []
        if "shared_costs" in sections:
            for node in self.sequence(sections["shared_costs"][1], "shared_costs"):
                pool = self.pool(node, rules)
                if any(p.name == pool.name for p in pools):
                    raise self.fail(node, f"shared cost pool {pool.name!r} is defined twice")
                pools.append(pool)
        owner = None
        if "owner" in sections:
            node = sections["owner"][1]
            owner = self.dimension_name(node, self.text(node, "owner"), rules, dims)
        labels = self.labels(sections["labels"][1]) if "labels" in sections else ()
        return Rules(keys, values, tuple(dims), tuple(pools), owner, text, labels)

    def labels(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        """`labels:` dimension name -> the words shown for it; each label a non-empty text."""
        out = []
        for key, value in self.mapping(node, "labels"):
            name = self.text(key, "a key of labels")
            text = isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:str"
            if not text or not value.value.strip():
                raise self.fail(value, f"the label of {name!r} must be a non-empty text (quote it)")
            out.append((name, str(value.value).strip()))
        return tuple(out)

    def tags(self, node: yaml.Node) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple]:
        parts = {self.text(k, "a key of tags"): (k, v) for k, v in self.mapping(node, "tags")}
        for name, (key, _) in parts.items():
            if name not in ("keys", "values"):
                raise self.fail(key, f"unknown entry {name!r} under tags; expected keys or values")
        keys: list[tuple[str, tuple[str, ...]]] = []
        owner_of: dict[str, str] = {}
        if "keys" in parts:
            for key, aliases in self.mapping(parts["keys"][1], "tags.keys"):
                canonical = self.text(key, "a canonical tag key")
                names = tuple(self.text(a, "a tag key alias") for a in self.sequence(aliases, "the aliases"))
                for alias, alias_node in zip((canonical, *names), (key, *aliases.value), strict=False):
                    earlier = owner_of.get(alias.lower())
                    if earlier is not None and earlier != canonical:
                        raise self.fail(alias_node, f"tag key {alias!r} is already an alias of {earlier!r}")
                    owner_of[alias.lower()] = canonical
                keys.append((canonical, names))
        values: list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = []
        if "values" in parts:
            for key, mapping in self.mapping(parts["values"][1], "tags.values"):
                tag = self.text(key, "a tag key")
                if tag.lower() in owner_of and owner_of[tag.lower()] != tag:
                    raise self.fail(key, f"{tag!r} is an alias of {owner_of[tag.lower()]!r}; name the canonical key")
                seen: dict[str, str] = {}
                entries = []
                for value_key, aliases in self.mapping(mapping, f"tags.values.{tag}"):
                    canonical = self.text(value_key, "a canonical tag value")
                    names = tuple(self.text(a, "a tag value alias") for a in self.sequence(aliases, "the aliases"))
                    for alias in (canonical, *names):
                        if seen.get(alias.lower(), canonical) != canonical:
                            raise self.fail(value_key, f"value {alias!r} of {tag!r} maps to two canonical values")
                        seen[alias.lower()] = canonical
                    entries.append((canonical, names))
                values.append((tag, tuple(entries)))
        return tuple(keys), tuple(values)

    def dimension_name(
        self, node: yaml.Node, name: str, rules: Rules, dims: Iterable[VirtualDimension], target: bool = False
    ) -> str:
        """A dimension a condition or a pool may name: a rollup column, a tag or an earlier `alloc:`."""
        if is_tag(name):
            key = tag_key(name)
            canonical = rules.alias_of(key)
            if not key:
                raise self.fail(node, f"{name!r}: a tag dimension needs a key, as in tag:team")
            if canonical is not None and canonical != key:
                raise self.fail(node, f"{name!r}: {key!r} is an alias of {canonical!r}; write tag:{canonical}")
            return name
        if is_alloc(name):
            if any(d.name == alloc_name(name) for d in dims):
                return name
            raise self.fail(node, f"unknown dimension {name!r}: no virtual dimension of that name is defined above")
        if name in ROLLUP_DIMENSIONS:
            return name
        usable = ", ".join(ROLLUP_DIMENSIONS)
        raise self.fail(node, f"unknown dimension {name!r}; rules can use {TAG_PREFIX}<key>, alloc:<name> or {usable}")

    def conditions(self, node: yaml.Node, rules: Rules, dims: Iterable[VirtualDimension]) -> tuple[Condition, ...]:
        entries = self.mapping(node, "when")
        if not entries:
            raise self.fail(node, "`when` needs at least one condition")
        out: list[Condition] = []
        for key, values in entries:
            dimension = self.dimension_name(key, self.text(key, "a dimension"), rules, list(dims))
            accepted = tuple(self.value(v, f"a value of {dimension}") for v in self.sequence(values, "the values"))
            if not accepted:
                raise self.fail(values, f"{dimension}: list at least one value")
            out.append((dimension, accepted))
        return tuple(out)

    def fields(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        entries = {self.text(k, f"a key of {what}"): (k, v) for k, v in self.mapping(node, what)}
        for name, (key, _) in entries.items():
            if name not in allowed:
                raise self.fail(key, f"unknown entry {name!r} in {what}; expected {', '.join(allowed)}")
        return {name: value for name, (_, value) in entries.items()}

    def virtual(self, key: yaml.Node, node: yaml.Node, rules: Rules, dims: list[VirtualDimension]) -> VirtualDimension:
        name = self.text(key, "a dimension name")
        if not _NAME.match(name):
            raise self.fail(key, f"dimension name {name!r}: use letters, digits and underscores")
        entries = self.fields(node, f"dimension {name}", ("rules", "default"))
        items: list[Rule] = []
        for item in self.sequence(entries["rules"], f"{name}.rules") if "rules" in entries else []:
            parts = self.fields(item, f"a rule of {name}", ("value", "when"))
            if "value" not in parts or "when" not in parts:
                raise self.fail(item, f"a rule of {name} needs both `value` and `when`")
            value = self.text(parts["value"], "value")
            items.append(Rule(value, self.conditions(parts["when"], rules, dims), item.start_mark.line + 1))
        default = self.value(entries["default"], "default") if "default" in entries else None
        return VirtualDimension(name, tuple(items), default, key.start_mark.line + 1)

    def pool(self, node: yaml.Node, rules: Rules) -> SharedPool:
        parts = self.fields(node, "a shared cost pool", ("name", "when", "to", "split", "weights"))
        for needed in ("name", "when", "to"):
            if needed not in parts:
                raise self.fail(node, f"a shared cost pool needs `{needed}`")
        name = self.text(parts["name"], "name")
        when = self.conditions(parts["when"], rules, rules.dimensions)
        to = self.dimension_name(parts["to"], self.text(parts["to"], "to"), rules, rules.dimensions, target=True)
        if any(dim == to for dim, _ in when):
            raise self.fail(parts["to"], f"pool {name!r} moves costs to {to}, so its `when` cannot test {to}")
        split = self.text(parts["split"], "split") if "split" in parts else "proportional"
        if split not in SPLITS:
            raise self.fail(parts["split"], f"split {split!r}: expected one of {', '.join(SPLITS)}")
        weights: list[tuple[str, float]] = []
        if split == "fixed":
            if "weights" not in parts:
                raise self.fail(node, f"pool {name!r}: a fixed split needs `weights` (owner: percent, summing to 100)")
            for owner, weight in self.mapping(parts["weights"], "weights"):
                try:
                    percent = float(self.text(weight, "a weight"))
                except ValueError:
                    raise self.fail(weight, f"weight of {owner.value!r} must be a number") from None
                if not math.isfinite(percent) or not 0 < percent <= 100:
                    raise self.fail(weight, f"weight of {owner.value!r} must be a percent above 0, at most 100")
                who = self.text(owner, "an owner")
                # An owner named by an alias gets the canonical value the tags will carry.
                canonical = rules.canonical_value(tag_key(to), who) if is_tag(to) else who
                twin = next((w for w, _ in weights if w.lower() == canonical.lower()), None)
                if twin is not None:
                    raise self.fail(
                        owner, f"pool {name!r}: weights name {twin!r} and {who!r}, the same owner but for case or alias"
                    )
                weights.append((canonical, percent))
            total = sum(w for _, w in weights)
            if abs(total - 100) > 1e-9:
                # Enough digits that the message never reads "add up to 100, not 100".
                raise self.fail(parts["weights"], f"pool {name!r}: the weights add up to {total:.12g}, not 100")
        elif "weights" in parts:
            raise self.fail(parts["weights"], f"pool {name!r}: weights apply only to split: fixed")
        return SharedPool(name, when, to, split, tuple(weights), node.start_mark.line + 1)


def check_against(rules: Rules, tag_keys: Iterable[str]) -> list[str]:
    """Warnings (not errors: tags appear over time) for tag keys the rules name that the data lacks."""
    present = set(tag_keys)
    missing = [d for d in rules.referenced() if is_tag(d) and tag_key(d) not in present]
    return [f"{d}: no such tag key in the data yet, so its conditions match nothing" for d in missing]
