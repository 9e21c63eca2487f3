"""Ranking against the previous period, top-N + Other bucketing, and the CSV export."""

import io

import pandas as pd
import pytest

from analytics.compare import (
    NOT_SET,
    OTHER,
    UNTAGGED,
    fill_periods,
    labelled,
    order,
    ranking_table,
    to_csv,
    top_n,
)


def frame(**columns):
    return pd.DataFrame(columns)


def test_missing_values_are_labelled_untagged_for_tags_and_not_set_for_columns():
    raw = frame(**{"tag:team": ["a", None], "RegionId": [None, "eu"], "cost": [1.0, 2.0]})
    shown = labelled(raw, ["tag:team", "RegionId"])
    assert list(shown["tag:team"]) == ["a", UNTAGGED]
    assert list(shown["RegionId"]) == [NOT_SET, "eu"]


def test_top_n_keeps_the_largest_groups_and_folds_the_rest_into_other():
    raw = frame(group=["a", "b", "c", "d"], cost=[10.0, 40.0, 5.0, 1.0])
    out = top_n(raw, "group", 2)
    assert dict(zip(out["group"], out["cost"], strict=True)) == {"a": 10.0, "b": 40.0, OTHER: 6.0}
    assert out["cost"].sum() == pytest.approx(raw["cost"].sum())


def test_top_n_keeps_one_other_row_per_period():
    raw = frame(period=[1, 1, 1, 2, 2], group=["a", "b", "c", "b", "c"], cost=[5.0, 3.0, 1.0, 4.0, 2.0])
    out = top_n(raw, "group", 1)
    others = out[out["group"] == OTHER].set_index("period")["cost"].to_dict()
    assert others == {1: 6.0, 2: 2.0}  # b is largest over both periods (7), so a and c are Other


def test_untagged_spend_stays_its_own_bucket_when_it_is_large_enough():
    raw = labelled(frame(**{"tag:team": ["a", None, "b"], "cost": [1.0, 9.0, 2.0]}), ["tag:team"])
    assert order(top_n(raw, "tag:team", 2), "tag:team") == [UNTAGGED, "b", OTHER]


def test_order_puts_other_last_even_when_it_is_largest():
    raw = frame(group=[OTHER, "a"], cost=[100.0, 1.0])
    assert order(raw, "group") == ["a", OTHER]


def test_ranking_table_gives_total_share_previous_and_change():
    now = frame(group=["a", "b"], cost=[60.0, 40.0])
    before = frame(group=["a", "gone"], cost=[50.0, 10.0])
    table = ranking_table(now, before, ["group"]).set_index("group")
    assert list(table.index) == ["a", "b", "gone"]
    assert table.loc["a", "share"] == pytest.approx(0.6)
    assert table.loc["a", "change"] == pytest.approx(10.0)
    assert table.loc["a", "change_pct"] == pytest.approx(0.2)
    assert table.loc["b", "previous"] == 0 and pd.isna(table.loc["b", "change_pct"])
    assert table.loc["gone", "total"] == 0 and table.loc["gone", "change"] == pytest.approx(-10.0)


def test_ranking_table_change_percent_of_a_credit_keeps_the_direction_of_the_change():
    table = ranking_table(frame(group=["c"], cost=[-5.0]), frame(group=["c"], cost=[-10.0]), ["group"])
    assert table.loc[0, "change"] == pytest.approx(5.0)
    assert table.loc[0, "change_pct"] == pytest.approx(0.5)


def test_ranking_table_works_on_two_keys():
    now = frame(a=["x", "x", "y"], b=["p", "q", "p"], cost=[1.0, 2.0, 3.0])
    table = ranking_table(now, now.iloc[0:0], ["a", "b"])
    assert list(table.columns) == ["a", "b", "total", "share", "previous", "change", "change_pct"]
    assert list(zip(table["a"], table["b"], strict=True)) == [("y", "p"), ("x", "q"), ("x", "p")]


def test_fill_periods_adds_zero_rows_for_periods_without_spend():
    raw = frame(period=[1, 3], group=["a", "b"], cost=[2.0, 5.0])
    out = fill_periods(raw, [1, 2, 3], "group")
    assert len(out) == 6
    assert out.set_index(["period", "group"]).loc[(2, "a"), "cost"] == 0


def test_csv_export_defuses_cells_a_spreadsheet_would_run_as_formulas():
    table = frame(group=['=HYPERLINK("x")', "+1", "ok", "-2"], total=[-1.5, 2.0, 3.0, 4.0])
    back = pd.read_csv(io.BytesIO(to_csv(table)))
    assert list(back["group"]) == ['\'=HYPERLINK("x")', "'+1", "ok", "'-2"]
    assert list(back["total"]) == [-1.5, 2.0, 3.0, 4.0]  # numbers stay numbers, negatives too
