"""The terms the provider states for each commitment, from the FOCUS 1.3 Contract Commitment dataset
when it was loaded (`ingest --dataset contract-commitment`): they replace the estimates the
inventory otherwise makes from purchase rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.engine import Engine, has_table

BASIS = "contract dataset"


@dataclass(frozen=True)
class ContractTerms:
    commitment_id: str
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive
    cost: Decimal | None  # in `currency`
    currency: str | None
    quantity: Decimal | None  # in `unit`
    unit: str | None
    contract_id: str | None = None
    category: str | None = None  # Spend or Usage
    type: str | None = None  # the provider's own name for the kind of commitment
    description: str | None = None

    @property
    def months(self) -> int:
        return round((self.end - self.start).days / 30.4)


_SQL = """
SELECT ContractCommitmentId AS id, ContractCommitmentPeriodStart AS start, ContractCommitmentPeriodEnd AS "end",
       CAST(ContractCommitmentCost AS VARCHAR) AS cost, BillingCurrency AS currency,
       CAST(ContractCommitmentQuantity AS VARCHAR) AS quantity, ContractCommitmentUnit AS unit,
       ContractId AS contract, ContractCommitmentCategory AS category, ContractCommitmentType AS type,
       ContractCommitmentDescription AS description
FROM contract_commitments
"""


def contract_terms(engine: Engine) -> dict[str, ContractTerms]:
    """The stated terms by commitment id (the CommitmentDiscountId of the cost rows)."""
    if not has_table(engine, "contract_commitments"):
        return {}
    frame = engine.query(_SQL)
    return {
        str(r["id"]): ContractTerms(
            str(r["id"]),
            pd.Timestamp(r["start"]).to_pydatetime(),
            pd.Timestamp(r["end"]).to_pydatetime(),
            _decimal(r["cost"]),
            _text(r["currency"]),
            _decimal(r["quantity"]),
            _text(r["unit"]),
            _text(r["contract"]),
            _text(r["category"]),
            _text(r["type"]),
            _text(r["description"]),
        )
        for _, r in frame.iterrows()
    }


def _decimal(text: Any) -> Decimal | None:
    # Read as text: the DECIMAL(38,12) column would otherwise arrive as a float.
    return None if text is None or pd.isna(text) else Decimal(str(text))


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
