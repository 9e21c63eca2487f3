"""The Unit economics page through AppTest, on the session's sample company (orders and active
users, company-wide)."""

from __future__ import annotations

import json

import pytest

from analytics.store import connect
from tests.app_fixtures import new_app, pristine_sample

PAGE = "app_pages/unit_economics.py"


@pytest.fixture
def targets(tmp_path, monkeypatch):
    path = tmp_path / "unit_targets.csv"
    monkeypatch.setenv("FINOPS_UNIT_TARGETS", str(path))
    return path


def open_page():
    at = new_app()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def unit_tile(at):
    return next(m for m in at.metric if m.label.startswith("Unit cost per"))


def test_the_page_shows_unit_cost_cost_and_the_metric_with_the_change_split(app_db, targets):
    at = open_page()
    assert unit_tile(at).label == "Unit cost per order"  # one order, not "orders"
    assert unit_tile(at).value.startswith("$")
    # Tile labels are short enough not to be cut, in people's words; the period is said under them.
    assert [m.label for m in at.metric][1:3] == ["Cost (amortised)", "Orders, total"]
    assert all(len(m.label) <= 28 for m in at.metric), [m.label for m in at.metric]
    assert any(c.value.startswith("Tiles: wk ") and "last whole week" in c.value for c in at.caption)
    assert len(charts(at)) == 4  # unit cost, cost, the metric, the waterfall
    split = at.dataframe[0].value
    assert list(split["owner"])[-1] == "Total"
    for row in split.to_dict("records"):
        assert row["cost_grew"] + row["volume_grew"] == pytest.approx(row["change"], abs=1e-12)


def test_the_grain_and_metric_drive_the_figures(app_db, targets):
    at = open_page()
    weekly = unit_tile(at).value
    at.selectbox(key="unit_grain").set_value(at.selectbox(key="unit_grain").options[2]).run()
    assert not at.exception
    assert not any(c.value.startswith("Tiles: wk ") for c in at.caption)
    at.selectbox(key="unit_metric").set_value("active_users").run()
    assert not at.exception
    assert unit_tile(at).label == "Unit cost per active user"
    assert unit_tile(at).value != weekly


def test_a_saved_target_shows_its_gap(app_db, targets):
    targets.write_text("metric,owner_dimension,owner,target,currency\norders,,,0.01,USD\n")
    at = open_page()
    gaps = at.dataframe[1].value
    total = gaps[gaps["shown"] == "Total"].iloc[0]
    assert total["target"] == 0.01
    assert total["gap"] == pytest.approx(total["unit_cost"] - 0.01, abs=1e-12)
    assert total["gap_pct"] == pytest.approx(100 * total["gap"] / 0.01)  # shown in percent
    layers = charts(at)[0]["layer"]
    assert any(layer.get("mark", {}).get("type") == "rule" for layer in layers)  # the target, dashed


def test_without_metrics_the_page_says_how_to_load_them(sample_db, tmp_path, monkeypatch, targets):
    copy = tmp_path / "no-metrics.duckdb"
    pristine_sample(copy)
    con = connect(copy)
    con.execute("DELETE FROM business_metrics")
    con.close()
    monkeypatch.setenv("FINOPS_DB", str(copy))
    at = open_page()
    assert any("No business metrics are loaded" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_the_owner_dimension_is_named_in_words_in_the_picker_charts_and_tables(app_db, targets):
    at = open_page()
    picker = at.selectbox(key="unit_by")
    index, shown = next((i, o) for i, o in enumerate(picker.options) if " · alloc:" in o or " · tag:" in o)
    words = shown.split(" · ")[0]
    assert ":" not in words  # the words first, then the technical name
    picker.select_index(index).run()
    assert not at.exception, [e.value for e in at.exception]
    title = json.loads(at.dataframe[0].proto.columns)["owner"]["label"]
    assert title == words
    cost_chart = charts(at)[1]
    assert cost_chart["encoding"]["color"]["title"] == words
