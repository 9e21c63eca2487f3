"""`python -m analytics commitments`: today's coverage, utilisation and ESR, and what to buy."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from analytics.cli_common import Handler, UsageError, db_path
from analytics.commitments.demand import LOOKBACKS, load_demand
from analytics.commitments.eligible import Explanation, explain
from analytics.commitments.instruments import DEFAULT_RATES_PATH, INSTRUMENTS, PAYMENTS, RatesError, load_rates
from analytics.commitments.inventory import DEFAULT_CORRECTIONS_PATH, CorrectionsError, inventory, load_corrections
from analytics.commitments.optimise import summarise
from analytics.commitments.plan import Plan, build_plan
from analytics.commitments.today import kpis
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.store import connect

FLEXIBLE_FIRST = ("compute-sp", "azure-sp", "gcp-flex-cud")


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    cmd = commands.add_parser("commitments", parents=[common], help="commitment coverage today and what to buy")
    cmd.add_argument("--lookback", type=int, choices=LOOKBACKS, default=30, help="days of usage to size on")
    cmd.add_argument("--type", choices=list(INSTRUMENTS), default=None, help="instrument (default: a savings plan)")
    cmd.add_argument("--term", type=int, choices=(1, 3), default=1, help="years")
    cmd.add_argument("--payment", choices=PAYMENTS, default="no-upfront")
    cmd.add_argument("--discount", type=float, default=None, help="discount rate to use, e.g. 0.28 (default: data)")
    cmd.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    cmd.add_argument("--rates", type=Path, default=DEFAULT_RATES_PATH, help="default discount-rate CSV")
    cmd.add_argument("--corrections", type=Path, default=DEFAULT_CORRECTIONS_PATH, help="commitments.csv")
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    return {"commitments": _run}


def _run(args: argparse.Namespace) -> int:
    if args.discount is not None and not 0 <= args.discount < 1:
        raise UsageError(f"--discount {args.discount}: a rate at least 0 and below 1 (0.28 = 28 %)")
    fx = load_fx(DEFAULT_FX_PATH)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {DEFAULT_FX_PATH}")
    try:
        rates = load_rates(args.rates)
        corrections = load_corrections(args.corrections)
    except (RatesError, CorrectionsError) as exc:
        raise UsageError(str(exc)) from exc
    con = connect(db_path(args), read_only=True)
    try:
        engine = DuckDBEngine(con)
        demand = load_demand(engine, args.lookback, fx, args.currency)
        served = (INSTRUMENTS[args.type].providers, INSTRUMENTS[args.type].kinds) if args.type else None
        if demand is None or (served and not demand.families_of(*served).any()):
            found = explain(engine, args.lookback, fx, args.currency, served)
            if found is None:
                raise UsageError("no usage in the database: load cost exports first (python -m analytics ingest PATH)")
            return _nothing_eligible(found, args)
        today = kpis(engine, demand.start.date(), (demand.end - dt.timedelta(hours=1)).date(), fx, args.currency)
        items = inventory(engine, corrections, fx, args.currency)
    finally:
        con.close()
    kind = args.type or next(
        (k for k in FLEXIBLE_FIRST if demand.families_of(INSTRUMENTS[k].providers, INSTRUMENTS[k].kinds).any()),
        "compute-sp",
    )
    try:
        plan = build_plan(demand, kind, args.term, args.payment, rates, items, args.discount)
    except RatesError as exc:
        raise UsageError(str(exc)) from exc
    result = _result(plan, today.as_dict(), args.lookback)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        _print(result)
    return 0


def _result(plan: Plan, today: dict[str, Any], lookback: int) -> dict[str, Any]:
    best, safe = summarise(plan.now, "max"), summarise(plan.now, "conservative")
    after = summarise(plan.after, "max")
    eligible = plan.demand.families_of(plan.instrument.providers, plan.instrument.kinds)
    weights = plan.demand.total[:, eligible].sum(axis=0)
    rate = float(np.average(plan.rates["discount"], weights=weights)) if weights.sum() > 0 else None
    return {
        "eligible_usage": True,
        "coverage": today["coverage"],
        "utilization": today["utilization"],
        "esr": today["esr"],
        "esr_list": today["esr_list"],
        "unused_commitment": today["unused"],
        "type": plan.instrument.key,
        "term_years": plan.term_years,
        "payment": plan.payment,
        "currency": plan.demand.currency,
        "lookback_days": lookback,
        "hourly_data": plan.is_hourly,
        "daily_share": plan.daily_share,
        "discount_rate": rate,
        "discount_rates": plan.rates.to_dict("records"),
        "recommended_hourly_commitment": best.hourly_commitment,
        "conservative_hourly_commitment": safe.hourly_commitment,
        "estimated_monthly_savings": best.net_savings_monthly,
        "estimated_utilization": best.utilization,
        "estimated_coverage": best.coverage,
        "break_even_months": best.break_even_months,
        "upfront": best.upfront,
        "families": [
            {
                "family": r.group.name,
                **{m: r.markers[m] for m in r.markers},
                "net_savings_monthly": r.figures["max"].net_savings_monthly,
            }
            for r in plan.now
        ],
        "expiring": [
            {"id": row["id"], "name": row["name"], "estimated_end": row["estimated_end"], "end_basis": row["end_basis"]}
            for _, row in plan.expiring.iterrows()
        ],
        "coverage_after_expiry": plan.coverage_after,
        "recommended_after_expiry": after.hourly_commitment,
        "horizon_months": plan.horizon_months,
    }


def _nothing_eligible(found: Explanation, args: argparse.Namespace) -> int:
    """Usage exists but no row of it is eligible: say what was found and why, and recommend nothing."""
    label = INSTRUMENTS[args.type].label if args.type else None
    if args.json:
        result = {
            "eligible_usage": False,
            "message": found.summary(label),
            "lookback_days": args.lookback,
            "currency": found.currency,
            "window_start": found.start.isoformat(),
            "window_end": found.end.isoformat(),
            "recommended_hourly_commitment": 0.0,
            "usage_found": [f.__dict__ for f in found.findings],
        }
        print(json.dumps(result, indent=2))
        return 0
    print(f"# {found.summary(label)}; nothing to recommend. Usage found, cost in {found.currency}:")
    for f in found.findings:
        print(f"{f.provider} {f.service}: {f.rows:,} rows, {f.cost:,.2f} {found.currency}: {f.reason}")
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _print(r: dict[str, Any]) -> None:
    c = r["currency"]
    print(f"# commitments over the last {r['lookback_days']} days, money in {c} per 730-hour month")
    print(f"coverage {_pct(r['coverage'])}, utilisation {_pct(r['utilization'])}, "
          f"ESR {_pct(r['esr'])} vs contracted ({_pct(r['esr_list'])} vs list), "
          f"unused commitment {r['unused_commitment']:,.2f} {c}")  # fmt: skip
    if not r["hourly_data"]:
        print("warning: the usage is daily, not hourly: the optimum below is overestimated")
    print(f"{INSTRUMENTS[r['type']].label}, {r['term_years']} year(s), {r['payment']}, discount "
          f"{_pct(r['discount_rate'])}")  # fmt: skip
    be = r["break_even_months"]
    print(f"recommended {r['recommended_hourly_commitment']:,.2f} {c}/h (conservative "
          f"{r['conservative_hourly_commitment']:,.2f} {c}/h): saves {r['estimated_monthly_savings']:,.2f} {c}/month, "
          f"utilisation {_pct(r['estimated_utilization'])}, coverage {_pct(r['estimated_coverage'])}, "
          f"break-even {'never' if be is None else f'{be:.1f} months'}")  # fmt: skip
    for item in r["expiring"]:
        print(f"expires {str(item['estimated_end'])[:10]} ({item['end_basis']}): {item['name']}")
    if r["expiring"]:
        print(f"after those expire: coverage {_pct(r['coverage_after_expiry'])}; hold "
              f"{r['recommended_after_expiry']:,.2f} {c}/h of this instrument")  # fmt: skip
