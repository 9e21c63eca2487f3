"""Drawing a provider's resources of one grain (hourly or daily) until their line items reach a target."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from analytics.sample.catalog import OFFERING_INDEX, OFFERINGS
from analytics.sample.company import PROVIDERS, TEAM_APPS, TEAM_ROLE, Provider
from analytics.sample.window import Window

FLEET_GROWTH = 0.025  # monthly growth of the number of resources; with quantities, spend grows ~2%
CHURN = 0.10  # resources replaced by a new one (new id) during the window
# The steady production fleet the commitments were bought for, and the databases every provider runs.
# Two sizes, so a commitment can be sized in steps finer than one big machine.
ANCHOR_OFFERING = {
    "aws": ("aws:m6i.8xlarge", "aws:m6i.4xlarge"),
    "azure": ("azure:Standard_D32s_v5", "azure:Standard_D16s_v5"),
    "gcp": ("gcp:n2-standard-32", "gcp:n2-standard-16"),
}
DEV_OFFERING = {"aws": "aws:t3.large", "azure": "azure:Standard_B2ms", "gcp": "gcp:e2-standard-4"}
CORE_DATABASES = {
    "aws": ("aws:db.r6g.4xlarge", "aws:cache.r6g.2xlarge"),
    "azure": ("azure:sql",),
    "gcp": ("gcp:cloudsql",),
}
VM_SCHEDULE_P = (0.62, 0.20, 0.12, 0.06)
GPU_SCHEDULE_P = (0.35, 0.0, 0.0, 0.65)


def choice(u: float, weights: Sequence[float]) -> int:
    """Index picked by a uniform draw u from (unnormalised) weights."""
    total = float(sum(weights))
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w / total
        if u < acc:
            return i
    return len(weights) - 1


def _lifetimes(
    rng: np.random.Generator, n: int, horizon: int, per_unit_growth: float, steady_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of n resources so that the active count grows exponentially:
    1/G of them exist from the start, the rest arrive with density proportional to exp(g t).
    A steady share of the fleet exists all along, so the others grow faster to make up for it."""
    wanted = math.exp(per_unit_growth * horizon)
    steady = min(steady_share, 0.6)
    growth = min(3.0, (1 - steady) / max(1 / wanted - steady, (1 - steady) / 3.0))
    per_unit_growth = math.log(growth) / horizon
    pre = rng.random(n) < 1 / growth
    arrival = np.log1p(rng.random(n) * (growth - 1)) / per_unit_growth
    start = np.where(pre, 0, np.minimum(arrival.astype(np.int64), horizon - 1))
    return start, np.full(n, horizon, dtype=np.int64)


def _fixed_offerings(provider: Provider, grain: str, n_anchor: int) -> list[tuple[str, int]]:
    """(offering, schedule) of the resources every fleet starts with, most important first (a small
    build keeps only a prefix). Hourly: the steady VM fleet commitments are bought for, the core
    databases, weekday autoscaling and a developer box (so compute dips at weekends) and, on AWS,
    a spot batch worker; daily: each service once, biggest first (schedule -1)."""
    if grain == "day":
        offers = [o for o in OFFERINGS if o.provider == provider.key and o.grain == grain and o.weight]
        return [(o.key, -1) for o in sorted(offers, key=lambda o: -o.weight)]
    big, small = ((key, 0) for key in ANCHOR_OFFERING[provider.key])
    first, *more = [(key, 0) for key in CORE_DATABASES[provider.key]]
    spot = [("aws:c6i.8xlarge", 3)] if provider.key == "aws" else []  # nightly batch on spot capacity
    head = [big, first, small, big, (big[0], 1), (DEV_OFFERING[provider.key], 2)]
    return head + more + spot + [big, small] * max(0, (n_anchor - 2) // 2)


def _draw_pool(
    rng: np.random.Generator, provider: Provider, grain: str, n: int, window: Window, n_anchor: int, expected: float
) -> list[dict]:
    """n resources of one provider and grain (plus successors of replaced ones, which share their
    predecessor's `draw`): first the fixed ones, then random draws by offering weight."""
    offers = [i for i, o in enumerate(OFFERINGS) if o.provider == provider.key and o.grain == grain and o.weight]
    weights = np.array([OFFERINGS[i].weight for i in offers])
    picks = rng.choice(offers, size=n, p=weights / weights.sum())
    fixed = _fixed_offerings(provider, grain, n_anchor)
    n_steady = len(fixed) if grain == "hour" else 0
    horizon = window.hours if grain == "hour" else window.days
    per_unit = math.log1p(FLEET_GROWTH) / (30.44 * (24 if grain == "hour" else 1))
    starts, ends = _lifetimes(rng, n, horizon, per_unit, n_steady / expected)
    u = rng.random((n, 10))
    sizes = rng.lognormal(0.0, 0.7, n)
    records = []
    for k in range(n):
        steady = k < n_steady  # exists from the start, never replaced
        o = OFFERINGS[OFFERING_INDEX[fixed[k][0]]] if k < len(fixed) else OFFERINGS[int(picks[k])]
        teams = o.teams or provider.teams
        team = teams[int(u[k, 1] * len(teams))]
        app = TEAM_APPS[team][int(u[k, 2] * len(TEAM_APPS[team]))]
        is_vm = o.subcategory == "Virtual Machines"
        schedule = -1
        if steady:
            schedule = fixed[k][1]
        elif grain == "hour":
            gpu = o.family in ("g5", "a2")
            schedule = 0 if not is_vm else choice(u[k, 3], GPU_SCHEDULE_P if gpu else VM_SCHEDULE_P)
        env = _env_for(schedule, grain, u[k, 4], steady)
        region = 0 if steady or (is_vm and u[k, 5] < 0.8) else choice(u[k, 6], [r[2] for r in provider.regions])
        records.append(
            {
                "provider": provider.key,
                "offering": OFFERING_INDEX[o.key],
                "team": team,
                "app": app,
                "env": env,
                "role": "dev" if env == "dev" else "staging" if env == "staging" else TEAM_ROLE[team],
                "region": region if o.regional else -1,
                "schedule": schedule,
                "spot": provider.key == "aws" and (schedule == 3 if steady else schedule == 1 and u[k, 7] < 0.4),
                "start": 0 if steady else int(starts[k]),
                "end": int(ends[k]),
                "qty": o.qty * float(sizes[k]) if grain == "day" else 1.0,
                "tag_draws": (float(u[k, 8]), float(u[k, 9]), float(u[k, 7]), float(u[k, 0])),
                "steady": steady,
                "draw": k,
            }
        )
    return _with_churn(rng, records, horizon)


def _env_for(schedule: int, grain: str, u: float, steady: bool) -> str:
    if schedule == 2:
        return "dev" if steady or u < 0.7 else "staging"
    if steady or schedule in (1, 3):
        return "prod"
    return ("prod", "staging", "dev")[choice(u, (0.72, 0.16, 0.12) if grain == "hour" else (0.7, 0.15, 0.15))]


def _with_churn(rng: np.random.Generator, records: list[dict], horizon: int) -> list[dict]:
    """Some resources are replaced mid-window by a successor (a new id; VMs may change size)."""
    out = list(records)
    draws = rng.random((len(records), 3))
    for rec, (u_churn, u_when, u_size) in zip(records, draws, strict=True):
        if rec["steady"] or u_churn >= CHURN or horizon - rec["start"] < 4:
            continue
        cut = rec["start"] + 1 + int((horizon - rec["start"] - 2) * (0.2 + 0.7 * u_when))
        successor = dict(rec, start=cut, end=horizon)
        rec["end"] = cut
        o = OFFERINGS[rec["offering"]]
        if o.subcategory == "Virtual Machines" and u_size < 0.3:
            same = [i for i, x in enumerate(OFFERINGS) if x.provider == o.provider and x.family == o.family]
            successor["offering"] = same[int(u_size / 0.3 * len(same))]
        out.append(successor)
    return out


def rows_of(records: list[dict], masks: np.ndarray) -> np.ndarray:
    """Exact line items each planned resource will produce over the window."""
    counts = np.concatenate([np.zeros((masks.shape[0], 1), dtype=np.int64), np.cumsum(masks, axis=1)], axis=1)
    out = np.empty(len(records), dtype=np.int64)
    for i, rec in enumerate(records):
        if rec["schedule"] >= 0:
            out[i] = counts[rec["schedule"], rec["end"]] - counts[rec["schedule"], rec["start"]]
        else:
            out[i] = rec["end"] - rec["start"]
    return out


def pool_for(target: float, seed: int, p: int, g: int, window: Window, masks: np.ndarray) -> list[dict]:
    """Draw candidates, then keep the first ones until their line items reach the target."""
    grain = ("hour", "day")[g]
    horizon = window.hours if grain == "hour" else window.days
    expected = max(target / (0.7 * horizon), 1.0)
    n_anchor = max(4, math.ceil(0.4 * expected)) if grain == "hour" else 0
    minimum = 2 if grain == "hour" else 3
    for attempt in range(12):
        n = int(2 * expected * 2**attempt) + 2 * minimum
        rng = np.random.default_rng([seed, 2, p, g, attempt])
        candidates = _draw_pool(rng, PROVIDERS[p], grain, n, window, n_anchor, expected)
        draws = np.array([c["draw"] for c in candidates])
        cumulative = np.cumsum(np.bincount(draws, weights=rows_of(candidates, masks), minlength=n))
        if cumulative[-1] >= target or attempt == 11:
            over = int(np.searchsorted(cumulative, target))  # first cut reaching the target
            under = cumulative[over - 1] if over > 0 else 0.0
            keep = max(minimum, over + 1 if cumulative[min(over, n - 1)] - target < target - under else over)
            return [c for c in candidates if c["draw"] < keep]
    raise AssertionError("unreachable")
