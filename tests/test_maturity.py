"""The FinOps Foundation's crawl / walk / run marks: one table, read the same way for every KPI."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.allocation.coverage import Allocated
from analytics.maturity import GOALS, PRE_CRAWL, Kpi, goals_text, mark


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, PRE_CRAWL), (0.4999, PRE_CRAWL), (0.50, "crawl"), (0.7999, "crawl"), (0.80, "walk"), (0.90, "walk")]
    + [(0.9001, "run"), (1.0, "run")],
)
def test_allocation_earns_crawl_at_half_walk_at_80_percent_and_run_only_above_90(value, expected):
    assert mark(Kpi.ALLOCATED, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5999, PRE_CRAWL), (0.60, "crawl"), (0.7499, "crawl"), (0.75, "walk"), (0.7999, "walk"), (0.80, "run")],
)
def test_commitment_coverage_earns_its_mark_on_reaching_60_75_and_80_percent(value, expected):
    assert mark(Kpi.COVERAGE, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "run"), (0.0499, "run"), (0.05, "walk"), (0.0999, "walk"), (0.10, "crawl"), (0.1999, "crawl")]
    + [(0.20, PRE_CRAWL), (1.5, PRE_CRAWL)],
)
def test_forecast_variance_is_better_lower_and_must_stay_under_each_goal(value, expected):
    assert mark(Kpi.FORECAST_VARIANCE, value) == expected


def test_a_kpi_without_a_figure_has_no_mark():
    assert all(mark(kpi, None) is None for kpi in Kpi)


def test_every_kpi_has_the_three_marks_best_first():
    for kpi in Kpi:
        assert [g.mark for g in GOALS[kpi]] == ["run", "walk", "crawl"]


def test_the_goals_read_crawl_first_with_their_comparison():
    assert goals_text(Kpi.ALLOCATED) == "crawl ≥ 50%, walk ≥ 80%, run > 90%"
    assert goals_text(Kpi.COVERAGE) == "crawl ≥ 60%, walk ≥ 75%, run ≥ 80%"
    assert goals_text(Kpi.FORECAST_VARIANCE) == "crawl < 20%, walk < 10%, run < 5%"


@pytest.mark.parametrize(
    ("allocated", "total", "expected"),
    [(90.0, 100.0, "walk"), (90.01, 100.0, "run"), (1.0, 2.0, "crawl"), (0.0, 0.0, PRE_CRAWL)],
)
def test_the_allocation_report_marks_its_share_from_the_same_table(allocated, total, expected):
    share = Allocated("tag:team", allocated, total, 0.0, by_month=pd.DataFrame())
    assert share.mark == expected
