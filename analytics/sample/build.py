"""The build: plan the company, load it provider-month by provider-month, then budgets and metadata."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analytics.allocation.coverage import unowned_values
from analytics.allocation.refresh import refresh
from analytics.allocation.rules import Rules
from analytics.engine import Connection, DuckDBEngine, EngineError
from analytics.queries import virtual_dimensions
from analytics.sample.company import DEFAULT_ROWS, PROVIDER_INDEX, PROVIDERS
from analytics.sample.load import load_chunk, register_plan, unregister_plan
from analytics.sample.plan import Plan, make_plan
from analytics.sample.tables import budget_frame, business_frame, monthly_usd, owner_budget_frame, owner_monthly_usd
from analytics.sample.usage import Arrays, Chunk
from analytics.sample.window import make_window
from analytics.store import delete_sample, set_meta, transaction

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SampleSummary:
    rows: int
    months: int
    as_of: dt.date
    seed: int
    seconds: float


def remove_sample(con: Connection) -> None:
    """Drop every earlier sample row and the tables only the sample fills, all or nothing."""
    with transaction(con):
        delete_sample(con)


def _chunks(plan: Plan) -> list[Chunk]:
    window = plan.window
    out = []
    for m, (start, end) in enumerate(window.periods):
        h0, h1 = window.hour(max(start, window.start)), window.hour(min(end, window.end))
        for provider in PROVIDERS:
            rng = np.random.default_rng([plan.seed, PROVIDER_INDEX[provider.key], m, 5])
            out.append(Chunk(provider, m, h0, h1, rng))
    return out


def _anomaly_meta(plan: Plan, extra: np.ndarray) -> str:
    items = []
    for i, a in enumerate(plan.anomalies):
        provider = PROVIDERS[PROVIDER_INDEX[a.spec.provider]]
        first = plan.window.start.date() + dt.timedelta(days=a.first_day)
        last = plan.window.start.date() + dt.timedelta(days=a.last_day)
        items.append(
            {
                "provider": provider.name,
                "service": a.spec.service,
                "account": a.account.name,
                "account_id": a.account.id,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "extra_cost_per_day": round(float(extra[i, a.first_day : a.last_day + 1].mean()), 2),
                "currency": provider.currency,
                "metric": "EffectiveCost",
                "factor": a.spec.factor,
                "cause": a.spec.cause,
            }
        )
    return json.dumps(items)


def build_sample(
    con: Connection,
    rows: int = DEFAULT_ROWS,
    months: int = 13,
    seed: int = 42,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> SampleSummary:
    """Replace the sample in the database with a fresh build of about `rows` line items covering
    `months` full months before as_of's month plus that month up to the day before as_of."""
    began = time.perf_counter()
    if rows < 1:
        raise ValueError("rows must be positive")
    if months < 0:
        raise ValueError("months cannot be negative")
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    say = progress or (lambda fraction, message: None)
    say(0.0, "planning the sample company")
    window = make_window(as_of, months)
    plan = make_plan(rows, window, seed)
    arrays = Arrays(plan)
    say(0.03, "removing the earlier sample")
    remove_sample(con)
    batch = f"sample-{seed}-{as_of.isoformat()}-{rows}-{time.time_ns()}"
    anomaly_extra = np.zeros((len(plan.anomalies), window.days))
    chunks = _chunks(plan)
    loaded = 0
    register_plan(con, plan)
    # Each provider-month is its own commit; checkpointing rarely (and once at the end) instead of
    # every 16 MiB of WAL makes large builds a third faster.
    threshold = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute("SET checkpoint_threshold = '256MiB'")
    try:
        for i, chunk in enumerate(chunks):
            loaded += load_chunk(con, plan, arrays, chunk, batch, rows, anomaly_extra)
            period = window.periods[chunk.period][0].strftime("%Y-%m")
            say(0.05 + 0.85 * (i + 1) / len(chunks), f"{chunk.provider.name} {period}: {loaded:,} line items")
    finally:
        unregister_plan(con)
        con.execute(f"SET checkpoint_threshold = '{threshold}'")
    say(0.92, "budgets, business metrics and metadata")
    _finish(con, plan, anomaly_extra, loaded)
    say(0.96, "applying the allocation rules")
    _owner_budgets(con, plan, refresh(con).rules)
    seconds = time.perf_counter() - began
    say(1.0, f"sample ready: {loaded:,} line items in {seconds:.1f} s")
    return SampleSummary(rows=loaded, months=months, as_of=as_of, seed=seed, seconds=seconds)


def _owner_budgets(con: Connection, plan: Plan, rules: Rules) -> None:
    """Budgets for the allocation's owner dimension too (the showback default), from its spend after
    allocation; none when the owner is not a virtual dimension or already has budgets."""
    owner = rules.owner_dimension()
    if owner is None or not owner.startswith("alloc:") or owner not in virtual_dimensions(DuckDBEngine(con)):
        return
    if con.execute("SELECT count(*) FROM budgets WHERE owner_dimension = ?", [owner]).fetchall()[0][0]:
        return
    monthly = owner_monthly_usd(con, owner)
    unowned = set(unowned_values(rules, owner))
    owners = sorted(str(o) for o in monthly["owner"].dropna().unique() if o not in unowned)
    budgets = owner_budget_frame(plan.window, monthly, owner, owners)
    with transaction(con):
        con.register("_sample_owner_budgets", budgets)
        con.execute("INSERT INTO budgets SELECT * FROM _sample_owner_budgets")
        con.unregister("_sample_owner_budgets")


def _finish(con: Connection, plan: Plan, anomaly_extra: np.ndarray, loaded: int) -> None:
    monthly = monthly_usd(con)
    first_month = plan.window.periods[0][0].date()
    first_usd = float(monthly.loc[monthly["month"] == first_month, "usd"].sum())
    budgets = budget_frame(plan.window, monthly)
    metrics = business_frame(plan.window, plan.seed, first_usd)
    with transaction(con):
        con.register("_sample_budgets", budgets)
        con.execute("INSERT INTO budgets SELECT * FROM _sample_budgets")
        con.unregister("_sample_budgets")
        con.register("_sample_metrics", metrics)
        con.execute("INSERT INTO business_metrics SELECT * FROM _sample_metrics")
        con.unregister("_sample_metrics")
        set_meta(con, "sample_as_of", plan.window.end.date().isoformat())
        set_meta(con, "sample_seed", str(plan.seed))
        set_meta(con, "sample_rows", str(loaded))
        set_meta(con, "sample_anomalies", _anomaly_meta(plan, anomaly_extra))
    with contextlib.suppress(EngineError):  # only tidies the WAL; another open transaction may refuse it
        con.execute("CHECKPOINT")
