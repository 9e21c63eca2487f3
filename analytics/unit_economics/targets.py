"""Target unit costs per owner, kept in a small CSV beside the other editable defaults
(data/unit_targets.csv, or `FINOPS_UNIT_TARGETS`): one row per metric, owner dimension, owner and
currency; an empty owner dimension and owner is the company's total. Edited on the Unit economics
page or by hand; written atomically so a reader never sees half a file."""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from analytics.store import DATA_DIR, first_line
from analytics.unit_economics.compute import OWNER, UNIT_COST

COLUMNS = ("metric", "owner_dimension", "owner", "target", "currency")
TARGET = "target"
GAP = "gap"
GAP_PCT = "gap_pct"
TOTAL = ""  # the owner key of the company's total, as the file writes it
MAX_TARGET = 1e12  # a unit cost above a trillion is a typo, not a target
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class TargetsError(ValueError):
    """The targets file cannot be used; the message names the line and field."""


def default_targets_path() -> Path:
    return Path(os.environ.get("FINOPS_UNIT_TARGETS") or DATA_DIR / "unit_targets.csv")


def load_targets(
    path: Path, currencies: Collection[str] | None = None, dimensions: Collection[str] | None = None
) -> pd.DataFrame:
    """Every target in the file (none when it does not exist yet). `currencies` (those of the FX table
    and the data) and `dimensions` (those of the data), when given, are the only ones accepted."""
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{path}: cannot read the file ({first_line(exc)})") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise TargetsError(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    frame = frame[list(COLUMNS)].apply(lambda c: c.str.strip())
    numbers = pd.to_numeric(frame[TARGET], errors="coerce")
    for i in frame.index:
        number = numbers[i]
        if frame.at[i, "metric"] == "":
            raise TargetsError(f"{path}: line {i + 2}, field metric: empty")
        if pd.isna(number) or not math.isfinite(number) or number < 0:
            raise TargetsError(f"{path}: line {i + 2}, field target: {frame.at[i, TARGET]!r} is not a number >= 0")
        if number > MAX_TARGET:
            raise TargetsError(f"{path}: line {i + 2}, field target: {frame.at[i, TARGET]!r} is more than 1e12")
        _check_row(path, i + 2, frame.loc[i], currencies, dimensions)
    keys = frame[["metric", "owner_dimension", "owner", "currency"]]
    dupes = keys.duplicated()
    if dupes.any():
        raise TargetsError(f"{path}: line {int(dupes.idxmax()) + 2}: a second target for the same metric and owner")
    return frame.assign(target=numbers.astype(float))


def _check_row(
    path: Path, line: int, row: pd.Series, currencies: Collection[str] | None, dimensions: Collection[str] | None
) -> None:
    currency, dimension, owner = row["currency"], row["owner_dimension"], row["owner"]
    if currency == "":
        raise TargetsError(f"{path}: line {line}, field currency: empty")
    if not _CURRENCY.match(currency):
        raise TargetsError(f"{path}: line {line}, field currency: {currency!r} is not an ISO code such as USD")
    if currencies is not None and currency not in currencies:
        known = ", ".join(sorted(currencies))
        raise TargetsError(f"{path}: line {line}, field currency: {currency!r} has no exchange rate; known: {known}")
    if (dimension == "") != (owner == ""):
        raise TargetsError(f"{path}: line {line}: owner_dimension and owner are both set or both empty (the total)")
    if dimensions is not None and dimension != "" and dimension not in dimensions:
        raise TargetsError(f"{path}: line {line}, field owner_dimension: {dimension!r} is not a dimension of the data")


def targets_for(frame: pd.DataFrame, metric: str, owner_dimension: str | None, currency: str) -> dict[str, float]:
    """owner -> target for one view; the key TOTAL ("") is the company's total (owners that are
    not set have no target: nobody answers for them)."""
    mine = frame[(frame["metric"] == metric) & (frame["currency"] == currency)]
    found: dict[str, float] = {}
    for dimension, owner, target in zip(mine["owner_dimension"], mine["owner"], mine[TARGET], strict=True):
        if dimension == "" and owner == "":
            found[TOTAL] = float(target)
        elif owner_dimension is not None and dimension == owner_dimension and owner != "":
            found[str(owner)] = float(target)
    return found


def save_targets(
    path: Path, metric: str, owner_dimension: str | None, currency: str, targets: dict[str, float]
) -> None:
    """Replace the targets of one metric, owner dimension and currency (and the company total's)."""
    frame = load_targets(path)
    mine = (frame["metric"] == metric) & (frame["currency"] == currency)
    mine &= (frame["owner_dimension"] == "") | (frame["owner_dimension"] == (owner_dimension or ""))
    rows = []
    for owner, target in targets.items():
        if not math.isfinite(float(target)) or float(target) < 0:
            raise TargetsError(f"target for {owner or 'the total'}: {target!r} is not a number >= 0")
        if owner != TOTAL and owner_dimension is None:
            raise TargetsError(f"target for {owner!r}: an owner target needs an owner dimension")
        dimension = "" if owner == TOTAL else (owner_dimension or "")
        rows.append({"metric": metric, "owner_dimension": dimension, "owner": owner, TARGET: float(target)})
    new = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "currency"]).assign(currency=currency)
    out = pd.concat([frame[~mine], new], ignore_index=True)[list(COLUMNS)]
    _write_atomically(path, out.to_csv(index=False))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def gaps(latest: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """`latest` (owner, unit_cost; owner TOTAL for the total) joined with the targets: gap = unit
    cost - target (above zero: over target), gap_pct = gap / target. No target: NaN."""
    frame = latest[[OWNER, UNIT_COST]].copy()
    frame[TARGET] = frame[OWNER].map(lambda o: math.nan if o is None or o != o else targets.get(str(o), math.nan))
    frame[GAP] = frame[UNIT_COST] - frame[TARGET]
    frame[GAP_PCT] = frame[GAP] / frame[TARGET].where(frame[TARGET] > 0)
    return frame
