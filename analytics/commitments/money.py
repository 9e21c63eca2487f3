"""What every commitment query shares: the on-demand-equivalent (ODE) cost of a row, and the
conversion of each row's billing currency into the reporting currency at that day's rate."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.fx import FxTable, load_fx


def ode(alias: str = "r") -> str:
    """ContractedCost (negotiated price) first, as AWS and Azure recommenders do (algorithms.md §0.2);
    then ListCost. Deviation: when an export has neither (the FOCUS spec's own examples), the
    EffectiveCost stands in, so coverage is measured in amortised money rather than left undefined."""
    return f"COALESCE(NULLIF({alias}.ContractedCost, 0), NULLIF({alias}.ListCost, 0), {alias}.EffectiveCost)"


def list_cost(alias: str = "r") -> str:
    """ListCost, else the ODE above: the "vs list" ESR includes negotiated discounts when it can."""
    return f"COALESCE(NULLIF({alias}.ListCost, 0), {ode(alias)})"


def fx_frame(fx: FxTable | None, currency: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Daily factors (currency, day, factor) for the join `fx` that every query here makes."""
    table = fx if fx is not None else load_fx()
    return table.daily_factors(currency, first, last)[["currency", "day", "factor"]]


def fx_join(day: str) -> str:
    """Rows whose currency has no rate that day get a NULL factor: they drop out of every sum, and
    the queries count them as `unconverted_rows` so the page can say so."""
    return f"LEFT JOIN fx ON fx.currency = r.BillingCurrency AND fx.day = {day}"


def converted(amount: str) -> str:
    """An amount in the reporting currency; DECIMAL like the spend queries (the factor cut to 9
    decimals, far below a cent on any total)."""
    return f"({amount}) * CAST(fx.factor AS DECIMAL(18, 9))"
