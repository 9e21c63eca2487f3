"""The terms the provider states for each commitment, from the FOCUS 1.3 Contract Commitment dataset
when it was loaded (`ingest --dataset contract-commitment`): they replace the estimates the
inventory otherwise makes from purchase rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.engine import Engine

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

    @property
    def months(self) -> int:
        return round((self.end - self.start).days / 30.4)


# A store (or generation) written before the dataset existed has no table: then nothing is stated.
_EXISTS = """
SELECT count(*) AS n FROM information_schema.tables
WHERE table_name = 'contract_commitments' AND table_catalog = current_database()
"""

_SQL = """
SELECT ContractCommitmentId AS id, ContractCommitmentPeriodStart AS start, ContractCommitmentPeriodEnd AS "end",
       CAST(ContractCommitmentCost AS VARCHAR) AS cost, BillingCurrency AS currency,
       CAST(ContractCommitmentQuantity AS VARCHAR) AS quantity, ContractCommitmentUnit AS unit
FROM contract_commitments
"""


def contract_terms(engine: Engine) -> dict[str, ContractTerms]:
    """The stated terms by commitment id (the CommitmentDiscountId of the cost rows)."""
    if int(engine.query(_EXISTS)["n"].iloc[0]) == 0:
        return {}
    frame = engine.query(_SQL)
    return {
        str(r["id"]): ContractTerms(
            str(r["id"]),
            pd.Timestamp(r["start"]).to_pydatetime(),
            pd.Timestamp(r["end"]).to_pydatetime(),
            _decimal(r["cost"]),
            None if pd.isna(r["currency"]) else str(r["currency"]),
            _decimal(r["quantity"]),
            None if pd.isna(r["unit"]) else str(r["unit"]),
        )
        for _, r in frame.iterrows()
    }


def _decimal(text: Any) -> Decimal | None:
    # Read as text: the DECIMAL(38,12) column would otherwise arrive as a float.
    return None if text is None or pd.isna(text) else Decimal(str(text))
