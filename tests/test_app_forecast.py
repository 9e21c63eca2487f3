"""The Forecast page through AppTest, on the session's sample company."""

from __future__ import annotations

import re

from tests.app_fixtures import new_app

PAGE = "app_pages/forecast.py"


def test_the_page_says_once_how_the_month_and_quarter_intervals_were_made(app_db) -> None:
    at = new_app(page=PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if c.value.startswith("Black: actual."))
    # The sample's last month ends its quarter: both intervals are made alike, and that is said once.
    methods = re.findall(r"backtest: \d+ past \d+-day totals", caption)
    assert methods and len(methods) == len(set(methods)), caption
