"""Rolling-origin backtests: the forecast scores itself on the past (WAPE, MAPE, 80% interval
coverage, against the naive same-weekday baseline), and the errors of period totals that set the
month- and quarter-end intervals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecast.model import MIN_DAYS, fit_predict, seasonal_naive

FOLDS = 4  # algorithms.md §4.2: TimeSeriesSplit(n_splits=4, test_size=30)
TEST_DAYS = 30
MIN_TRAIN = 28  # a fold needs four weeks behind its origin to learn the weekday pattern
TOTAL_ORIGINS = 16  # weekly origins (four months) for the errors of period totals
MIN_TOTAL_SAMPLES = 8  # fewer than this and an empirical 10th/90th percentile means little


@dataclass(frozen=True)
class Scores:
    """Backtest over `days` held-out days in `folds` folds (None when there was too little history)."""

    folds: int
    days: int
    wape: float | None
    mape: float | None
    coverage_80: float | None
    naive_wape: float | None
    detail: pd.DataFrame  # one row per held-out day: fold, day, actual, p10, p50, p90 (calibrated), naive
    widen: float = 0.0  # log-scale margin added to the model's 10%/90% quantiles (conformal, all folds)
    raw_coverage_80: float | None = None  # coverage of the quantile regression's own interval


def _wape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - predicted).sum() / total) if total > 0 else None


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    # Undefined at zero; days under 1% of the mean would dominate it, so they are left out.
    keep = np.abs(actual) > 0.01 * max(float(np.abs(actual).mean()), 1e-9)
    return float(np.mean(np.abs(actual[keep] - predicted[keep]) / np.abs(actual[keep]))) if keep.any() else None


def daily_backtest(series: pd.Series, folds: int = FOLDS, test_days: int = TEST_DAYS) -> Scores:
    """Fit on everything before each origin, forecast the next `test_days`, compare with what happened."""
    rows = []
    n = len(series)
    for k in range(folds):
        origin = n - (folds - k) * test_days
        if origin < MIN_TRAIN:
            continue
        history, held_out = series.iloc[:origin], series.iloc[origin : origin + test_days]
        days = pd.DatetimeIndex(held_out.index)
        q = fit_predict(history, days)
        naive = seasonal_naive(history, days)
        rows.append(
            pd.DataFrame(
                {"fold": k, "day": days, "actual": held_out.to_numpy(), "p10": q[:, 0], "p50": q[:, 1], "p90": q[:, 2]}
            ).assign(naive=naive)
        )
    if not rows:
        empty = pd.DataFrame(columns=["fold", "day", "actual", "p10", "p50", "p90", "naive"])
        return Scores(0, 0, None, None, None, None, empty)
    detail = pd.concat(rows, ignore_index=True)
    actual = detail["actual"].to_numpy()
    raw = (actual >= detail["p10"].to_numpy()) & (actual <= detail["p90"].to_numpy())
    detail = _cross_conformal(detail)
    inside = (actual >= detail["p10"].to_numpy()) & (actual <= detail["p90"].to_numpy())
    return Scores(
        folds=len(rows),
        days=len(detail),
        wape=_wape(actual, detail["p50"].to_numpy()),
        mape=_mape(actual, detail["p50"].to_numpy()),
        coverage_80=float(inside.mean()),
        naive_wape=_wape(actual, detail["naive"].to_numpy()),
        detail=detail,
        widen=conformal_margin(_scores(detail.assign(p10=detail["raw_p10"], p90=detail["raw_p90"]))),
        raw_coverage_80=float(raw.mean()),
    )


def _scores(detail: pd.DataFrame) -> np.ndarray:
    """Conformity scores of conformalized quantile regression, in log space: how far each actual
    fell outside [p10, p90] (negative when inside)."""
    y = np.log1p(detail["actual"].clip(lower=0).to_numpy(dtype=float))
    low = np.log1p(detail["p10"].to_numpy(dtype=float))
    high = np.log1p(detail["p90"].to_numpy(dtype=float))
    return np.maximum(low - y, y - high)


def conformal_margin(scores: np.ndarray, level: float = 0.8) -> float:
    """The margin that makes `level` of past held-out days fall inside (finite-sample corrected)."""
    if len(scores) == 0:
        return 0.0
    rank = min(1.0, np.ceil((len(scores) + 1) * level) / len(scores))
    return float(np.quantile(scores, rank, method="higher"))


def widen(p10: np.ndarray, p90: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Move both bounds out (or in, for a negative margin) by `margin` on the log scale."""
    return np.expm1(np.log1p(p10) - margin).clip(0.0, None), np.expm1(np.log1p(p90) + margin)


def _cross_conformal(detail: pd.DataFrame) -> pd.DataFrame:
    """Calibrate each fold with the other folds' scores only, so the coverage reported for a fold
    is measured on days its calibration never saw. (The forecast itself uses every fold.)"""
    out = detail.assign(raw_p10=detail["p10"], raw_p90=detail["p90"])
    scores = _scores(detail)
    folds = detail["fold"].to_numpy()
    for fold in np.unique(folds):
        mine = folds == fold
        margin = conformal_margin(scores[~mine]) if (~mine).any() else 0.0
        low, high = widen(detail["p10"].to_numpy()[mine], detail["p90"].to_numpy()[mine], margin)
        out.loc[mine, "p10"] = low
        out.loc[mine, "p90"] = high
    return out


def total_log_errors(series: pd.Series, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
    """For each horizon h: log(actual sum / forecast median sum) of the h days after each of up to
    TOTAL_ORIGINS weekly origins in the past. Period-total intervals come from these empirical
    errors, which carry the day-to-day correlation a sum of daily quantiles would ignore."""
    wanted = [h for h in horizons if h > 0]
    errors: dict[int, list[float]] = {h: [] for h in wanted}
    if not wanted:
        return {h: np.array([]) for h in horizons}
    n = len(series)
    shortest = min(wanted)
    for k in range(TOTAL_ORIGINS):
        origin = n - shortest - 7 * k
        if origin < MIN_TRAIN:
            break
        reach = min(max(wanted), n - origin)
        days = pd.DatetimeIndex(series.index[origin : origin + reach])
        median = fit_predict(series.iloc[:origin], days, quantiles=(0.5,))[:, 0]
        actual = series.iloc[origin : origin + reach].to_numpy()
        for h in wanted:
            if h <= reach and median[:h].sum() > 0 and actual[:h].sum() > 0:
                errors[h].append(float(np.log(actual[:h].sum() / median[:h].sum())))
    return {h: np.array(errors.get(h, [])) for h in horizons}


@dataclass(frozen=True)
class MonthScore:
    month: dt.date
    forecast: float
    actual: float

    @property
    def variance(self) -> float | None:
        """FinOps forecast variance |actual − forecast| / forecast (algorithms.md §4.3)."""
        return abs(self.actual - self.forecast) / self.forecast if self.forecast > 0 else None


def month_scores(series: pd.Series, months: int = 3) -> list[MonthScore]:
    """The last `months` full months, each forecast on its first morning from the days before it."""
    if series.empty:
        return []
    index = pd.DatetimeIndex(series.index)
    last = index[-1]
    end = last if last.is_month_end else (last - pd.offsets.MonthEnd(1))
    scores = []
    for k in range(months):
        month_end = end - pd.offsets.MonthEnd(k) if k else end
        month_start = month_end.replace(day=1)
        history = series[series.index < month_start]
        if len(history) < max(MIN_DAYS, MIN_TRAIN) or month_start < index[0]:
            continue
        days = pd.date_range(month_start, month_end, freq="D")
        predicted = float(fit_predict(history, days, quantiles=(0.5,))[:, 0].sum())
        actual = float(series[(series.index >= month_start) & (series.index <= month_end)].sum())
        scores.append(MonthScore(month_start.date(), predicted, actual))
    return sorted(scores, key=lambda s: s.month)


def enough_for_totals(errors: np.ndarray) -> bool:
    return len(errors) >= MIN_TOTAL_SAMPLES


def mean_variance(scores: list[MonthScore]) -> float | None:
    """The forecast accuracy KPI: mean monthly variance over the scored months."""
    values = [s.variance for s in scores if s.variance is not None]
    return sum(values) / len(values) if values else None
