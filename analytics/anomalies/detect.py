"""The robust seasonal baseline of algorithms.md §5.2: expected = median of the same weekday over
the four previous weeks × a level factor; residual scaled by 1.4826·MAD over 56 days; a day is
anomalous when z > 3.5 and its impact passes the money and percentage gates."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAD_DAYS = 56
MIN_MAD_DAYS = 28  # a young series is scored once four weeks of residuals exist
MIN_HISTORY = 14  # days of spend before a series is judged (AWS needs 10)


@dataclass(frozen=True)
class Settings:
    """Thresholds (algorithms.md §6 defaults): z > 3.5, impact ≥ max($50, 5% of a typical day) and ≥ 20%.
    The typical day is the whole scope's (median daily total over 28 days), not the series': 5% of a
    $40/day service would let every $50 wobble through, while 5% of the company's day is what a
    FinOps team calls material (as AWS's absolute thresholds apply across a monitor's values)."""

    z: float = 3.5
    min_abs: float = 50.0
    k_rel: float = 0.05
    min_pct: float = 0.20


DEFAULTS = Settings()


@dataclass(frozen=True)
class Scored:
    """Per day (rows) and series (columns): actual, expected, z and whether the day is anomalous."""

    actual: pd.DataFrame
    expected: pd.DataFrame
    z: pd.DataFrame
    flagged: pd.DataFrame


def _nanmedian(stack: list[np.ndarray], minimum: int) -> np.ndarray:
    arr = np.stack(stack)
    enough = (~np.isnan(arr)).sum(axis=0) >= minimum
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(arr, axis=0)
    return np.where(enough, med, np.nan)


def _shift(y: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(y, np.nan)
    out[k:] = y[:-k]
    return out


def _rolling_median(y: np.ndarray, window: int, lag: int, min_count: int | None = None) -> np.ndarray:
    """Median of y[t-lag-window+1 .. t-lag] for every t, NaN where fewer than `min_count` (default:
    all) of those days have a value. (pandas' rolling median: a skip list, far faster than medians
    of sliding windows on this many series.)"""
    frame = pd.DataFrame(y).shift(lag) if lag else pd.DataFrame(y)
    needed = window if min_count is None else min_count
    return frame.rolling(window, min_periods=needed).median().to_numpy()


def expected_values(y: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """Expected daily cost, without using the day itself."""
    seasonal = _nanmedian([_shift(y, 7 * k) for k in range(1, 5)], minimum=2)
    recent = _rolling_median(y, 7, 1)
    before = _rolling_median(y, 7, 8)
    with np.errstate(all="ignore"):
        level = np.where(before > 0, np.clip(recent / before, 0.8, 1.25), 1.0)
    level = np.nan_to_num(level, nan=1.0)
    base = seasonal * level
    expected = base.copy()
    # Monthly fees land on the 1st (deviation from §5.2, which would flag every month's support fee):
    # a 1st is an ordinary day at today's level plus the fee the previous three 1sts carried over
    # their own ordinary day. Comparing with the raw 1sts instead would miss a step change since then
    # (a workload launched in March makes every later 1st look like a spike).
    firsts = np.flatnonzero(np.asarray(days.day == 1))
    for i, row in enumerate(firsts):
        earlier = firsts[max(0, i - 3) : i]
        if not len(earlier):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fee = np.nanmedian(y[earlier] - base[earlier], axis=0)
        plain = np.median(y[earlier], axis=0) * level[row]  # before the weekday baseline exists
        expected[row] = np.where(np.isnan(base[row]) | np.isnan(fee), plain, base[row] + np.maximum(fee, 0.0))
    return expected


def detect(matrix: pd.DataFrame, settings: Settings = DEFAULTS) -> Scored:
    """Score every day of every series of `matrix` (rows: consecutive UTC days)."""
    days = pd.DatetimeIndex(matrix.index)
    y = matrix.to_numpy(dtype=float)
    expected = expected_values(y, days)
    residual = y - expected
    centre = _rolling_median(residual, MAD_DAYS, 1, MIN_MAD_DAYS)
    spread = _rolling_median(np.abs(residual - np.nan_to_num(centre)), MAD_DAYS, 1, MIN_MAD_DAYS)
    # MAD can be 0 on a flat fee; 1% of the typical day keeps z finite and the gates decide.
    typical = _rolling_median(y, 28, 1)
    total = _rolling_median(y.sum(axis=1, keepdims=True), 28, 1)
    sigma = np.maximum(1.4826 * np.nan_to_num(spread, nan=np.inf), np.maximum(0.01 * np.nan_to_num(typical), 0.01))
    with np.errstate(all="ignore"):
        z = residual / sigma
        pct = np.where(expected > 0, residual / expected, np.inf)
    started = np.cumsum(y != 0, axis=0) > 0
    age = np.cumsum(started, axis=0)
    gate = np.maximum(settings.min_abs, settings.k_rel * np.nan_to_num(total))
    flagged = (
        (np.nan_to_num(z) > settings.z)
        & (np.nan_to_num(residual) >= gate)
        & (pct >= settings.min_pct)
        & (age > MIN_HISTORY)
        & ~np.isnan(expected)
    )
    frame = lambda values: pd.DataFrame(values, index=matrix.index, columns=matrix.columns)  # noqa: E731
    return Scored(matrix, frame(np.nan_to_num(expected)), frame(np.nan_to_num(z)), frame(flagged))
