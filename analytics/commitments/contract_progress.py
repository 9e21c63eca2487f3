"""Each contract commitment of the FOCUS 1.3 Contract Commitment dataset beside what the cost rows
applied to it so far: the sum of ContractCommitmentAppliedCost (and Quantity) over the ContractApplied
elements naming it, or, for a commitment no ContractApplied names (files before FOCUS 1.3), the
amortised cost of the Usage rows whose CommitmentDiscountId is its id. Amounts stay in their billing
currency, like the dataset's own, over all loaded data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from analytics.commitments.contracts import ContractTerms, contract_terms
from analytics.contract_applied import elements_sql
from analytics.engine import Engine, has_table

CONTRACT_APPLIED = "ContractApplied"
COMMITMENT_DISCOUNT_ID = "CommitmentDiscountId"
NOT_LINKED = "not linked"

# Purchase rows are left out: FOCUS's Purchase row states the commitment's whole value in its
# ContractApplied (Scenario 1 of the column's text), which is the amount, not progress towards it.
_APPLIED = """
SELECT commitment_id AS id, BillingCurrency AS currency, applied_unit AS unit,
       CAST(sum(applied_cost) AS VARCHAR) AS cost, CAST(sum(applied_quantity) AS VARCHAR) AS quantity
FROM {elements}
WHERE commitment_id IS NOT NULL AND ChargeCategory IS DISTINCT FROM 'Purchase'
GROUP BY ALL
"""


_BY_DISCOUNT_ID = """
SELECT CommitmentDiscountId AS id, BillingCurrency AS currency, CAST(sum(EffectiveCost) AS VARCHAR) AS cost
FROM line_items
WHERE ChargeCategory = 'Usage' AND list_contains(?, CommitmentDiscountId)
GROUP BY ALL
"""


@dataclass
class Applied:
    """What the cost rows applied to one contract commitment, and through which column."""

    link: str
    cost: dict[str, Decimal] = field(default_factory=dict)  # by billing currency
    quantity: dict[str, Decimal] = field(default_factory=dict)  # by unit


def applied(engine: Engine, ids: list[str]) -> dict[str, Applied]:
    """Per contract commitment id in `ids`: the applied cost and quantity, ContractApplied first,
    CommitmentDiscountId for the ids no ContractApplied element names."""
    out: dict[str, Applied] = {}
    # The elements summed per source when it was stored (analytics/store/rollup.py). A scoped reader
    # has no such table: its line items are the scope's, so their own elements are read.
    if has_table(engine, "contract_applied"):
        elements = "contract_applied"
    else:
        elements = f"({elements_sql('line_items', ('ChargeCategory', 'BillingCurrency'))})"
    for r in engine.query(_APPLIED.format(elements=elements)).to_dict("records"):
        entry = out.setdefault(str(r["id"]), Applied(CONTRACT_APPLIED))
        if r["cost"] is not None and not pd.isna(r["cost"]):
            _add(entry.cost, str(r["currency"]), Decimal(str(r["cost"])))
        if r["quantity"] is not None and not pd.isna(r["quantity"]):
            _add(entry.quantity, str(r["unit"] or ""), Decimal(str(r["quantity"])))
    rest = [i for i in ids if i not in out]
    if rest:
        for r in engine.query(_BY_DISCOUNT_ID, [rest]).to_dict("records"):
            entry = out.setdefault(str(r["id"]), Applied(COMMITMENT_DISCOUNT_ID))
            _add(entry.cost, str(r["currency"]), Decimal(str(r["cost"])))
    return {i: out.get(i, Applied(NOT_LINKED)) for i in ids}


def _add(into: dict[str, Decimal], key: str, amount: Decimal) -> None:
    into[key] = into.get(key, Decimal(0)) + amount


PROGRESS_COLUMNS = [
    "commitment_id", "contract_id", "category", "type", "description", "start", "end", "term_months",
    "committed_cost", "currency", "committed_quantity", "unit", "applied_cost", "applied_quantity", "share", "link",
]  # fmt: skip


def progress(engine: Engine) -> pd.DataFrame:
    """One row per contract commitment (PROGRESS_COLUMNS), by start: its terms, the amount applied
    so far in the commitment's own currency (or unit), and `share` = applied / committed when both
    are in the same currency (Spend) or unit (Usage)."""
    terms = contract_terms(engine)
    if not terms:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    found = applied(engine, sorted(terms))
    rows = [_row(terms[i], found[i]) for i in sorted(terms)]
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS).sort_values(["start", "commitment_id"], ignore_index=True)


def _row(deal: ContractTerms, done: Applied) -> dict[str, object]:
    cost = done.cost.get(deal.currency or "") if deal.cost is not None else None
    quantity = done.quantity.get(deal.unit or "") if deal.quantity is not None else None
    share = None
    if deal.category == "Usage" and deal.quantity and quantity is not None:
        share = float(quantity / deal.quantity)
    elif deal.cost and cost is not None:
        share = float(cost / deal.cost)
    return {
        "commitment_id": deal.commitment_id,
        "contract_id": deal.contract_id,
        "category": deal.category,
        "type": deal.type,
        "description": deal.description,
        "start": deal.start,
        "end": deal.end,
        "term_months": deal.months,
        "committed_cost": deal.cost,
        "currency": deal.currency,
        "committed_quantity": deal.quantity,
        "unit": deal.unit,
        # Applied amounts in another currency or unit than the commitment's are kept apart, not added.
        "applied_cost": dict(done.cost),
        "applied_quantity": dict(done.quantity),
        "share": share,
        "link": done.link,
    }
