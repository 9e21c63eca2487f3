"""The size ladders: every known instance type with its family, vCPU, memory and normalisation
factor (data/instance_shapes.csv), and how a type named in a cost export is matched to one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analytics.store import DATA_DIR

SHAPES_PATH = DATA_DIR / "instance_shapes.csv"
COLUMNS = (
    "provider",
    "family",
    "instance_type",
    "vcpu",
    "memory_gib",
    "normalization_factor",
    "arch",
    "gpus",
    "burstable",
    "aliases",
)
PROVIDERS = ("aws", "azure", "gcp")
_AWS_TYPE = re.compile(r"\b((?:db\.|cache\.)?[a-z][a-z0-9-]*\.(?:nano|micro|small|medium|large|\d+xlarge))\b")
# Azure meters name a size as "D3 v2/DS3 v2", "F4/F4s" or "L4s Spot": the first name, without the
# purchase option, spaces as underscores, is the ARM size name after "Standard_".
_AZURE_OPTION = re.compile(r"\s+(spot|low priority)\b.*$", re.IGNORECASE)


class ShapesError(ValueError):
    """The shapes file is unusable; the message names the file, line and field."""


@dataclass(frozen=True)
class Shapes:
    """One row per instance type; `lookup` maps (provider, lower-case name or alias) to the type."""

    table: pd.DataFrame
    lookup: dict[tuple[str, str], str]

    def match(self, provider: str | None, texts: list[str | None]) -> str | None:
        """The first of `texts` (SKU details, meter, description) that names a known type."""
        if provider is None:
            return None
        for text in texts:
            if not text:
                continue
            for candidate in _candidates(provider, text):
                found = self.lookup.get((provider, candidate.lower()))
                if found is not None:
                    return found
        return None


def provider_key(provider_name: str | None) -> str | None:
    """FOCUS ProviderName -> aws | azure | gcp (None for providers without size ladders)."""
    name = (provider_name or "").lower()
    if "amazon" in name or name.startswith("aws"):
        return "aws"
    if "microsoft" in name or "azure" in name:
        return "azure"
    if "google" in name or "gcp" in name:
        return "gcp"
    return None


def _candidates(provider: str, text: str) -> list[str]:
    found: list[str] = []
    if text.lstrip().startswith("{"):
        try:
            details = json.loads(text)
        except ValueError:
            details = None
        if isinstance(details, dict):
            found += [str(details[k]) for k in ("InstanceType", "instanceType", "VMSize") if details.get(k)]
    found.append(text.strip())
    if provider == "aws":
        found += _AWS_TYPE.findall(text)
    elif provider == "azure":
        first = _AZURE_OPTION.sub("", text.split("/")[0].strip())
        name = first.replace(" ", "_")
        found += [name, f"Standard_{name}"]
    return found


@lru_cache(maxsize=4)
def load_shapes(path: Path = SHAPES_PATH) -> Shapes:
    """Read and check the shapes file (cached per path)."""
    try:
        table = pd.read_csv(path, dtype={"aliases": str}, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ShapesError(f"{path}: cannot read ({exc})") from exc
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ShapesError(f"{path}: missing column(s) {', '.join(missing)}")
    for column in ("vcpu", "memory_gib", "normalization_factor", "gpus"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | (values < 0) | ((values == 0) & (column != "gpus"))
        if bad.any():
            line = int(bad.to_numpy().argmax()) + 2
            raise ShapesError(f"{path}: line {line}, field {column}: {table[column].iloc[line - 2]!r} is not a size")
        table[column] = values.astype(float)
    bad_provider = ~table["provider"].isin(PROVIDERS)
    if bad_provider.any():
        line = int(bad_provider.to_numpy().argmax()) + 2
        raise ShapesError(f"{path}: line {line}, field provider: expected one of {', '.join(PROVIDERS)}")
    table["burstable"] = table["burstable"].astype(str).isin(["1", "true", "True"])
    dupes = table.duplicated(["provider", "instance_type"])
    if dupes.any():
        line = int(dupes.to_numpy().argmax()) + 2
        raise ShapesError(f"{path}: line {line}: instance type {table['instance_type'].iloc[line - 2]} twice")
    lookup: dict[tuple[str, str], str] = {}
    for row in table.itertuples(index=False):
        names = [str(row.instance_type), *(a for a in str(row.aliases).split("|") if a)]
        for name in names:
            lookup[(str(row.provider), name.lower())] = str(row.instance_type)
    return Shapes(table=table.reset_index(drop=True), lookup=lookup)
