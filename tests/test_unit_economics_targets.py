"""Target unit costs: saved per metric, owner dimension and currency; a bad file names line and field."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.unit_economics.targets import TOTAL, TargetsError, gaps, load_targets, save_targets, targets_for


def test_saving_replaces_only_the_same_metric_dimension_and_currency(tmp_path):
    path = tmp_path / "t.csv"
    save_targets(path, "orders", "tag:team", "USD", {TOTAL: 0.3, "ml": 0.05})
    save_targets(path, "seats", "tag:team", "USD", {"ml": 2.0})
    save_targets(path, "orders", "tag:team", "USD", {"ml": 0.04})
    frame = load_targets(path)
    assert targets_for(frame, "orders", "tag:team", "USD") == {"ml": 0.04}
    assert targets_for(frame, "seats", "tag:team", "USD") == {"ml": 2.0}
    assert targets_for(frame, "orders", "tag:team", "EUR") == {}


def test_a_negative_target_is_refused_with_its_line_and_field(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("metric,owner_dimension,owner,target,currency\norders,,,0.2,USD\norders,tag:team,ml,-1,USD\n")
    with pytest.raises(TargetsError, match="line 3, field target: '-1'"):
        load_targets(path)


def test_the_gap_is_unit_cost_minus_target_and_owners_without_one_have_none():
    latest = pd.DataFrame({"owner": [TOTAL, "ml", "sre"], "unit_cost": [0.3, 0.06, 0.02]})
    frame = gaps(latest, {TOTAL: 0.25, "ml": 0.08})
    assert frame["gap"].tolist()[:2] == pytest.approx([0.05, -0.02])
    assert frame["gap_pct"].tolist()[:2] == pytest.approx([0.2, -0.25])
    assert pd.isna(frame["gap"].iloc[2])
