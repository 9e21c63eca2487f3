"""The tables next to the line items: hourly VM utilisation, team budgets and daily business metrics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.engine import Connection
from analytics.sample.company import TEAMS
from analytics.sample.plan import Plan
from analytics.sample.resources import UTIL_IDLE, UTIL_OVER, UTILIZATION_DAYS
from analytics.sample.usage import Arrays
from analytics.sample.window import ONE_HOUR, Window, add_months
from analytics.store import SAMPLE_FORMAT

UTIL_SERIES = tuple((metric, stat) for metric in ("cpu_pct", "mem_pct") for stat in ("avg", "max", "p95"))


def utilization_table(
    plan: Plan, arrays: Arrays, rid: np.ndarray, hour: np.ndarray, rng: np.random.Generator
) -> pa.Table | None:
    """Hourly CPU and memory (avg, max, p95 in %) for every VM-hour of the last UTILIZATION_DAYS."""
    sel = (arrays.util_kind[rid] >= 0) & (hour >= plan.window.hours - UTILIZATION_DAYS * 24)
    if not sel.any():
        return None
    r, h = rid[sel], hour[sel]
    n = len(r)
    kind = arrays.util_kind[r]
    idle, over = kind == UTIL_IDLE, kind == UTIL_OVER
    weekend = (plan.window.start.weekday() + h // 24) % 7 >= 5
    daily = 1 + 0.35 * np.sin(2 * np.pi * ((h % 24) - 8) / 24)
    shape = np.where(idle, 1.0, daily * np.where(weekend, 0.8, 1.0))
    cpu = np.clip(arrays.cpu_base[r] * shape * rng.lognormal(0, 0.12, n), 0.05, 97)
    cpu_max = np.minimum(cpu * rng.uniform(1.3, 2.0, n) + rng.uniform(1, 8, n), 100)
    cpu_max = np.where(over, np.minimum(cpu_max, 30), cpu_max)
    cpu = np.where(idle, np.minimum(cpu, 0.6), cpu)
    cpu_max = np.where(idle, np.minimum(cpu * 1.6, 0.95), cpu_max)
    mem = np.clip(arrays.mem_base[r] + rng.normal(0, 1.5, n), 1, 97)
    mem_max = np.minimum(mem + rng.uniform(0.5, 5, n), 100)
    values = [cpu, cpu_max, cpu + 0.7 * (cpu_max - cpu), mem, mem_max, mem + 0.7 * (mem_max - mem)]
    stamp = np.datetime64(plan.window.start, "us") + h * ONE_HOUR
    return pa.table(
        {
            "rid": np.tile(r, len(values)).astype(np.int32),
            "timestamp": np.tile(stamp, len(values)),
            "series": np.repeat(np.arange(len(values), dtype=np.int8), n),
            "value": np.round(np.concatenate(values), 2),
        }
    )


EUR_USD = 1.08  # only to set the USD budgets of EUR spend; the app's FX table is the real source
# Their budgets are planned below their trend, so the budget page has someone heading over.
OVER_BUDGET_TEAMS: tuple[str, ...] = ("ml", "search")
BUDGET_GROWTH = 0.02  # what finance planned
TEAM_OF_TAGS = "coalesce(json_extract_string(Tags, '$.team'), json_extract_string(Tags, '$.Team'))"


def monthly_usd(con: Connection) -> pd.DataFrame:
    """EffectiveCost per team (NULL for untagged) and month of the sample, in USD."""
    frame = con.execute(
        f"""
        SELECT team, month, sum(usd) AS usd FROM (
            SELECT {TEAM_OF_TAGS} AS team, CAST(date_trunc('month', ChargePeriodStart) AS DATE) AS month,
                   CAST(EffectiveCost AS DOUBLE) * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END AS usd
            FROM line_items WHERE x_SourceFormat = ?
        ) GROUP BY team, month
        """,
        [EUR_USD, SAMPLE_FORMAT],
    ).df()
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.date)


def budget_frame(window: Window, monthly: pd.DataFrame) -> pd.DataFrame:
    """A budget per team for every month covered and the next three: last full month's spend on a
    2% monthly plan, with headroom, except OVER_BUDGET_TEAMS, planned below their trend."""
    return _planned(window, monthly.rename(columns={"team": "owner"}), "tag:team", TEAMS, OVER_BUDGET_TEAMS)


def owner_monthly_usd(con: Connection, dimension: str) -> pd.DataFrame:
    """EffectiveCost per value of an applied `alloc:` dimension (after allocation) and month, in USD.
    `dimension` must be a column of alloc_costs (the caller takes it from the applied rules)."""
    column = '"' + dimension.replace('"', '""') + '"'
    frame = con.execute(
        f"""
        SELECT {column} AS owner, CAST(date_trunc('month', ChargeDay) AS DATE) AS month,
               sum(CAST(EffectiveCost AS DOUBLE) * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END) AS usd
        FROM alloc_costs GROUP BY ALL
        """,
        [EUR_USD],
    ).df()
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.date)


def owner_budget_frame(window: Window, monthly: pd.DataFrame, dimension: str, owners: list[str]) -> pd.DataFrame:
    """Budgets for the allocation's owner dimension (the showback default), planned as the teams'
    are: so that packs and the Showback page have a budget to compare with out of the box."""
    return _planned(window, monthly, dimension, tuple(owners), ())


def _planned(
    window: Window, monthly: pd.DataFrame, dimension: str, owners: tuple[str, ...], over: tuple[str, ...]
) -> pd.DataFrame:
    months = [start.date() for start, _ in window.periods]
    months += [add_months(months[-1], k) for k in (1, 2, 3)]
    full = [start.date() for start, end in window.periods if end <= window.end]
    anchor = full[-1] if full else months[0]
    stretch = 1.0 if full else (window.periods[-1][1] - window.periods[-1][0]).days / max(window.days, 1)
    rows = []
    for owner in owners:
        costs = monthly[monthly["owner"] == owner].set_index("month")["usd"]
        base = float(costs.get(anchor, 0.0)) * stretch or float(costs.max() if len(costs) else 0.0) or 1000.0
        factor = 0.93 if owner in over else 1.12
        k_anchor = months.index(anchor)
        for k, month in enumerate(months):
            amount = base * (1 + BUDGET_GROWTH) ** (k - k_anchor) * factor
            rows.append((dimension, owner, month, round(amount, -1 if amount < 10_000 else -2), "USD"))
    return pd.DataFrame(rows, columns=["owner_dimension", "owner", "month", "amount", "currency"])


def business_frame(window: Window, seed: int, first_month_usd: float) -> pd.DataFrame:
    """Daily orders and active users: growing faster than cost, weekend peaks, holiday season."""
    rng = np.random.default_rng([seed, 9])
    days = np.arange(window.days)
    dates = [window.start.date() + dt.timedelta(days=int(d)) for d in days]
    months = days / 30.44
    weekday = (window.start.weekday() + days) % 7
    weekly = np.array([0.95, 0.93, 0.95, 0.98, 1.05, 1.12, 1.10])[weekday]
    season = np.array([_season(d) for d in dates])
    cost_per_order = 0.30
    orders_base = max(first_month_usd / 30.44 / cost_per_order, 100.0)
    orders = orders_base * 1.035**months * weekly * season * rng.lognormal(0, 0.04, len(days))
    users = orders_base * 14 * 1.015**months * np.sqrt(weekly) * np.sqrt(season) * rng.lognormal(0, 0.02, len(days))
    frame = pd.DataFrame(
        {
            "date": dates * 2,
            "metric": ["orders"] * len(days) + ["active_users"] * len(days),
            "value": np.round(np.concatenate([orders, users])),
        }
    )
    frame["dimension"] = None
    frame["owner"] = None
    return frame


def _season(day: dt.date) -> float:
    """Retail calendar: Black Friday weekend and Cyber Monday, December rush, January lull."""
    november = dt.date(day.year, 11, 1)
    thanksgiving = november + dt.timedelta(days=(3 - november.weekday()) % 7 + 21)
    peak = {1: 2.6, 2: 1.8, 3: 1.5, 4: 2.1}.get((day - thanksgiving).days)
    if peak:
        return peak
    if day.month == 12:
        return 0.8 if 24 <= day.day <= 26 else 1.15 if day.day <= 20 else 1.0
    return 0.9 if day.month == 1 and day.day <= 15 else 1.0
