"""The figures of a pack, gathered through the query layer (so they are the data after allocation,
exactly as every page shows it): per owner direct and shared cost, the previous period, budgets,
services, resources, daily trend, tag coverage, shared-cost pools, and the reconciliation inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from analytics.allocation.apply import SHARED_POOL
from analytics.allocation.coverage import applied_rules, unowned_values
from analytics.allocation.rules import SharedPool
from analytics.engine import Engine, Params
from analytics.fx import FxTable
from analytics.queries import COST, PERIOD, SHARED, SpendResult, check_dimension, data_span, spend, tag_keys
from analytics.schema import Filters, Grain
from analytics.showback.fingerprint import fingerprint, source_totals
from analytics.showback.reconcile import Reconciliation, reconcile
from analytics.showback.request import PackRequest
from analytics.unit_economics.metrics import catalog
from analytics.unit_economics.metrics import values as metric_values

TOP_RESOURCES = 25  # per owner; the rest of an owner's spend is one "all other resources" line
OWNER = "owner"
Progress = Callable[[float, str], None]


class ShowbackError(ValueError):
    """A pack that cannot be produced honestly (no data for the months, spend without an FX rate)."""


@dataclass(frozen=True)
class PackData:
    """Amounts are exact (not yet rounded) in the reporting currency. `owner` columns hold the
    owner dimension's value (None: not set); `unowned` are the values meaning "no owner"."""

    request: PackRequest
    rules_fingerprint: str
    pools: tuple[SharedPool, ...]
    unowned: tuple[str | None, ...]
    owners: pd.DataFrame  # owner, cost, shared, previous, budget (NaN: none), budget_months
    by_service: pd.DataFrame  # owner, ServiceName, cost, shared
    by_source: pd.DataFrame  # owner, source (file), cost, shared: each owner's part of each source
    daily: pd.DataFrame  # owner, day, cost
    resources: pd.DataFrame  # owner, ResourceId, ResourceName, cost (top per owner + the rest)
    coverage: pd.DataFrame  # owner, key, tagged, total
    shared: pd.DataFrame  # pool, owner, received
    pool_totals: pd.DataFrame  # pool, total, distributed
    reconciliation: Reconciliation
    sources: pd.DataFrame  # see fingerprint.source_totals
    rates: pd.DataFrame  # FX rates used: currency, rate_date, per_unit (reporting currency per unit)
    data_span: tuple[dt.date, dt.date]  # first and last day with charges inside the months
    previous_has_data: bool
    unit_values: pd.DataFrame  # owner, metric, value: business metrics per owner (NaN: a day has none)

    @property
    def data_fingerprint(self) -> str:
        return fingerprint(self.sources)

    def is_unowned(self, values: pd.Series) -> pd.Series:
        known = [v for v in self.unowned if v is not None]
        return values.isna() | values.isin(known)


def _checked(result: SpendResult) -> pd.DataFrame:
    if not result.unconverted.empty:
        row = result.unconverted.iloc[0]
        raise ShowbackError(
            f"{float(row['amount']):,.2f} {row['currency']} on {int(row['rows']):,} rows has no {result.currency} "
            "rate in the exchange-rate table; add rates for it (data/fx_rates.csv) so the pack covers all spend"
        )
    frame = result.frame.rename(columns={result.frame.columns[0]: OWNER})
    return frame.astype({OWNER: object})


class _Once:
    """The engine, answering a repeated statement without frames from memory: every `spend` call
    checks its dimensions and reads the data's span again, and a pack makes a dozen of them. One
    gather reads one snapshot, so an answer cannot change within it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.answers: dict[tuple[str, str], pd.DataFrame] = {}

    def query(self, sql: str, params: Params = (), frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        if frames:
            return self.engine.query(sql, params, frames)
        key = (sql, repr(params))
        if key not in self.answers:
            self.answers[key] = self.engine.query(sql, params)
        return self.answers[key].copy()


def gather(engine: Engine, fx: FxTable, request: PackRequest, progress: Progress | None = None) -> PackData:
    """Everything a pack shows, in a handful of grouped queries (one per figure, all owners at once)."""
    engine = _Once(engine)
    say = progress or (lambda fraction, message: None)
    owner = check_dimension(engine, request.owner)
    if request.currency not in fx.currencies():
        raise ShowbackError(f"no exchange rates for the reporting currency {request.currency}")
    sources = source_totals(engine, request.first, request.end)
    if sources.empty:
        span = data_span(engine)
        covers = f"the data covers {span[0]} to {span[1]}" if span else "nothing is loaded"
        raise ShowbackError(f"no charges in {request.label} ({covers})")
    rules = applied_rules(engine)
    filters = request.filters

    def query(group_by: list[str], grain: Grain = Grain.NONE, where: Filters = filters) -> pd.DataFrame:
        # The owner may itself be ServiceName or ResourceId: group once, copy the column.
        unique = list(dict.fromkeys(group_by))
        frame = _checked(spend(engine, fx, where, unique, request.metric, grain, request.currency))
        for dimension in group_by[1:]:
            if dimension == owner:
                frame[dimension] = frame[OWNER]
        return frame

    say(0.05, "owners")
    main = spend(engine, fx, filters, [owner], request.metric, Grain.NONE, request.currency)
    owners = _checked(main)[[OWNER, COST, SHARED]]
    previous = query([owner], where=request.previous.filters)
    budgets = _budgets(engine, fx, request)
    owners = owners.merge(previous[[OWNER, COST]].rename(columns={COST: "previous"}), on=OWNER, how="outer")
    owners = owners.merge(budgets, on=OWNER, how="left").fillna({COST: 0.0, SHARED: 0.0})
    say(0.2, "services and daily trend")
    by_service = query([owner, "ServiceName"])
    by_source = query([owner, "x_SourceFile"]).rename(columns={"x_SourceFile": "source"})
    daily = query([owner], Grain.DAY).rename(columns={PERIOD: "day"})[[OWNER, "day", COST]]
    say(0.35, "resources")
    resources = _top_resources(query([owner, "ResourceId", "ResourceName"]))
    say(0.6, "tag coverage")
    coverage = _coverage(engine, query, owner, owners)
    say(0.7, "shared costs")
    pools = query([owner, SHARED_POOL]).rename(columns={SHARED_POOL: "pool"})
    pooled = pools[pools["pool"].notna()]
    shared = pooled[pooled[SHARED] != 0].rename(columns={SHARED: "received"})[["pool", OWNER, "received"]]
    pool_totals = pooled.groupby("pool", as_index=False).agg(total=(COST, "sum"), distributed=(SHARED, "sum"))
    say(0.8, "reconciliation")
    unowned = tuple(unowned_values(rules, owner))
    recon = reconcile(engine, fx, request, owner, unowned, owners)
    days = engine.query(
        "SELECT min(ChargeDay) AS first, max(ChargeDay) AS last FROM daily_costs WHERE ChargeDay BETWEEN ? AND ?",
        [request.first, request.end],
    )
    return PackData(
        request=request,
        rules_fingerprint=rules.fingerprint(),
        pools=rules.pools,
        unowned=unowned,
        owners=owners,
        by_service=by_service,
        by_source=by_source,
        daily=daily,
        resources=resources,
        coverage=coverage,
        shared=shared,
        pool_totals=pool_totals,
        reconciliation=recon,
        sources=sources,
        rates=_rates(fx, request, list(sources["currency"])),
        data_span=(pd.Timestamp(days["first"].iloc[0]).date(), pd.Timestamp(days["last"].iloc[0]).date()),
        previous_has_data=not previous.empty,
        unit_values=_unit_values(engine, request),
    )


def _unit_values(engine: Engine, request: PackRequest) -> pd.DataFrame:
    """For each business metric with values per owner of the pack's owner dimension, each owner's
    volume over the months; NaN when a day has no value (a cost over part of the volume would read
    as a better unit cost than it is). Company-wide metrics are left to the Unit economics page."""
    days = (request.end - request.first).days + 1
    frames = []
    for info in catalog(engine).values():
        if request.owner not in info.owner_dimensions:
            continue
        found = metric_values(engine, info.name, request.owner, request.first, request.end, Grain.MONTH)
        per = found.groupby(OWNER, dropna=False).agg(value=("value", "sum"), days=("days", "sum")).reset_index()
        per["value"] = per["value"].where(per["days"] == days)
        frames.append(per.assign(metric=info.name)[[OWNER, "metric", "value"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[OWNER, "metric", "value"])


def _top_resources(frame: pd.DataFrame) -> pd.DataFrame:
    """The largest resources of each owner, and one line for the rest of its resources."""
    frame = frame.sort_values([OWNER, COST, "ResourceId"], ascending=[True, False, True], na_position="last")
    frame = frame.assign(rank=frame.groupby(OWNER, dropna=False).cumcount())
    top = frame[frame["rank"] < TOP_RESOURCES]
    rest = (
        frame[frame["rank"] >= TOP_RESOURCES]
        .groupby(OWNER, dropna=False, as_index=False)
        .agg(cost=(COST, "sum"), n=("ResourceId", "size"))
    )
    rest = rest.assign(ResourceId=None, ResourceName=rest["n"].map(lambda n: f"all other resources ({n:,})"))
    columns = [OWNER, "ResourceId", "ResourceName", COST]
    return pd.concat([top[columns], rest[columns]], ignore_index=True)


def _coverage(
    engine: Engine, query: Callable[[list[str]], pd.DataFrame], owner: str, owners: pd.DataFrame
) -> pd.DataFrame:
    """Per owner and tag key: the part of the owner's spend on rows that carry the key."""
    frames = []
    totals = owners[[OWNER, COST]].rename(columns={COST: "total"})
    for key in tag_keys(engine):
        dimension = f"tag:{key}"
        if dimension != owner and dimension.lower() == owner.lower():
            # queries.spend cannot group by two dimensions whose names differ only in case (DuckDB
            # names are case-insensitive); the allocation rules normally merge such keys anyway.
            continue
        if dimension == owner:
            tagged = totals.assign(tagged=totals["total"].where(totals[OWNER].notna(), 0.0))
        else:
            frame = query([owner, dimension])
            frame = frame[frame[dimension].notna()].groupby(OWNER, dropna=False, as_index=False)[[COST]].sum()
            frame = frame.astype({OWNER: object})
            tagged = totals.merge(frame.rename(columns={COST: "tagged"}), on=OWNER, how="left").fillna({"tagged": 0.0})
        frames.append(tagged.assign(key=key)[[OWNER, "key", "tagged", "total"]])
    if not frames:
        return pd.DataFrame(columns=[OWNER, "key", "tagged", "total"])
    return pd.concat(frames, ignore_index=True)


def _budgets(engine: Engine, fx: FxTable, request: PackRequest) -> pd.DataFrame:
    """Per owner: the budgets of the months covered, converted at each month's first-day rate, and
    how many of the months have one (a budget is shown only when every month has one)."""
    frame = engine.query(
        "SELECT owner, month, amount, currency FROM budgets WHERE owner_dimension = ? AND month BETWEEN ? AND ?",
        [request.owner, request.first, request.last],
    )
    if frame.empty:
        return pd.DataFrame({OWNER: pd.Series(dtype=object), "budget": [], "budget_months": []})
    factors = fx.daily_factors(request.currency, request.first, request.last)
    factors = factors.assign(day=pd.to_datetime(factors["day"]).dt.date)
    frame = frame.assign(month=pd.to_datetime(frame["month"]).dt.date)
    merged = frame.merge(factors, left_on=["currency", "month"], right_on=["currency", "day"], how="left")
    if merged["factor"].isna().any():
        missing = merged.loc[merged["factor"].isna(), "currency"].iloc[0]
        raise ShowbackError(f"a budget is in {missing}, which has no {request.currency} rate in the FX table")
    merged["budget"] = merged["amount"].astype(float) * merged["factor"]
    out = merged.groupby("owner", as_index=False).agg(budget=("budget", "sum"), budget_months=("month", "nunique"))
    out.loc[out["budget_months"] < request.months, "budget"] = float("nan")
    return out.rename(columns={"owner": OWNER})


def _rates(fx: FxTable, request: PackRequest, currencies: list[str]) -> pd.DataFrame:
    """The rates the months were converted at: currency, rate_date (valid from), reporting per unit."""
    factors = fx.daily_factors(request.currency, request.first, request.end)
    used = factors[factors["currency"].isin(set(currencies) - {request.currency})]
    first = used.groupby(["currency", "rate_date"], as_index=False)[["factor"]].first()
    return first.rename(columns={"factor": "per_unit"})
