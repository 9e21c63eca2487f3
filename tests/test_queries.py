"""Spend slicing: filters, tags, grains, currencies and the allow-list of dimensions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.engine import DuckDBEngine
from analytics.fx import FxTable, load_fx
from analytics.ingest.run import ingest_paths
from analytics.queries import UnknownDimension, dimension_values, dimensions, spend
from analytics.schema import EVERYTHING, Filters, Grain, Metric
from tests.focus_rows import row, write_csv

NASTY = "x'); DROP TABLE line_items; --"


def day(n: int, **changes: object) -> dict[str, object]:
    start = dt.datetime(2026, 5, n)
    return row(
        ChargePeriodStart=start.isoformat(), ChargePeriodEnd=(start + dt.timedelta(days=1)).isoformat(), **changes
    )


@pytest.fixture
def data(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> DuckDBEngine:
    rows = [
        day(1, BilledCost="100", EffectiveCost="90", Tags={"team": "payments", "env": "prod"}),
        day(2, BilledCost="50", EffectiveCost="40", Tags={"team": "search"}, ServiceName="Amazon S3"),
        day(9, BilledCost="25", EffectiveCost="20", Tags={"team": NASTY, "owner's": "a;b"}),
        day(10, BilledCost="10", EffectiveCost="10", Tags=None, ProviderName="Google Cloud", BillingAccountId="g"),
        day(10, BilledCost="-5", EffectiveCost="-5", ChargeCategory="Credit", Tags={"env": "prod"}),
        day(
            11,
            BilledCost="200",
            EffectiveCost="200",
            BillingCurrency="EUR",
            ProviderName="Microsoft",
            BillingAccountId="m",
            Tags={"team": "payments"},
        ),
    ]
    ingest_paths(con, [str(write_csv(tmp_path / "data.csv", rows))])
    return DuckDBEngine(con)


@pytest.fixture
def fx() -> FxTable:
    return load_fx()


def as_dict(frame: pd.DataFrame, key: str) -> dict[object, float]:
    return {(None if pd.isna(k) else k): round(v, 2) for k, v in zip(frame[key], frame["cost"], strict=True)}


def test_a_tag_key_groups_like_a_column_with_untagged_as_its_own_bucket(data: DuckDBEngine, fx: FxTable) -> None:
    result = spend(data, fx, group_by=["tag:team"], metric=Metric.BILLED)
    eur = 200 * 1.165
    assert as_dict(result.frame, "tag:team") == {"payments": round(100 + eur, 2), "search": 50, NASTY: 25, None: 5}


def test_tag_values_with_quotes_semicolons_and_sql_are_plain_text(data: DuckDBEngine, fx: FxTable) -> None:
    only = Filters.of(where={"tag:team": [NASTY], "tag:owner's": ["a;b"]})
    assert round(spend(data, fx, only).frame["cost"].sum(), 2) == 20
    assert data.query("SELECT count(*) AS n FROM line_items")["n"].iloc[0] == 6


def test_values_of_one_dimension_are_ored_and_dimensions_anded(data: DuckDBEngine, fx: FxTable) -> None:
    either = Filters.of(where={"tag:team": ["payments", "search"]})
    assert round(spend(data, fx, either, metric=Metric.BILLED).frame["cost"].sum(), 2) == round(150 + 200 * 1.165, 2)
    both = Filters.of(where={"tag:team": ["payments", "search"], "ServiceName": ["Amazon S3"]})
    assert round(spend(data, fx, both, metric=Metric.BILLED).frame["cost"].sum(), 2) == 50


def test_an_untagged_filter_keeps_rows_without_that_key(data: DuckDBEngine, fx: FxTable) -> None:
    untagged = Filters.of(where={"tag:team": [None]})
    assert round(spend(data, fx, untagged, metric=Metric.BILLED).frame["cost"].sum(), 2) == 5


def test_dates_are_whole_utc_days_both_inclusive(data: DuckDBEngine, fx: FxTable) -> None:
    window = Filters.of(dt.date(2026, 5, 2), dt.date(2026, 5, 10))
    assert round(spend(data, fx, window, metric=Metric.BILLED).frame["cost"].sum(), 2) == 80


def test_month_and_week_grains_start_periods_on_their_first_day(data: DuckDBEngine, fx: FxTable) -> None:
    usd = Filters.of(where={"BillingCurrency": ["USD"]})
    weeks = spend(data, fx, usd, grain=Grain.WEEK, metric=Metric.BILLED).frame
    assert as_dict(weeks, "period") == {dt.date(2026, 4, 27): 150, dt.date(2026, 5, 4): 30}  # ISO weeks start on Monday
    months = spend(data, fx, usd, grain=Grain.MONTH, metric=Metric.BILLED).frame
    assert as_dict(months, "period") == {dt.date(2026, 5, 1): 180}


def test_each_metric_sums_its_own_column(data: DuckDBEngine, fx: FxTable) -> None:
    usd = Filters.of(where={"BillingCurrency": ["USD"]})
    assert round(spend(data, fx, usd, metric=Metric.EFFECTIVE).frame["cost"].sum(), 2) == 155
    assert round(spend(data, fx, usd, metric=Metric.LIST).frame["cost"].sum(), 2) == 60


def test_other_currencies_are_converted_with_the_dated_rate_shown(data: DuckDBEngine, fx: FxTable) -> None:
    result = spend(data, fx, Filters.of(where={"BillingCurrency": ["EUR"]}), metric=Metric.BILLED)
    assert round(result.frame["cost"].sum(), 2) == 233.0
    assert result.rates.to_dict("records") == [
        {"currency": "EUR", "rate_date": dt.date(2026, 1, 1), "USD per unit": 1.165}
    ]
    in_eur = spend(data, fx, Filters.of(where={"BillingCurrency": ["EUR"]}), metric=Metric.BILLED, currency="EUR")
    assert round(in_eur.frame["cost"].sum(), 2) == 200


def test_a_currency_without_a_rate_is_left_out_and_reported(data: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text("valid_from,currency,usd_per_unit\n2026-06-01,EUR,1.1\n")
    result = spend(data, load_fx(path), metric=Metric.BILLED)
    assert round(result.frame["cost"].sum(), 2) == 180
    assert result.unconverted.to_dict("records") == [{"currency": "EUR", "amount": 200.0, "rows": 1}]


def test_detail_dimensions_read_the_line_items(data: DuckDBEngine, fx: FxTable) -> None:
    result = spend(data, fx, Filters.of(where={"ChargeCategory": ["Credit"]}), group_by=["ChargeDescription"])
    assert result.frame["cost"].tolist() == [-5.0]


def test_unknown_dimensions_and_tag_keys_are_refused(data: DuckDBEngine, fx: FxTable) -> None:
    with pytest.raises(UnknownDimension, match="unknown dimension"):
        spend(data, fx, group_by=["ServiceName; DROP TABLE x"])
    with pytest.raises(UnknownDimension, match="no tag key 'nope'"):
        spend(data, fx, Filters.of(where={"tag:nope": ["x"]}))


def test_dimensions_list_columns_then_tag_keys_by_spend(data: DuckDBEngine) -> None:
    names = dimensions(data)
    assert names[0] == "ProviderName" and "tag:team" in names and "tag:owner's" in names
    assert names.index("tag:team") < names.index("tag:owner's")


def test_dimension_values_come_largest_first_with_none_for_not_set(data: DuckDBEngine) -> None:
    assert dimension_values(data, "tag:team") == ["payments", "search", NASTY, None]


def test_two_tag_keys_differing_only_in_case_are_two_dimensions(sample: duckdb.DuckDBPyConnection) -> None:
    frame = spend(DuckDBEngine(sample), load_fx(), EVERYTHING, ["tag:team", "tag:Team"], Metric.BILLED).frame
    assert set(frame.columns) == {"tag:team", "tag:Team", "cost", "shared"}
    raw = sample.execute(
        "SELECT r.BillingCurrency, t.TagValue, sum(r.BilledCost) FROM line_items r "
        "JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId WHERE t.TagKey = 'Team' GROUP BY ALL"
    ).fetchall()
    assert raw
    for currency, value, amount in raw:  # each in its own currency, so nothing is converted
        own = Filters.of(None, None, {"BillingCurrency": [currency], "tag:Team": [value]})
        got = spend(DuckDBEngine(sample), load_fx(), own, [], Metric.BILLED, currency=currency).frame
        assert got["cost"].sum() == pytest.approx(float(amount), abs=0.01)
