"""What every commitment query shares: the on-demand-equivalent (ODE) cost of a row, and the join
of each row's billing currency to that day's factor (the amounts go through analytics.fx.converted)."""

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
    return table.join_frame(currency, first, last)


def fx_join(day: str) -> str:
    """Rows whose currency has no rate that day get a NULL factor: they drop out of every sum, and
    the queries count them as `unconverted_rows` so the page can say so."""
    return f"LEFT JOIN fx ON fx.currency = r.BillingCurrency AND fx.day = {day}"
