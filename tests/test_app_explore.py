"""The Explore page, driven through AppTest on the session's sample database."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.compare import OTHER, UNTAGGED
from analytics.fx import DEFAULT_FX_PATH
from analytics.periods import preset_range
from analytics.store import connect
from tests.app_fixtures import SAMPLE_AS_OF, new_app
from ui import explore, explore_view, filters

pytestmark = pytest.mark.usefixtures("app_db")
LAST_DAY = SAMPLE_AS_OF - dt.timedelta(days=1)  # the sample ends the day before its as-of day; presets anchor there


def total_shown(at: AppTest) -> float:
    """The KPI total, read back from its text ('$1,234.56' / '-€3.00')."""
    text = at.metric[0].value
    negative = text.startswith("-")
    digits = "".join(c for c in text if c.isdigit() or c == ".")
    return -float(digits) if negative else float(digits)


def table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def charts(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def fx_sql_total(db: Path, where: str, params: list, currency: str = "USD", metric: str = "EffectiveCost") -> float:
    """An independent total from the line items: rates read from the CSV with DuckDB, each day's
    amount converted with the latest rate on or before that day (USD is the pivot)."""
    con = connect(db)  # the same settings as the app's read-write connection, so both can be open
    try:
        rates = (
            "SELECT CAST(valid_from AS DATE) AS valid_from, currency, CAST(usd_per_unit AS DOUBLE) AS usd "
            f"FROM read_csv('{DEFAULT_FX_PATH}', header=true, all_varchar=true)"
        )
        to_usd = (
            f"WITH r AS ({rates}) SELECT sum(CAST(l.{metric} AS DOUBLE) * "
            "CASE WHEN l.BillingCurrency = 'USD' THEN 1.0 ELSE (SELECT usd FROM r WHERE r.currency = l.BillingCurrency "
            "AND r.valid_from <= CAST(l.ChargePeriodStart AS DATE) ORDER BY r.valid_from DESC LIMIT 1) END "
            "/ CASE WHEN ? = 'USD' THEN 1.0 ELSE (SELECT usd FROM r WHERE r.currency = ? "
            "AND r.valid_from <= CAST(l.ChargePeriodStart AS DATE) ORDER BY r.valid_from DESC LIMIT 1) END) "
            f"FROM line_items l WHERE {where}"
        )
        row = con.execute(to_usd, [currency, currency, *params]).fetchone()
    finally:
        con.close()
    return float(row[0] or 0.0)


def at_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def app_db_path() -> Path:
    return Path(os.environ["FINOPS_DB"])


def in_range(start: dt.date, end: dt.date) -> tuple[str, list]:
    return "l.ChargePeriodStart >= ? AND l.ChargePeriodStart < ?", [start, end + dt.timedelta(days=1)]


def test_the_explore_page_runs_and_shows_a_total_with_its_currency(app: AppTest) -> None:
    assert not at_errors(app)
    assert app.metric[0].value.startswith("$")
    assert total_shown(app) > 0
    assert app.selectbox(key=explore.GROUP_BY).value == "ServiceName"
    assert app.selectbox(key=explore.METRIC).value == "EffectiveCost"
    assert len(charts(app)) == 2


def test_the_sample_banner_says_how_to_load_your_own_exports(app: AppTest) -> None:
    banner = " ".join(i.value for i in app.info)
    assert "sample data" in banner and "python -m analytics ingest PATH" in banner


def test_the_total_equals_an_independent_sum_of_the_line_items(app: AppTest) -> None:
    start, end = preset_range("last_90_days", LAST_DAY)
    where, params = in_range(start, end)
    assert total_shown(app) == pytest.approx(round(fx_sql_total(app_db_path(), where, params), 2), abs=0.005)


def test_the_total_in_another_currency_and_metric_still_ties_out_to_the_cent() -> None:
    at = new_app({"period": "last_month", "currency": "EUR", "metric": "billed", "ProviderName": "AWS"}).run()
    assert at.metric[0].value.startswith("€")
    start, end = preset_range("last_month", LAST_DAY)
    where, params = in_range(start, end)
    expected = fx_sql_total(app_db_path(), where + " AND l.ProviderName = ?", [*params, "AWS"], "EUR", "BilledCost")
    assert total_shown(at) == pytest.approx(round(expected, 2), abs=0.005)


def test_changing_group_by_to_a_tag_key_changes_the_table(app: AppTest) -> None:
    before = table(app)
    app.selectbox(key=explore.GROUP_BY).set_value("tag:team").run()
    after = table(app)
    assert not at_errors(app)
    assert "tag:team" in after.columns and "ServiceName" not in after.columns
    assert UNTAGGED in set(after["tag:team"])
    assert set(after["tag:team"]) != set(before["ServiceName"])
    cents = 0.005 * (len(before) + len(after))  # each row is rounded to the cent
    assert after["Total (USD)"].sum() == pytest.approx(before["Total (USD)"].sum(), abs=cents)  # same total, other cut
    assert app.query_params["group_by"] == "tag:team"


def test_changing_group_by_to_another_column_changes_the_charts(app: AppTest) -> None:
    app.selectbox(key=explore.GROUP_BY).set_value("RegionId").run()
    time_chart, ranking = charts(app)
    assert time_chart["encoding"]["color"]["title"] == "Region"  # in words (analytics.labels)
    assert ranking["encoding"]["y"]["title"] is None and app.subheader[0].value.endswith("by Region")
    assert any("RegionId" in c.value for c in app.caption)  # the technical name, second
    assert "RegionId" in table(app).columns


def test_changing_the_metric_changes_the_total_and_says_which_metric(app: AppTest) -> None:
    effective = total_shown(app)
    app.selectbox(key=explore.METRIC).set_value("ListCost").run()
    assert total_shown(app) != effective
    assert app.metric[0].label == "Total cost (list prices)"  # in words, not the column name
    assert "List cost" in app.caption[0].value
    assert app.query_params["metric"] == "ListCost"


def test_changing_the_grain_changes_the_time_chart(app: AppTest) -> None:
    assert charts(app)[0]["mark"]["type"] == "area"
    app.selectbox(key=explore.GRAIN).set_value("month").run()
    spec = charts(app)[0]
    assert spec["mark"]["type"] == "bar" and "x2" in spec["encoding"]
    assert app.query_params["grain"] == "month"


def test_a_second_group_by_stacks_the_ranking_and_splits_the_table(app: AppTest) -> None:
    app.selectbox(key=explore.GROUP_BY2).set_value("ProviderName").run()
    ranking = charts(app)[1]
    assert ranking["encoding"]["color"]["title"] == "ProviderName"
    assert {"ServiceName", "ProviderName"} <= set(table(app).columns)
    assert app.query_params["group_by2"] == "ProviderName"


def test_a_filter_narrows_the_total(app: AppTest) -> None:
    everything = total_shown(app)
    app.multiselect(key="filters_provider").set_value(["AWS"]).run()
    narrowed = total_shown(app)
    assert 0 < narrowed < everything
    assert app.query_params["ProviderName"] == "AWS"
    start, end = preset_range("last_90_days", LAST_DAY)
    where, params = in_range(start, end)
    expected = fx_sql_total(app_db_path(), where + " AND l.ProviderName = ?", [*params, "AWS"])
    assert narrowed == pytest.approx(round(expected, 2), abs=0.005)


def test_a_link_reproduces_the_view() -> None:
    query = {
        "group_by": "tag:team",
        "group_by2": "ProviderName",
        "metric": "BilledCost",
        "grain": "week",
        "top": "5",
        "period": "custom",
        "from": "2026-05-01",
        "to": "2026-05-31",
        "ServiceName": ["Amazon Elastic Compute Cloud", "Virtual Machines"],
        "tag:team": ["payments", ""],
    }
    at = new_app(query).run()
    assert not at_errors(at) and not at.warning
    assert at.selectbox(key=explore.GROUP_BY).value == "tag:team"
    assert at.selectbox(key=explore.GROUP_BY2).value == "ProviderName"
    assert at.selectbox(key=explore.METRIC).value == "BilledCost"
    assert at.selectbox(key=explore.GRAIN).value == "week"
    assert at.selectbox(key=explore.TOP).value == 5
    assert at.selectbox(key=filters.PRESET).value == "custom"
    assert at.date_input(key=filters.DATES).value == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert at.multiselect(key="filters_service").value == ["Amazon Elastic Compute Cloud", "Virtual Machines"]
    assert at.multiselect(key="filters_team").value == ["payments", None]
    assert set(table(at)["tag:team"]) <= {"payments", UNTAGGED}
    assert at.query_params == {k: v for k, v in query.items()}
    again = new_app(at.query_params).run()
    assert again.metric[0].value == at.metric[0].value


def test_the_url_follows_the_widgets(app: AppTest) -> None:
    app.selectbox(key=filters.PRESET).set_value("last_month").run()
    app.selectbox(key=filters.CURRENCY).set_value("GBP").run()
    app.multiselect(key="filters_team").set_value([None]).run()
    assert app.query_params["period"] == "last_month"
    assert app.query_params["currency"] == "GBP"
    assert app.query_params["tag:team"] == ""
    assert app.metric[0].value.lstrip("-").startswith("£")


def test_unknown_link_parameters_are_ignored_with_a_warning() -> None:
    at = new_app({"group_by": "tag:no-such-key", "metric": "cheapest", "tag:nope": "x", "period": "forever"}).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "tag:no-such-key" in warnings and "cheapest" in warnings and "tag:nope" in warnings and "forever" in warnings
    assert at.selectbox(key=explore.GROUP_BY).value == "ServiceName"
    assert "tag:nope" not in at.query_params and at.query_params["group_by"] == "ServiceName"


def test_link_text_in_a_warning_is_shown_literally_not_as_markdown() -> None:
    at = new_app({"group_by": "**bold** [x](http://evil) :red[boo]`"}).run()
    warning = at.warning[0].value
    assert "`**bold** [x](http://evil) :red[boo]ʼ`" in warning


def test_untagged_spend_is_its_own_bucket_in_the_table_and_the_charts(app: AppTest) -> None:
    app.selectbox(key=explore.GROUP_BY).set_value("tag:team").run()
    assert UNTAGGED in set(table(app)["tag:team"])
    assert UNTAGGED in charts(app)[1]["encoding"]["y"]["sort"]


def test_the_ranking_keeps_the_top_n_and_folds_the_rest_into_other(app: AppTest) -> None:
    app.selectbox(key=explore.TOP).set_value(5).run()
    shown = charts(app)[1]["encoding"]["y"]["sort"]
    assert len(shown) == 6 and shown[-1] == OTHER
    assert len(table(app)) > 6  # the table keeps every group


def test_a_drill_down_narrows_the_sidebar_filter_to_the_clicked_bar(app: AppTest) -> None:
    everything = total_shown(app)
    top_service = table(app)["ServiceName"].iloc[0]
    app.session_state[filters.DRILL] = ("ServiceName", top_service)  # what a click on the bar requests
    app.run()
    assert app.multiselect(key="filters_service").value == [top_service]
    assert 0 < total_shown(app) < everything
    assert list(table(app)["ServiceName"]) == [top_service]
    assert app.query_params["ServiceName"] == top_service


def test_drilling_into_a_dimension_without_its_own_filter_uses_the_extra_filter(app: AppTest) -> None:
    app.session_state[filters.DRILL] = ("tag:app", None)
    app.run()
    assert app.selectbox(key=filters.MORE_DIMENSION).value == "tag:app"
    assert app.multiselect(key=filters.MORE_VALUES).value == [None]
    assert app.query_params["tag:app"] == ""


def test_the_selection_of_a_clicked_bar_is_read_back_as_its_label() -> None:
    assert explore.picked_label({"selection": {"pick": [{"group": "Amazon S3"}]}}) == "Amazon S3"
    assert explore.picked_label({"selection": {"pick": {"group": ["Amazon S3"]}}}) == "Amazon S3"
    assert explore.picked_label({"selection": {"pick": []}}) is None
    assert explore.picked_label(None) is None


def test_no_spend_for_the_filters_is_said_plainly() -> None:
    at = new_app({"ProviderName": "AWS", "RegionId": "westeurope", "SubAccountName": "no-such-account"}).run()
    assert not at.exception
    assert any("no spend for these filters" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_the_table_downloads_as_csv_with_the_currency_in_its_headers(app: AppTest) -> None:
    button = app.get("download_button")[0]
    assert button.proto.label == "Download CSV"
    shown = table(app)
    back = pd.read_csv(io.BytesIO(explore_view.csv_bytes(shown)))
    assert list(back.columns) == ["ServiceName", "Total (USD)", "Share %", "Previous (USD)", "Change (USD)", "Change %"]
    assert back["Total (USD)"].sum() == pytest.approx(shown["Total (USD)"].sum())


def test_rows_without_an_exchange_rate_are_named_and_left_out_of_the_totals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = tmp_path / "fx_rates.csv"
    rates.write_text("valid_from,currency,usd_per_unit\n2023-01-01,GBP,1.25\n")
    monkeypatch.setattr("ui.data.fx_path", lambda: rates)
    at = new_app({"period": "last_month"}).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "`EUR`" in warning and "left out of every total" in warning
    start, end = preset_range("last_month", LAST_DAY)
    where, params = in_range(start, end)
    usd_only = fx_sql_total(app_db_path(), where + " AND l.BillingCurrency = 'USD'", params)
    assert total_shown(at) == pytest.approx(round(usd_only, 2), abs=0.005)


def test_the_month_still_running_is_marked_partial_on_explore(app_db: Path) -> None:
    at = new_app({"grain": "month", "period": "all"}).run()
    assert not at.exception, [e.value for e in at.exception]
    time_chart = charts(at)[0]  # the sample's data ends the day before as_of: that month is partial
    assert time_chart["encoding"]["opacity"]["scale"]["domain"] == ["Full month", "Month (partial)"]
    assert any(t["field"] == "when" for t in time_chart["encoding"]["tooltip"])  # "Jun 2026 (partial)"
