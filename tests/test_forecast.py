"""Forecasts on the sample company: they beat the naive baseline, their intervals are honest, and
the history they learn from and the month-to-date they start from tie out to the raw line items."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.cli import main
from analytics.engine import DuckDBEngine
from analytics.forecast import forecast
from analytics.forecast.model import fit_predict
from analytics.forecast.run import RUN_RATE
from analytics.fx import load_fx
from analytics.ingest.run import ingest_paths
from analytics.schema import Filters
from analytics.store import connect
from tests.focus_rows import row, write_csv
from tests.realdata import FOCUS_SAMPLE
from tests.test_forecast_company import company_db  # noqa: F401

AWS = Filters.of(where={"ProviderName": ["AWS"]})  # billed in USD, so raw sums need no FX


@pytest.fixture(scope="module")
def total(company_db: Path):  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        return forecast(DuckDBEngine(con), load_fx())
    finally:
        con.close()


def test_the_model_beats_the_naive_same_weekday_baseline_on_the_sample_company(total) -> None:
    assert total.backtest.folds == 4 and total.backtest.days == 120
    assert total.backtest.wape < total.backtest.naive_wape


def test_eighty_percent_intervals_cover_between_70_and_90_percent_of_held_out_days(total) -> None:
    assert 0.70 <= total.backtest.coverage_80 <= 0.90


def test_the_history_is_daily_usage_spend_without_purchases_tax_and_credits(company_db: Path) -> None:  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        result = forecast(DuckDBEngine(con), load_fx(), AWS)
        raw = con.execute(
            "SELECT CAST(ChargePeriodStart AS DATE) AS day, sum(EffectiveCost)::DOUBLE AS cost FROM line_items "
            "WHERE ProviderName = 'AWS' AND ChargeCategory NOT IN ('Purchase', 'Tax', 'Credit') GROUP BY 1"
        ).df()
        excluded = con.execute(
            "SELECT sum(EffectiveCost)::DOUBLE FROM line_items WHERE ProviderName = 'AWS' AND "
            "ChargeCategory IN ('Purchase', 'Tax', 'Credit') AND ChargePeriodStart >= ?",
            [dt.datetime.combine(result.month_end.start, dt.time())],
        ).fetchone()[0]
    finally:
        con.close()
    expected = raw.set_index(pd.to_datetime(raw["day"]))["cost"].sort_index()
    got = result.history[expected.index]
    assert (got - expected).abs().max() < 0.005
    assert round(sum(result.excluded_to_date(result.month_end.start).values()), 2) == round(excluded, 2)
    month = expected[expected.index >= pd.Timestamp(result.month_end.start)].sum()
    assert round(result.month_end.to_date, 2) == round(month, 2)


def test_period_totals_start_from_the_actual_and_have_an_ordered_interval_from_backtests(total) -> None:
    for period in (total.month_end, total.quarter_end):
        assert period.to_date < period.p10 <= period.p50 <= period.p90
        assert period.method.startswith("backtest")
    # Not a sum of daily quantiles: the width of the total is narrower than that sum would give.
    remaining = total.daily[total.daily["date"] <= total.quarter_end.end]
    assert total.quarter_end.p90 - total.quarter_end.p10 < (remaining["p90"] - remaining["p10"]).sum()


def test_daily_quantiles_never_cross_and_monday_is_dearer_than_sunday(total) -> None:
    daily = total.daily
    assert ((daily["p10"] <= daily["p50"]) & (daily["p50"] <= daily["p90"])).all()
    weekday = pd.to_datetime(daily["date"]).dt.day_of_week
    assert daily.loc[weekday == 0, "p50"].mean() > daily.loc[weekday == 6, "p50"].mean()


def test_the_last_three_months_are_scored_against_forecasts_made_on_their_first_day(total) -> None:
    assert len(total.months) == 3
    assert all(m.variance is not None and m.variance < 0.2 for m in total.months)


def test_fewer_than_14_days_of_history_gives_a_run_rate_with_a_note(con, engine, tmp_path: Path) -> None:
    rows = []
    for n in range(1, 11):
        start = dt.datetime(2026, 5, n)
        cost = "70" if n <= 3 else "100"  # the run-rate is the last seven days: 100 a day
        rows.append(
            row(
                ChargePeriodStart=start.isoformat(),
                ChargePeriodEnd=(start + dt.timedelta(days=1)).isoformat(),
                EffectiveCost=cost,
            )
        )
    ingest_paths(con, [str(write_csv(tmp_path / "ten-days.csv", rows))], "focus")
    result = forecast(engine, load_fx(), horizon_days=3)
    assert result.method == RUN_RATE and result.note is not None and "10 days" in result.note
    assert [round(v, 6) for v in result.daily["p50"].iloc[:3]] == [100.0, 100.0, 100.0]
    assert round(result.month_end.to_date, 6) == 910.0 and round(result.month_end.p50, 6) == 910.0 + 21 * 100.0
    assert result.backtest.wape is None


def test_a_flat_series_is_forecast_flat() -> None:
    history = pd.Series(250.0, index=pd.date_range("2026-01-01", periods=90, freq="D"))
    q = fit_predict(history, pd.date_range("2026-04-01", periods=7))
    assert abs(q[:, 1] - 250.0).max() < 0.01


def test_the_cli_prints_month_quarter_daily_and_backtest(company_db: Path, capsys) -> None:  # noqa: F811
    assert main(["forecast", "--db", str(company_db), "--horizon-days", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["month_end"]) >= {"p10", "p50", "p90"} and set(out["quarter_end"]) >= {"p10", "p50", "p90"}
    assert len(out["daily"]) == 5 and set(out["daily"][0]) == {"date", "p10", "p50", "p90"}
    assert set(out["backtest"]) >= {"wape", "naive_wape", "coverage_80"}


def test_the_cli_forecasts_one_dimension_value(company_db: Path, capsys) -> None:  # noqa: F811
    assert main(["forecast", "--db", str(company_db), "--where", "ServiceName=BigQuery", "--json"]) == 0
    scoped = json.loads(capsys.readouterr().out)
    assert main(["forecast", "--db", str(company_db), "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert 0 < scoped["month_end"]["to_date"] < everything["month_end"]["to_date"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "NoSuchColumn=x"], "unknown dimension"),
        (["--where", "ServiceName"], "expected DIM=VALUE"),
        (["--horizon-days", "0"], "--horizon-days"),
        (["--where", "ServiceName=No such service"], "no spend"),
    ],
)
def test_bad_forecast_arguments_are_refused_in_one_line(company_db: Path, capsys, args, message) -> None:  # noqa: F811
    assert main(["forecast", "--db", str(company_db), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_short_real_history_still_gives_an_interval_around_its_median(con, engine) -> None:
    # The FOCUS sample's 30 days: the bootstrap's band fell wholly above the model's median
    # (Overview: "$96.52, 80%: $99.14 - $115.05"), a figure contradicting its own interval.
    ingest_paths(con, [str(FOCUS_SAMPLE)], "focus")
    result = forecast(engine, load_fx())
    for period in (result.month_end, result.quarter_end):
        assert period.p10 <= period.p50 <= period.p90, (period.p10, period.p50, period.p90, period.method)
