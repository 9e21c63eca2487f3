"""The reconciliation: per billing currency, in that currency, the source total (the line items as
loaded, before allocation) against the owners' direct spend + the shared costs distributed to them +
the spend with no owner; then the same in the reporting currency. The difference must be 0.00."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analytics.engine import Engine
from analytics.fx import FxTable, converted
from analytics.queries import COST, SHARED, data_span, spend
from analytics.schema import Grain
from analytics.showback.cents import cents
from analytics.showback.request import PackRequest

OWNER = "owner"


@dataclass(frozen=True)
class Reconciliation:
    """One row per billing currency (amounts in it) and a last row in the reporting currency:
    currency, source, direct, shared, unallocated (exact amounts), and direct_cents, shared_cents,
    unallocated_cents (Decimal: the owners' lines rounded one by one, as the pack shows them)."""

    rows: pd.DataFrame
    reporting: str


def _unowned(values: pd.Series, unowned: tuple[str | None, ...]) -> pd.Series:
    return values.isna() | values.isin([v for v in unowned if v is not None])


def _parts(frame: pd.DataFrame, unowned: tuple[str | None, ...]) -> dict[str, object]:
    """The exact parts, and the parts as a pack in that currency shows them: each owner's total and
    shared rounded on its own (direct is their difference), the spend with no owner rounded once."""
    none = _unowned(frame[OWNER], unowned)
    owned = frame[~none]
    totals = sum((cents(float(v)) for v in owned[COST]), Decimal(0))
    shared = sum((cents(float(v)) for v in owned[SHARED]), Decimal(0))
    return {
        "direct": float((owned[COST] - owned[SHARED]).sum()),
        "shared": float(owned[SHARED].sum()),
        "unallocated": float(frame.loc[none, COST].sum()),
        "direct_cents": totals - shared,
        "shared_cents": shared,
        "unallocated_cents": cents(float(frame.loc[none, COST].sum())),
    }


def reconcile(
    engine: Engine,
    fx: FxTable,
    request: PackRequest,
    owner: str,
    unowned: tuple[str | None, ...],
    owners: pd.DataFrame,
) -> Reconciliation:
    """`owners`: the pack's per-owner cost and shared in the reporting currency."""
    metric = request.metric.value  # an enum member: a known column, never user text
    raw = engine.query(
        f"SELECT BillingCurrency AS currency, CAST(sum({metric}) AS DOUBLE) AS source FROM daily_costs "
        "WHERE ChargeDay BETWEEN ? AND ? GROUP BY ALL ORDER BY currency",
        [request.first, request.end],
    )
    rows = []
    for currency, source in zip(raw["currency"], raw["source"], strict=True):
        # Reporting in the billing currency itself makes every factor 1: the amounts as billed.
        result = spend(
            engine,
            fx,
            request.filters.with_values("BillingCurrency", [currency]),
            [owner],
            request.metric,
            Grain.NONE,
            str(currency),
        )
        frame = result.frame.rename(columns={owner: OWNER})
        rows.append({"currency": str(currency), "source": float(source), **_parts(frame, unowned)})
    rows.append(
        {
            "currency": request.currency,
            "source": _converted_source(engine, fx, request),
            **_parts(owners.fillna({COST: 0.0, SHARED: 0.0}), unowned),
        }
    )
    return Reconciliation(pd.DataFrame(rows), request.currency)


def _converted_source(engine: Engine, fx: FxTable, request: PackRequest) -> float:
    """The source total in the reporting currency, at each day's rate (the rate the query layer uses)."""
    span = data_span(engine)
    if span is None:
        return 0.0
    factors = fx.join_frame(request.currency, span[0], span[1])
    frame = engine.query(
        f"SELECT CAST(sum({converted(f'r.{request.metric.value}')}) AS DOUBLE) AS total "
        "FROM daily_costs r JOIN fx ON fx.currency = r.BillingCurrency AND fx.day = r.ChargeDay "
        "WHERE r.ChargeDay BETWEEN ? AND ?",
        [request.first, request.end],
        frames={"fx": factors},
    )
    value = frame["total"].iloc[0]
    return 0.0 if pd.isna(value) else float(value)
