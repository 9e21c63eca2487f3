"""Model A of algorithms.md §4.2: linear trend + day-of-week + month-boundary features, fitted by
quantile regression on log1p(daily cost), one model per quantile."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)  # an 80% interval, as AWS shows by default
# Recent behaviour predicts the next weeks best; a year would let an old regime bend the trend.
# Azure asks for 90 days for long horizons, so the window is twice that.
TRAIN_DAYS = 180
MIN_DAYS = 14  # below this, a run-rate only (algorithms.md §4.2 "Minimum data")
BREAK = np.log(1.25)  # a level shift of 25% between two fortnights is a new regime, not a trend
MIN_REGIME = 28  # days after a break before the model trusts the new level alone


def since_last_break(train: pd.Series) -> pd.Series:
    """The part of `train` after its last level shift (a team moving a workload in, a service
    switched off), when at least MIN_REGIME days follow it. A straight trend fitted across such a
    step would tilt toward it for months. (Simpler than the changepoint term of algorithms.md §4.2:
    the window is cut instead of adding a second slope, which also moves the intercept.)"""
    y = np.log1p(train.clip(lower=0).to_numpy(dtype=float))
    if len(y) < 2 * MIN_REGIME:
        return train
    before = pd.Series(y).rolling(14).median().to_numpy()
    after = pd.Series(y[::-1]).rolling(14).median().to_numpy()[::-1]
    shift = np.full(len(y), 0.0)
    shift[14:-13] = np.abs(after[14:-13] - before[13:-14])
    candidates = np.flatnonzero(shift[: len(y) - MIN_REGIME + 1] > BREAK)
    return train.iloc[int(candidates[-1]) :] if len(candidates) else train


def features(days: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """One row per day: trend in years since `origin`, six weekday dummies (Monday is the base),
    first-of-month (monthly fees land there) and last-of-month flags."""
    t = ((days - origin).days.to_numpy(dtype=float)) / 365.25
    weekday = days.day_of_week.to_numpy()
    dow = np.stack([(weekday == d).astype(float) for d in range(1, 7)], axis=1)
    first = np.asarray(days.day == 1, dtype=float)
    last = np.asarray(days.is_month_end, dtype=float)
    return np.column_stack([t, dow, first, last])


def fit_predict(history: pd.Series, future: pd.DatetimeIndex, quantiles: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles (columns, in the order given, sorted so they never cross) of daily cost on `future`,
    from the last TRAIN_DAYS of `history` (a daily series indexed by day)."""
    train = since_last_break(history.iloc[-TRAIN_DAYS:])
    origin = train.index[0]
    x_train = features(pd.DatetimeIndex(train.index), origin)
    x_future = features(future, origin)
    # A flag that never occurs in the window (no month end seen yet) would make its coefficient
    # arbitrary; drop such columns.
    used = x_train.std(axis=0) > 0
    used[0] = True
    y = np.log1p(np.clip(train.to_numpy(dtype=float), 0.0, None))
    # Imported here: scikit-learn takes seconds to import, and every command of the command line
    # loads this module, while only a forecast fits a model.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import QuantileRegressor

    out = np.empty((len(future), len(quantiles)))
    for k, q in enumerate(quantiles):
        # alpha=0: the default alpha=1.0 applies L1 shrinkage, flattening trend and weekday effects.
        model = QuantileRegressor(quantile=q, alpha=0.0, solver="highs")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_train[:, used], y)
        out[:, k] = model.predict(x_future[:, used])
    out.sort(axis=1)
    return np.expm1(out).clip(0.0, None)


def seasonal_naive(history: pd.Series, future: pd.DatetimeIndex) -> np.ndarray:
    """The naive same-weekday baseline: each future day repeats the last observed day of its weekday."""
    last_week = history.iloc[-7:]
    weekdays = pd.DatetimeIndex(last_week.index).day_of_week
    by_weekday = {int(d): float(v) for d, v in zip(weekdays, last_week.to_numpy(), strict=True)}
    return np.array([by_weekday.get(day.day_of_week, float(last_week.mean())) for day in future])


def run_rate(history: pd.Series, future: pd.DatetimeIndex) -> np.ndarray:
    """Average of the last seven days, for every future day (too little history to fit a model)."""
    level = float(history.iloc[-7:].mean()) if len(history) else 0.0
    return np.full(len(future), level)
