"""The plan: every resource with its lifetime, owner and tags, the commitments sized to it, the anomalies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.sample.catalog import OFFERING_INDEX, OFFERINGS, SINGLETONS, Offering
from analytics.sample.commitments import COMMITMENTS, Commitment, size_commitments
from analytics.sample.company import DEFAULT_ROWS, PROVIDER_INDEX, PROVIDERS, Account
from analytics.sample.pool import pool_for, rows_of
from analytics.sample.resources import describe
from analytics.sample.window import Window, schedule_masks

HOURLY_SHARE = 0.85  # of the drawn resources' line items; the rest are daily


@dataclass(frozen=True)
class AnomalySpec:
    provider: str
    service: str
    role: str  # account role
    days_before_as_of: int  # first anomalous day, counted back from as_of
    length_days: int
    factor: float
    cause: str


ANOMALIES: tuple[AnomalySpec, ...] = (
    AnomalySpec("aws", "Amazon CloudWatch", "prod-commerce", 47, 4, 4.0, "debug logging left on after a release"),
    AnomalySpec("gcp", "BigQuery", "prod-data", 3, 3, 3.5, "a scheduled query scanning a whole table every hour"),
)


@dataclass(frozen=True)
class Anomaly:
    spec: AnomalySpec
    first_day: int  # window day index
    last_day: int  # inclusive
    account: Account


@dataclass
class Plan:
    window: Window
    seed: int
    masks: np.ndarray  # bool[schedule, hour]
    res: pd.DataFrame  # one row per resource; `rid` is its position
    commitments: tuple[Commitment, ...]
    anomalies: tuple[Anomaly, ...]
    scale: float  # company size relative to the default sample


def _singletons(window: Window, scale: float) -> list[dict]:
    records = []
    for single in SINGLETONS:
        o = OFFERINGS[OFFERING_INDEX[single.offering]]
        provider = PROVIDERS[PROVIDER_INDEX[o.provider]]
        if single.role == "*":
            seen: dict[str, str] = {}
            for a in provider.accounts:
                if a.role != "management":
                    seen.setdefault(a.id, a.role)
            roles = list(seen.values())
        else:
            roles = [single.role]
        for role in roles:
            team, app = single.owner if single.owner else ("", "")
            records.append(
                {
                    "provider": o.provider,
                    "offering": OFFERING_INDEX[o.key],
                    "team": team,
                    "app": app or role,
                    "env": "prod",
                    "role": role,
                    "region": 0 if o.regional else -1,
                    "schedule": -1,
                    "spot": False,
                    "start": 0,
                    "end": window.days,
                    "qty": _scaled_quantity(o, single.scale * scale),
                    "tag_draws": (1.0, 0.0, 0.0, 0.0),
                    "steady": False,
                }
            )
    return records


def _scaled_quantity(o: Offering, scale: float) -> float:
    """Shared items grow with the company; things priced per hour grow in whole units (gateways)."""
    if o.unit == "Hours" and o.qty % 24 == 0:
        return 24.0 * max(1, round(o.qty / 24 * scale))
    return o.qty * scale


def make_plan(rows: int, window: Window, seed: int) -> Plan:
    """Size the company so the build produces close to `rows` line items."""
    masks = schedule_masks(window)
    scale = min(max(rows / DEFAULT_ROWS, 0.05), 40.0) ** 0.8
    singles = _singletons(window, scale)
    extras = len(COMMITMENTS) * window.days + 90 * len(window.periods)
    pool_rows = max(rows - extras - int(rows_of(singles, masks).sum()), 0)
    records = list(singles)
    # Smallest providers first: their minimum fleets may overshoot, and the largest absorbs that.
    order = sorted(range(len(PROVIDERS)), key=lambda i: PROVIDERS[i].share)
    share_left = sum(p.share for p in PROVIDERS)
    for p in order:
        budget = pool_rows * PROVIDERS[p].share / share_left
        for g, share in enumerate((HOURLY_SHARE, 1 - HOURLY_SHARE)):
            pool = pool_for(budget * share, seed, p, g, window, masks)
            records.extend(pool)
            pool_rows -= int(rows_of(pool, masks).sum())
        share_left -= PROVIDERS[p].share
    res = describe(records, window, seed, np.random.default_rng([seed, 3]))
    commitments = size_commitments(res, window, masks)
    return Plan(window, seed, masks, res, commitments, _anomalies(window), scale)


def _anomalies(window: Window) -> tuple[Anomaly, ...]:
    out = []
    for spec in ANOMALIES:
        provider = PROVIDERS[PROVIDER_INDEX[spec.provider]]
        first = max(window.days - spec.days_before_as_of, min(14, window.days // 3))
        last = min(first + spec.length_days - 1, window.days - 1)
        out.append(Anomaly(spec, first, last, provider.account(spec.role)))
    return tuple(out)
