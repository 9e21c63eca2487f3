"""The pack's figures to the cent. Each owner's line is its exact amounts rounded half-up on their
own, as the query layer shows them; what those lines leave between them and the source total
rounded once is one explicit Rounding line, in the Summary and the Reconciliation alike."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analytics.queries import COST, SHARED
from analytics.showback.cents import cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.words import NO_OWNER, ROUNDING, owner_label


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
    is_rounding: bool = False  # the Rounding line (see rounding_row), not spend of its own

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.total - self.previous

    @property
    def change_ratio(self) -> float | None:
        if self.previous is None or self.previous == 0 or self.is_rounding:
            return None
        return float((self.total - self.previous) / abs(self.previous))

    @property
    def variance(self) -> Decimal | None:
        return None if self.budget is None else self.total - self.budget


def owner_rows(data: PackData) -> list[OwnerRow]:
    """One row per owner, largest total first, then one line for the spend with no owner. Each line's
    total, shared and previous are its exact amounts rounded half-up on their own (what the query
    layer shows for that owner); direct is total − shared. The lines need not add up to the grand
    total rounded once: `rounding_row` says by how much."""
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
    rows = []
    for owner, label, cost, shared, previous, budget, is_owner in lines:
        total, shared_cents = cents(float(cost)), cents(float(shared))
        rows.append(
            OwnerRow(
                owner=owner,
                label=label,
                direct=total - shared_cents,
                shared=shared_cents,
                total=total,
                previous=None if previous is None or not data.previous_has_data else cents(previous),
                budget=None if budget is None else cents(budget),
                is_owner=is_owner,
            )
        )
    return rows


def rounding_row(data: PackData, rows: list[OwnerRow]) -> OwnerRow:
    """The explicit line that makes the Summary's SUM the source total rounded once (the
    Reconciliation's figure): that total less the lines rounded one by one. It is all in the direct
    column, since each owner's shared amount is itself what the Shared costs sheet distributes."""
    recon = recon_rows(data)[-1]
    previous = None
    known = data.owners["previous"].dropna()
    if data.previous_has_data and not known.empty:
        shown = sum((r.previous for r in rows if r.previous is not None), Decimal(0))
        previous = cents(float(known.sum())) - shown
    return OwnerRow(
        owner=None,
        label=ROUNDING,
        direct=recon.rounding,
        shared=Decimal("0.00"),
        total=recon.rounding,
        previous=previous,
        budget=None,
        is_owner=False,
        is_rounding=True,
    )


@dataclass(frozen=True)
class ReconRow:
    currency: str
    label: str
    source: Decimal  # rounded once
    direct: Decimal  # the next three: the sums of the lines as the Summary shows them
    shared: Decimal
    unallocated: Decimal
    rounding: Decimal  # source − the three − difference: the lines' own rounding, shown, never hidden
    difference: Decimal  # on the exact amounts, then rounded


def recon_rows(data: PackData) -> list[ReconRow]:
    """Per billing currency, then in the reporting currency from the Summary's own lines."""
    frame = data.reconciliation.rows
    summary = owner_rows(data)
    rows = []
    for i, row in enumerate(frame.to_dict("records")):
        exact = Decimal(repr(row["source"])) - sum(
            (Decimal(repr(row[k])) for k in ("direct", "shared", "unallocated")), Decimal(0)
        )
        last = i == len(frame) - 1
        label = f"All currencies, in {row['currency']} at daily rates" if last else f"Billed in {row['currency']}"
        if last:
            direct = sum((r.direct for r in summary if r.is_owner), Decimal(0))
            shared = sum((r.shared for r in summary if r.is_owner), Decimal(0))
            unallocated = sum((r.total for r in summary if not r.is_owner), Decimal(0))
        else:
            direct, shared, unallocated = row["direct_cents"], row["shared_cents"], row["unallocated_cents"]
        source, difference = cents(row["source"]), cents(exact)
        rounding = source - direct - shared - unallocated - difference
        rows.append(ReconRow(row["currency"], label, source, direct, shared, unallocated, rounding, difference))
    return rows
