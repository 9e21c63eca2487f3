"""Edits to the rules text that keep the user's comments and layout (ruamel.yaml round-trips
them), for the Allocation page's form and the tag hygiene assistant's one-click mappings. Every
edit returns new text; nothing is saved until it validates (see rules.parse_rules)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def _edit(text: str, change: Callable[[CommentedMap], None]) -> str:
    """Apply `change` to the rules mapping of `text`; a file of comments only keeps them on top."""
    data = _yaml().load(text) if text.strip() else None
    prefix = text if data is None and text.strip() else ""
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
    change(data)
    out = io.StringIO()
    _yaml().dump(data, out)
    return (prefix.rstrip("\n") + "\n" if prefix else "") + out.getvalue()


def _section(data: CommentedMap, *path: str) -> CommentedMap:
    node = data
    for key in path:
        if not isinstance(node.get(key), CommentedMap):
            node[key] = CommentedMap()
        node = node[key]
    return node


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _add_aliases(mapping: CommentedMap, canonical: str, aliases: list[str]) -> None:
    current = mapping.get(canonical)
    known = [str(a) for a in current] if isinstance(current, list) else []
    new = [a for a in aliases if a != canonical and a.lower() not in {k.lower() for k in known}]
    if isinstance(current, CommentedSeq):
        current.extend(new)
    else:
        mapping[canonical] = _flow(known + new)


def add_key_aliases(text: str, canonical: str, aliases: list[str]) -> str:
    """Map tag keys `aliases` onto `canonical` (moving them from another canonical key if needed)."""

    def change(data: CommentedMap) -> None:
        keys = _section(data, "tags", "keys")
        moved = {a.lower() for a in aliases}
        for other, listed in keys.items():
            if other != canonical and isinstance(listed, list):
                for alias in [a for a in listed if str(a).lower() in moved]:
                    listed.remove(alias)
        _add_aliases(keys, canonical, aliases)

    return _edit(text, change)


def add_value_aliases(text: str, key: str, canonical: str, aliases: list[str]) -> str:
    """Map values `aliases` of tag `key` onto `canonical`."""
    return _edit(text, lambda data: _add_aliases(_section(data, "tags", "values", key), canonical, aliases))


def _when(conditions: dict[str, list[str]]) -> CommentedMap:
    when = CommentedMap((dim, _flow(list(values))) for dim, values in conditions.items())
    when.fa.set_flow_style()
    return when


def add_dimension_rule(text: str, name: str, value: str, when: dict[str, list[str]], default: str | None) -> str:
    """Append a rule to virtual dimension `name` (creating it, with `default`, if it is new)."""

    def change(data: CommentedMap) -> None:
        dimension = _section(data, "dimensions", name)
        rules = dimension.get("rules")
        if not isinstance(rules, CommentedSeq):
            rules = dimension["rules"] = CommentedSeq()
        rules.append(CommentedMap([("value", value), ("when", _when(when))]))
        if default is not None and "default" not in dimension:
            dimension["default"] = default

    return _edit(text, change)


def set_pool(text: str, pool: dict[str, Any]) -> str:
    """Replace the shared-cost pool of the same name, or add it at the end."""
    entry = CommentedMap([("name", pool["name"]), ("when", _when(pool["when"])), ("to", pool["to"])])
    entry["split"] = pool["split"]
    if pool.get("weights"):
        weights = CommentedMap(pool["weights"].items())
        weights.fa.set_flow_style()
        entry["weights"] = weights

    def change(data: CommentedMap) -> None:
        pools = data.get("shared_costs")
        if not isinstance(pools, CommentedSeq):
            pools = data["shared_costs"] = CommentedSeq()
        names = [p.get("name") if isinstance(p, dict) else None for p in pools]
        if pool["name"] in names:
            pools[names.index(pool["name"])] = entry
        else:
            pools.append(entry)

    return _edit(text, change)


def remove_pool(text: str, name: str) -> str:
    def change(data: CommentedMap) -> None:
        pools = data.get("shared_costs")
        if isinstance(pools, CommentedSeq):
            for existing in [p for p in pools if isinstance(p, dict) and p.get("name") == name]:
                pools.remove(existing)

    return _edit(text, change)
