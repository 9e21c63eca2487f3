"""`python -m analytics forecast`: the daily forecast, month/quarter totals and backtest scores."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analytics.allocation.cli import RULES_HELP, open_allocated
from analytics.cli_common import Handler, UsageError, db_path, to_cent
from analytics.engine import DuckDBEngine
from analytics.forecast.run import DEFAULT_HORIZON, Forecast, NoHistory, forecast
from analytics.forecast.totals import PeriodTotal
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.schema import Filters

MAX_HORIZON = 366


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:
    parser = commands.add_parser("forecast", parents=[common], help="forecast daily spend with backtest scores")
    parser.add_argument("--horizon-days", type=int, default=DEFAULT_HORIZON, help=f"days ahead (1-{MAX_HORIZON})")
    parser.add_argument(
        "--where", action="append", default=[], metavar="DIM=VALUE", help="repeatable; forecast only this scope"
    )
    parser.add_argument("--currency", default="USD", help="reporting currency (must be in the FX table)")
    parser.add_argument("--fx", type=Path, default=DEFAULT_FX_PATH, help="exchange-rate CSV")
    parser.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return {"forecast": _forecast}


def where(items: list[str]) -> dict[str, list[str | None]]:
    """`DIM=VALUE` items (values of one dimension OR-ed, an empty VALUE meaning not set)."""
    out: dict[str, list[str | None]] = {}
    for item in items:
        dimension, sep, value = item.partition("=")
        if not sep or not dimension.strip():
            raise UsageError(f"--where {item!r}: expected DIM=VALUE")
        out.setdefault(dimension.strip(), []).append(value if value != "" else None)
    return out


def _forecast(args: argparse.Namespace) -> int:
    if not 1 <= args.horizon_days <= MAX_HORIZON:
        raise UsageError(f"--horizon-days {args.horizon_days}: expected 1 to {MAX_HORIZON}")
    fx = load_fx(args.fx)
    if args.currency not in fx.currencies():
        raise UsageError(f"--currency {args.currency}: no rates in {args.fx}; known: {', '.join(fx.currencies())}")
    con = open_allocated(db_path(args), args.rules)  # tags as the allocation rules normalise them
    try:
        result = forecast(DuckDBEngine(con), fx, Filters.of(where=where(args.where)), args.currency, args.horizon_days)
    except NoHistory as exc:
        raise UsageError(str(exc)) from exc
    finally:
        con.close()
    payload = to_json(result)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        _print_text(result)
    return 0


def _q(p10: float, p50: float, p90: float) -> dict[str, float]:
    return {"p10": to_cent(p10), "p50": to_cent(p50), "p90": to_cent(p90)}


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def to_json(result: Forecast) -> dict[str, object]:
    """The CLI's JSON: money to the cent, ratios to 4 decimals, dates as YYYY-MM-DD."""
    daily = result.daily.iloc[: result.horizon_days]
    scores = result.backtest

    def total(t: PeriodTotal) -> dict[str, object]:
        return {**t.as_dict(), **_q(t.p10, t.p50, t.p90), "to_date": to_cent(t.to_date)}

    return {
        "currency": result.currency,
        "metric": "EffectiveCost, without Purchase, Tax and Credit charges",
        "method": result.method,
        "note": result.note,
        "last_day": result.last_day.isoformat(),
        "month_end": total(result.month_end),
        "quarter_end": total(result.quarter_end),
        "excluded_this_month": {k: to_cent(v) for k, v in result.excluded_to_date(result.month_end.start).items()},
        "daily": [
            {"date": day.isoformat(), **_q(p10, p50, p90)}
            for day, p10, p50, p90 in zip(daily["date"], daily["p10"], daily["p50"], daily["p90"], strict=True)
        ],
        "backtest": {
            "folds": scores.folds,
            "days": scores.days,
            "wape": _ratio(scores.wape),
            "mape": _ratio(scores.mape),
            "coverage_80": _ratio(scores.coverage_80),
            "naive_wape": _ratio(scores.naive_wape),
        },
        "months": [
            {
                "month": m.month.isoformat(),
                "forecast": to_cent(m.forecast),
                "actual": to_cent(m.actual),
                "variance": _ratio(m.variance),
            }
            for m in result.months
        ],
    }


def _print_text(result: Forecast) -> None:
    c = result.currency
    print(f"# {result.method}; EffectiveCost in {c} without purchases, tax and credits; data to {result.last_day}")
    if result.note:
        print(f"note: {result.note}")
    for label, t in (("month end", result.month_end), ("quarter end", result.quarter_end)):
        print(f"{label} {t.end}: {to_cent(t.p50):,.2f} {c} (80%: {to_cent(t.p10):,.2f} to {to_cent(t.p90):,.2f})")
    s = result.backtest
    if s.wape is not None and s.naive_wape is not None and s.coverage_80 is not None:
        print(
            f"backtest ({s.folds} folds, {s.days} days): WAPE {s.wape:.1%} vs naive same-weekday "
            f"{s.naive_wape:.1%}; 80% interval covered {s.coverage_80:.0%} of days"
        )
    daily = result.daily.iloc[: result.horizon_days]
    for day, p10, p50, p90 in zip(daily["date"], daily["p10"], daily["p50"], daily["p90"], strict=True):
        print(f"{day}  {to_cent(p50):>12,.2f}  [{to_cent(p10):,.2f} - {to_cent(p90):,.2f}]")
