"""The Commitments page's contract terms: each commitment of the loaded Contract Commitment dataset,
its term and amount next to what the cost rows applied to it so far, and through which column the
two were linked. Values from the data are table text, never Markdown."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import streamlit as st

from analytics.commitments import contract_progress as cp
from analytics.engine import DuckDBEngine
from analytics.formatting import money_text
from analytics.schema import CENT
from ui import format as fmt
from ui import read_only
from ui.cache import cached

LINKS = {
    cp.CONTRACT_APPLIED: "ContractApplied",
    cp.COMMITMENT_DISCOUNT_ID: "CommitmentDiscountId (no ContractApplied names it)",
    cp.NOT_LINKED: "not linked: no cost row names it",
}
APPLIED_SHARE = "Applied %"


@cached(max_entries=16)
def progress(engine: DuckDBEngine) -> pd.DataFrame:
    return cp.progress(engine)


def _money(amount: Decimal, currency: str) -> str:
    """Exact to the cent, half up, as the Data page's totals (a float would round 15.125 down)."""
    return money_text(float(amount.quantize(CENT, ROUND_HALF_UP)), currency)


def _amount(cost: Any, currency: Any, quantity: Any, unit: Any) -> str:
    parts = []
    if isinstance(cost, Decimal):
        parts.append(_money(cost, str(currency or "")))
    if isinstance(quantity, Decimal):
        parts.append(f"{quantity.normalize():,f} {unit or ''}".strip())
    return "; ".join(parts)


def _applied(row: dict[Any, Any]) -> str:
    """The commitment's own currency (or unit) first; amounts in others follow, never added to it."""
    costs: dict[str, Decimal] = row["applied_cost"]
    quantities: dict[str, Decimal] = row["applied_quantity"]
    first = [c for c in costs if c == row["currency"]] + sorted(c for c in costs if c != row["currency"])
    parts = [_money(costs[c], c) for c in first]
    parts += [f"{q.normalize():,f} {u}".strip() for u, q in sorted(quantities.items())]
    return "; ".join(parts) or "nothing yet"


def terms_table(frame: pd.DataFrame) -> pd.DataFrame:
    records = frame.to_dict("records")
    return pd.DataFrame(
        {
            "Commitment": frame["commitment_id"],
            "Contract": frame["contract_id"],
            "Category": frame["category"],
            "Type": frame["type"],
            "Start": pd.to_datetime(frame["start"]).dt.date,
            "End (exclusive)": pd.to_datetime(frame["end"]).dt.date,
            "Term (months)": frame["term_months"],
            "Committed": [
                _amount(r["committed_cost"], r["currency"], r["committed_quantity"], r["unit"]) for r in records
            ],
            "Applied so far": [_applied(r) for r in records],
            APPLIED_SHARE: frame["share"].astype(float) * 100,
            "Linked by": frame["link"].map(LINKS),
            "Description": frame["description"],
        }
    )


def section() -> None:
    """The contract terms and their progress; nothing when no Contract Commitment file is loaded."""
    frame = progress()
    if frame.empty:
        return
    st.subheader("Contract commitments", anchor=False)
    counts = frame["link"].value_counts()
    said = [f"{counts[k]:,} through {name}" for k, name in (
        (cp.CONTRACT_APPLIED, "ContractApplied"), (cp.COMMITMENT_DISCOUNT_ID, "CommitmentDiscountId"),
    ) if k in counts]  # fmt: skip
    fmt.table(terms_table(frame), {APPLIED_SHARE: fmt.percent(APPLIED_SHARE)})
    st.caption(
        "Terms from the Contract Commitment dataset. Applied so far, over all loaded data (not the sidebar's "
        "dates), in the billing currency: the sum of ContractCommitmentAppliedCost (or Quantity) over the "
        "ContractApplied elements naming the commitment, Purchase rows left out (they state a commitment's value, "
        "not progress); for a commitment no ContractApplied names (files before FOCUS 1.3), the amortised cost of "
        "the Usage rows whose CommitmentDiscountId is its id. Linked: "
        + ("; ".join(said) or "none of them, no cost row names them")
        + ". Applied % compares amounts of the commitment's own currency or unit only."
        + ("" if read_only.sees_everything() else " For your access: what your own rows applied; shared costs "
           "split onto you are not counted, as their ContractApplied states the whole cost's use.")
    )  # fmt: skip
