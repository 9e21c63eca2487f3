"""Date presets turn into whole UTC days anchored on the last day with data."""

import datetime as dt

import pytest

from analytics.periods import (
    PRESETS,
    clamp_range,
    describe_range,
    last_full_month,
    month_end,
    month_start,
    period_starts,
    preset_range,
)

ANCHOR = dt.date(2026, 6, 15)
FIRST = dt.date(2025, 5, 1)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("month_to_date", dt.date(2026, 6, 1), ANCHOR),
        ("last_month", dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
        ("last_30_days", dt.date(2026, 5, 17), ANCHOR),
        ("last_90_days", dt.date(2026, 3, 18), ANCHOR),
        ("last_12_months", dt.date(2025, 7, 1), ANCHOR),
        ("year_to_date", dt.date(2026, 1, 1), ANCHOR),
        ("all", FIRST, ANCHOR),
    ],
)
def test_each_preset_ends_on_the_anchor_day_and_starts_where_its_name_says(preset, start, end):
    assert preset_range(preset, ANCHOR, FIRST) == (start, end)


def test_last_30_and_90_days_count_the_anchor_day_itself():
    for preset, days in (("last_30_days", 30), ("last_90_days", 90)):
        start, end = preset_range(preset, ANCHOR)
        assert (end - start).days + 1 == days


def test_last_month_in_january_is_december_of_the_year_before():
    assert preset_range("last_month", dt.date(2026, 1, 9)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))


def test_last_month_handles_a_leap_february():
    assert preset_range("last_month", dt.date(2024, 3, 31)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def test_last_12_months_covers_twelve_calendar_months_including_the_anchor_month():
    start, end = preset_range("last_12_months", dt.date(2026, 1, 20))
    assert start == dt.date(2025, 2, 1) and end == dt.date(2026, 1, 20)


def test_all_without_a_first_day_is_just_the_anchor_day():
    assert preset_range("all", ANCHOR) == (ANCHOR, ANCHOR)


def test_custom_and_unknown_presets_have_no_range_of_their_own():
    assert "custom" in PRESETS
    with pytest.raises(ValueError, match="unknown date preset"):
        preset_range("custom", ANCHOR)
    with pytest.raises(ValueError):
        preset_range("last_fortnight", ANCHOR)


def test_a_custom_range_is_put_in_order_and_kept_inside_the_data():
    first, last = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    assert clamp_range(dt.date(2026, 2, 10), dt.date(2026, 2, 1), first, last) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 10),
    )
    assert clamp_range(dt.date(2025, 1, 1), dt.date(2027, 1, 1), first, last) == (first, last)
    assert clamp_range(dt.date(2027, 1, 1), dt.date(2027, 2, 1), first, last) == (last, last)


def test_period_starts_follow_the_same_cut_as_the_queries():
    start, end = dt.date(2026, 1, 28), dt.date(2026, 3, 2)
    assert period_starts(start, end, "month") == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    weeks = period_starts(start, end, "week")
    assert (
        weeks[0] == dt.date(2026, 1, 26) and all(d.weekday() == 0 for d in weeks) and weeks[-1] == dt.date(2026, 3, 2)
    )
    assert len(period_starts(start, end, "day")) == 34
    with pytest.raises(ValueError):
        period_starts(start, end, "hour")


def test_describe_range_says_the_days_and_their_number():
    assert describe_range(dt.date(2026, 3, 1), dt.date(2026, 5, 31)) == "1 Mar – 31 May 2026 (92 days)"
    assert describe_range(dt.date(2025, 12, 31), dt.date(2026, 1, 1)) == "31 Dec 2025 – 1 Jan 2026 (2 days)"
    assert describe_range(ANCHOR, ANCHOR).endswith("(1 day)")


def test_month_start_walks_back_and_forward_across_years_like_the_calendar():
    day = dt.date(2026, 2, 17)
    expected, year, month = [], 2026, 2
    for _ in range(30):  # walked by hand, one month at a time
        expected.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    assert [month_start(day, back) for back in range(30)] == expected
    assert month_start(day, -11) == dt.date(2027, 1, 1)


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (dt.date(2024, 2, 3), dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 28), dt.date(2025, 2, 28)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 4, 30), dt.date(2026, 4, 30)),
    ],
)
def test_month_end_is_the_last_calendar_day_of_the_month(day, end):
    assert month_end(day) == end == (dt.date(day.year + day.month // 12, day.month % 12 + 1, 1) - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("last", "full"),
    [
        (dt.date(2026, 6, 15), dt.date(2026, 5, 1)),
        (dt.date(2026, 6, 30), dt.date(2026, 6, 1)),
        (dt.date(2026, 1, 1), dt.date(2025, 12, 1)),
        (dt.date(2024, 2, 29), dt.date(2024, 2, 1)),
        (dt.date(2024, 2, 28), dt.date(2024, 1, 1)),
    ],
)
def test_the_last_full_month_is_the_data_s_own_month_only_when_its_last_day_is_loaded(last, full):
    assert last_full_month(last) == full
