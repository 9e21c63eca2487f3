"""The pack's figures rounded to the cent so that every column adds up on paper: owners' totals
(with the spend that has no owner) are penny-allocated to the rounded grand total."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analytics.queries import COST, SHARED
from analytics.showback.cents import allocate_cents, cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.words import NO_OWNER, owner_label


@dataclass(frozen=True)
class OwnerRow:
    owner: str | None  # the owner dimension's value; None for the no-owner line
    label: str
    direct: Decimal
    shared: Decimal
    total: Decimal
    previous: Decimal | None
    budget: Decimal | None
    is_owner: bool

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.total - self.previous

    @property
    def change_ratio(self) -> float | None:
        if self.previous is None or self.previous == 0:
            return None
        return float((self.total - self.previous) / abs(self.previous))

    @property
    def variance(self) -> Decimal | None:
        return None if self.budget is None else self.total - self.budget


def owner_rows(data: PackData) -> list[OwnerRow]:
    """One row per owner, largest total first, then one line for the spend with no owner."""
    frame = data.owners.copy()
    none = data.is_unowned(frame[OWNER])
    owned = frame[~none].sort_values([COST, OWNER], ascending=[False, True], kind="stable")
    unowned = frame[none]
    lines: list[tuple[str | None, str, float, float, float | None, float | None, bool]] = []
    for row in owned.to_dict("records"):
        previous = None if pd.isna(row["previous"]) else float(row["previous"])
        budget = None if pd.isna(row.get("budget", float("nan"))) else float(row["budget"])
        lines.append((row[OWNER], owner_label(row[OWNER]), row[COST], row[SHARED], previous, budget, True))
    if not unowned.empty:
        previous = float(unowned["previous"].sum()) if unowned["previous"].notna().any() else None
        lines.append((None, NO_OWNER, float(unowned[COST].sum()), float(unowned[SHARED].sum()), previous, None, False))
    totals = allocate_cents([line[2] for line in lines])
    known = [i for i, line in enumerate(lines) if line[4] is not None]
    previous_cents = dict(zip(known, allocate_cents([float(lines[i][4] or 0) for i in known]), strict=True))
    rows = []
    for i, (owner, label, _, shared, _, budget, is_owner) in enumerate(lines):
        shared_cents = cents(float(shared))
        rows.append(
            OwnerRow(
                owner=owner,
                label=label,
                direct=totals[i] - shared_cents,
                shared=shared_cents,
                total=totals[i],
                previous=previous_cents.get(i) if data.previous_has_data else None,
                budget=None if budget is None else cents(budget),
                is_owner=is_owner,
            )
        )
    return rows


@dataclass(frozen=True)
class ReconRow:
    currency: str
    label: str
    source: Decimal
    direct: Decimal
    shared: Decimal
    unallocated: Decimal
    difference: Decimal  # on the exact amounts, then rounded


def recon_rows(data: PackData) -> list[ReconRow]:
    frame = data.reconciliation.rows
    rows = []
    for i, row in enumerate(frame.to_dict("records")):
        parts = allocate_cents([row["direct"], row["shared"], row["unallocated"]])
        exact = Decimal(repr(row["source"])) - sum(
            (Decimal(repr(row[k])) for k in ("direct", "shared", "unallocated")), Decimal(0)
        )
        last = i == len(frame) - 1
        label = f"All currencies, in {row['currency']} at daily rates" if last else f"Billed in {row['currency']}"
        direct, shared, unallocated = parts
        rows.append(ReconRow(row["currency"], label, cents(row["source"]), direct, shared, unallocated, cents(exact)))
    return rows
