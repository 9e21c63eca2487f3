"""The user-editable rates file: dated rates, and clear messages for a broken file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics.fx import FxError, load_fx


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fx.csv"
    path.write_text(text)
    return path


def test_a_rate_holds_from_its_date_until_the_next_one(tmp_path: Path) -> None:
    fx = load_fx(write(tmp_path, "valid_from,currency,usd_per_unit\n2026-01-01,EUR,1.10\n2026-02-01,EUR,1.20\n"))
    factors = fx.daily_factors("USD", dt.date(2025, 12, 31), dt.date(2026, 2, 1))
    eur = factors[factors["currency"] == "EUR"].set_index("day")["factor"]
    assert dt.date(2025, 12, 31) not in eur.index
    assert eur[dt.date(2026, 1, 31)] == 1.10 and eur[dt.date(2026, 2, 1)] == 1.20


def test_reporting_in_another_currency_divides_by_its_rate(tmp_path: Path) -> None:
    fx = load_fx(write(tmp_path, "valid_from,currency,usd_per_unit\n2026-01-01,EUR,1.25\n"))
    usd = fx.daily_factors("EUR", dt.date(2026, 1, 1), dt.date(2026, 1, 1)).set_index("currency")["factor"]
    assert usd["USD"] == pytest.approx(0.8) and usd["EUR"] == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,ccy,rate\n", "header must be valid_from,currency,usd_per_unit"),
        ("valid_from,currency,usd_per_unit\n2026-01-01,euro,1.1\n", "line 2, currency: 'euro'"),
        ("valid_from,currency,usd_per_unit\n2026-01-01,EUR,1.1\n01/02/2026,EUR,1.1\n", "line 3, valid_from"),
        ("valid_from,currency,usd_per_unit\n2026-01-01,EUR,-1\n", "line 2, usd_per_unit: '-1'"),
        ("valid_from,currency,usd_per_unit\n2026-01-01,EUR,1\n2026-01-01,EUR,2\n", "line 3: a second rate"),
    ],
)
def test_a_broken_rates_file_names_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(FxError, match=message):
        load_fx(write(tmp_path, text))


def test_the_shipped_rates_cover_the_sample_currencies() -> None:
    assert {"USD", "EUR", "CAD", "GBP"} <= set(load_fx().currencies())
