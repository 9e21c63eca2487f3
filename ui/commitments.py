"""The Commitments page's cached analytics calls and its tables (money with its currency). The
corrections and rates files are kept by admins: only they read what is wrong with one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics.charts import money_text
from analytics.commitments import charts, today
from analytics.commitments import demand as demand_mod
from analytics.commitments import eligible as eligible_mod
from analytics.commitments import inventory as inventory_mod
from analytics.commitments.demand import LOOKBACKS
from analytics.commitments.figures import Figures
from analytics.commitments.instruments import DEFAULT_RATES_PATH, INSTRUMENTS, RatesError, RateTable, load_rates
from analytics.commitments.inventory import CorrectionsError, load_corrections
from analytics.commitments.optimise import MARKER_LABELS, Result, break_even_drop, level_figures, stress, summarise
from analytics.commitments.plan import HORIZONS_MONTHS, Plan, build_plan
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from ui import format as fmt
from ui import read_only
from ui.cache import cached_fx

# What the page needs from the analytics, so that the page imports ui only.
__all__ = ["HORIZONS_MONTHS", "INSTRUMENTS", "LOOKBACKS", "charts", "level_figures", "summarise"]


def _inventory_files() -> tuple[Path, ...]:
    return (inventory_mod.DEFAULT_CORRECTIONS_PATH,)


def _plan_files() -> tuple[Path, ...]:
    return (DEFAULT_RATES_PATH, inventory_mod.DEFAULT_CORRECTIONS_PATH)


@cached_fx(max_entries=64)
def kpis(engine: DuckDBEngine, fx: FxTable, currency: str, start: dt.date, end: dt.date) -> today.Kpis:
    return today.kpis(engine, start, end, fx, currency)


@cached_fx(max_entries=64)
def table(
    engine: DuckDBEngine, fx: FxTable, kind: str, currency: str, start: dt.date, end: dt.date, arg: str = ""
) -> pd.DataFrame:
    """kind: "time" (arg = grain), "type", or "by" (arg = dimension)."""
    if kind == "time":
        return today.over_time(engine, start, end, arg, fx, currency)
    if kind == "type":
        return today.by_type(engine, start, end, fx, currency)
    return today.breakdown(engine, start, end, arg, fx, currency)


@cached_fx(max_entries=16, files=_inventory_files)
def _inventory(engine: DuckDBEngine, fx: FxTable, currency: str) -> pd.DataFrame:
    return inventory_mod.inventory(engine, load_corrections(), fx, currency)


def inventory(currency: str) -> pd.DataFrame:
    """The commitments in the data; stops the page with the file's problem if commitments.csv is bad."""
    try:
        return _inventory(currency)
    except CorrectionsError as exc:
        st.error(f"Your commitment corrections cannot be used: {_for_admins(exc)}", icon=":material/error:")
        st.stop()
        raise


def _for_admins(exc: Exception) -> str:
    """A file's problem names its path and quotes it: admins read it, others are told who fixes it."""
    return str(exc) if read_only.can_write() else "an administrator can see why on this page and fix the file."


def rates() -> RateTable:
    try:
        return load_rates()
    except RatesError as exc:
        st.error(f"The default discount rates cannot be used: {_for_admins(exc)}", icon=":material/error:")
        st.stop()
        raise


@cached_fx(max_entries=32, files=_plan_files)
def _plan(
    engine: DuckDBEngine, fx: FxTable, currency: str, lookback: int, kind: str, term: int, payment: str,
    discount: float | None, horizon: int,
) -> Plan | None:  # fmt: skip
    demand = demand_mod.load_demand(engine, lookback, fx, currency)
    if demand is None:
        return None
    items = _inventory(currency)  # the page's own cached inventory: the one query over every commitment row
    return build_plan(demand, kind, term, payment, load_rates(), items, discount, horizon)


def plan(
    currency: str, lookback: int, kind: str, term: int, payment: str, discount: float | None, horizon: int
) -> Plan | None:
    rates()  # a bad rates file stops the page with its problem, before anything is cached
    return _plan(currency, lookback, kind, term, payment, discount, horizon)


@cached_fx(max_entries=16)
def _explanation(
    engine: DuckDBEngine, fx: FxTable, currency: str, lookback: int, kind: str
) -> eligible_mod.Explanation | None:
    ins = INSTRUMENTS[kind]
    return eligible_mod.explain(engine, lookback, fx, currency, (ins.providers, ins.kinds))


def nothing_eligible(currency: str, lookback: int, kind: str) -> None:
    """Say what usage was found over the lookback and why none of it is eligible for `kind`."""
    found = _explanation(currency, lookback, kind)
    if found is None:
        st.info(f"No usage in the last {lookback} days.")
        return
    st.info(f"{found.summary(INSTRUMENTS[kind].label)}. What was found, and why it does not qualify:")
    table = pd.DataFrame(
        {
            "Provider": [f.provider for f in found.findings],
            "Service": [f.service for f in found.findings],
            "Rows": [f.rows for f in found.findings],
            f"Cost ({currency})": [money_text(f.cost, currency) for f in found.findings],
            "Why not eligible": [f.reason for f in found.findings],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def pct(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.1%}"


def figures_table(rows: dict[str, Figures], currency: str) -> pd.DataFrame:
    """One row per named level, formatted for reading (exact to the cent)."""
    out = []
    for name, f in rows.items():
        be = f.break_even_months
        out.append(
            {
                "Level": MARKER_LABELS.get(name, name),
                "Commitment /h": money_text(f.hourly_commitment, currency),
                "Per month": money_text(f.monthly_commitment, currency),
                "Upfront": money_text(f.upfront, currency),
                "Coverage": pct(f.coverage),
                "Utilisation": pct(f.utilization),
                "Waste /month": money_text(f.waste_monthly, currency),
                "Net savings /month": money_text(f.net_savings_monthly, currency),
                "Savings %": pct(f.savings_pct),
                "ESR": pct(f.esr),
                "ROI": pct(f.roi),
                "Break-even": "never" if be is None else ("no upfront" if be == 0 else f"{be:.1f} months"),
            }
        )
    return pd.DataFrame(out)


def stress_frame(result: Result, level: float, term: int, payment: str) -> tuple[pd.DataFrame, float | None]:
    """Net savings at `level` as usage is now and 10/20/30 % lower, and the break-even drop."""
    now = level_figures(result.prepared, result.window, level, term, payment)
    rows = [(0.0, now), *stress(result.group, level, term, payment)]
    frame = pd.DataFrame(
        {"drop": [d for d, _ in rows], "net_savings_monthly": [f.net_savings_monthly for _, f in rows]}
    )
    return frame, break_even_drop(result.group, level)


def inventory_table(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    shown = pd.DataFrame(
        {
            "Commitment": frame["name"].fillna(frame["id"]),
            "Type": frame["type"],
            "Provider": frame["provider"],
            "Account": frame["account"],
            f"Per hour ({currency})": frame["hourly_commitment"].round(2),
            "Realised discount": frame["realized_discount"].map(pct),
            "Utilisation": frame["utilization"].map(pct),
            f"Unused ({currency})": frame["unused_cost"].round(2),
            "Unused hours": frame["unused_hours"].round(0),
            "First seen": pd.to_datetime(frame["first_seen"]).dt.date,
            "Last seen": pd.to_datetime(frame["last_seen"]).dt.date,
            "Start": pd.to_datetime(frame["start"]).dt.date,
            "Term (months)": frame["term_months"],
            "Estimated end": pd.to_datetime(frame["estimated_end"]).dt.date,
            "End from": frame["end_basis"],
            "Terms from": frame["terms_from"],
            "Committed (contract)": [_stated(r) for r in frame.to_dict("records")],
            "Id": frame["id"],
        }
    )
    return shown


def _stated(row: dict[Any, Any]) -> str:
    """The amount the Contract Commitment dataset states, in its own currency or unit ("" if none)."""
    cost, quantity = row.get("contract_cost"), row.get("contract_quantity")
    parts = []
    if isinstance(cost, Decimal):
        parts.append(money_text(float(cost), str(row.get("contract_currency") or "")))
    if isinstance(quantity, Decimal):
        parts.append(f"{quantity.normalize():,f} {row.get('contract_unit') or ''}".strip())
    return "; ".join(parts)


def md_money(amount: float, currency: str) -> str:
    """Money inside Markdown: a bare `$` would start a formula."""
    return money_text(amount, currency).replace("$", "\\$")


def tiles(k: today.Kpis) -> None:
    cur = k.currency
    cols = st.columns(5)
    cols[0].metric(
        "Coverage", pct(k.coverage), help="On-demand-equivalent cost of eligible usage that commitments covered"
    )
    cols[1].metric("Utilisation", pct(k.utilization), help="Share of the amortised commitment that usage consumed")
    cols[2].metric(
        "ESR vs contracted",
        pct(k.esr),
        help="Savings on eligible usage against negotiated on-demand prices, unused commitment included",
    )
    cols[3].metric("ESR vs list", pct(k.esr_list), help="The same against list prices: negotiated discounts count too")
    cols[4].metric(
        "Unused commitment",
        money_text(k.unused, cur, compact=True),
        help="Amortised cost of commitment that nothing used (waste)",
    )
    if k.unconverted_rows:
        st.warning(f"{k.unconverted_rows:,} rows have no exchange rate to {cur} for their day and are left out.")


def today_section(cur: str, start: dt.date, end: dt.date) -> None:
    days = (end - start).days
    grain = "day" if days <= 45 else ("week" if days <= 180 else "month")
    trend = table("time", cur, start, end, grain)
    if trend.empty:
        st.info("No commitment-eligible usage in these dates. Widen the date range.")
        return
    st.altair_chart(charts.coverage_over_time(trend), width="stretch", theme=None)
    options = ["ProviderName", "SubAccountName", "BillingAccountName", "RegionId", "type"]
    labels = {"type": "Commitment type (line items)"}
    by = st.selectbox(
        "Break down by", options, format_func=lambda o: labels.get(o) or fmt.label(o), key="commitments_by"
    )
    frame = table("type", cur, start, end) if by == "type" else table("by", cur, start, end, by)
    shown, config = _readable(frame, cur)
    fmt.table(shown, config)
    if by == "SubAccountName":
        st.caption("Utilisation per account is that of the commitments bought in that account.")
    st.subheader("Commitments in the data", anchor=False)
    show_inventory(inventory_table(inventory(cur), cur), cur)
    fix = (
        "correct them in `data/commitments.csv` (commitment_id, term_months, start, end, note)"
        if read_only.can_write()
        else "an administrator corrects them"
    )
    st.caption(
        "Unused hours: the unused cost in hours of the whole commitment. Terms and ends are estimated from the "
        f"purchase rows or the name; {fix}."
    )


def daily_warning(p: Plan) -> None:
    if not p.is_hourly:
        st.warning(
            f"{p.daily_share:.0%} of this usage comes in daily rows, spread evenly over their hours: "
            "the troughs inside a day are hidden, so the optimum below is **overestimated**. Hourly exports give "
            "an honest answer.",
            icon=":material/warning:",
        )


def family_choice(p: Plan) -> int:
    """The group to chart: the only one, or the user's pick (default the one that saves most)."""
    names = [r.group.name for r in p.now]
    if len(names) == 1:
        return 0
    best = max(range(len(names)), key=lambda i: p.now[i].figures["max"].net_savings_monthly)
    return int(
        st.selectbox("Family", range(len(names)), index=best, format_func=names.__getitem__, key="commitments_family")
    )


_SHARES = {"coverage": "Coverage", "utilization": "Utilisation", "esr": "ESR vs contracted", "esr_list": "ESR vs list"}
_MONEY = {
    "eligible_ode": "Eligible usage (ODE)",
    "covered_ode": "Covered (ODE)",
    "commitment_cost": "Commitment cost",
    "unused": "Unused",
    "savings": "Savings",
}


def _readable(frame: pd.DataFrame, cur: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Column names in words, shares as percentages, money to the cent with its currency."""
    names = {
        **_SHARES,
        **{k: f"{v} ({cur})" for k, v in _MONEY.items()},
        "provider": "Provider",
        "type": "Type",
        "commitments": "Commitments",
    }
    shown = frame.drop(columns=[c for c in ("unconverted_rows",) if c in frame]).rename(columns=names)
    shown = fmt.as_percent(shown, _SHARES.values())
    config: dict[str, Any] = {v: fmt.percent(v) for v in _SHARES.values()}
    config |= {f"{v} ({cur})": fmt.money(v, cur) for v in _MONEY.values()}
    return shown, config


def show_inventory(table: pd.DataFrame, cur: str) -> None:
    """The commitments table, its amounts and hours written the house way."""
    config = {
        f"Per hour ({cur})": fmt.money("Per hour", cur),
        f"Unused ({cur})": fmt.money("Unused", cur),
        "Unused hours": fmt.count("Unused hours"),
    }
    fmt.table(table, config)


def show_rates(rates: pd.DataFrame) -> None:
    """The discount rates used, as percentages."""
    fmt.table(fmt.as_percent(rates, ["discount"]), {"discount": fmt.percent("Discount")})
