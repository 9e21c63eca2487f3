"""User-edited files (budgets, FX rates, unit targets, discount rates, commitment corrections, allocation
weights): a non-finite, absurd or unknown value is refused with the file, line and field, before it
can reach the database; and a page given a bad file says which file is wrong and carries on."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.allocation.rules import RulesError, parse_rules
from analytics.budgets.file import BudgetError, parse
from analytics.commitments.instruments import RatesError, load_rates
from analytics.commitments.inventory import CorrectionsError, load_corrections
from analytics.fx import FxError, load_fx
from analytics.unit_economics.targets import TargetsError, load_targets
from tests.app_fixtures import new_app

BUDGET_HEADER = "owner_dimension,owner,month,amount,currency\n"


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ("tag:team,web,2026-05,1e400,USD", "amount: '1e400' is more than 1,000,000,000,000"),
        ("tag:team,web,2026-05,1e13,USD", "amount: '1e13' is more than"),
        ("tag:team,web,2026-05,inf,USD", "amount: 'inf' is not a finite number"),
        ("tag:team,web,2026-05,-inf,USD", "amount: '-inf' is not a finite number"),
        ("tag:team,web,2026-05,Infinity,USD", "amount: 'Infinity' is not a finite number"),
        ("tag:team,web,2026-05,nan,USD", "amount: 'nan' is not a finite number"),
        ("tag:team,web,2026-05,sNaN,USD", "amount: 'sNaN' is not a finite number"),
        ("tag:team,web,2026-05,-0.01,USD", "amount: '-0.01' must be zero or more"),
        ("tag:team,web,2026-05,1_000,USD", "amount: '1_000' is not a number"),
        ("tag:team,web,2026-05,,USD", "amount: '' is not a number"),
        ("tag:team,web,1999-12,100,USD", "month: '1999-12' is outside 2000-01 to 2099-12"),
        ("tag:team,web,9999-01,100,USD", "month: '9999-01' is outside"),
        ("tag:team,web,2026-13,100,USD", "month: '2026-13' is not a month"),
        ("tag:team,web,2026-05,100,dollars", "currency: 'dollars' is not a 3-letter code"),
        ("tag:team,web,2026-05,100,usd", "currency: 'usd' is not a 3-letter code"),
    ],
)
def test_a_budget_that_is_not_finite_or_absurd_is_refused_with_its_line_and_field(cells: str, problem: str) -> None:
    with pytest.raises(BudgetError) as caught:
        parse(BUDGET_HEADER + cells + "\n", "budgets.csv")
    assert str(caught.value).startswith("budgets.csv, line 2, ") and problem in str(caught.value), caught.value


def test_a_budget_of_a_trillion_is_still_accepted() -> None:
    frame = parse(BUDGET_HEADER + "tag:team,web,2026-05,1e12,USD\n", "budgets.csv")
    assert frame["amount"].tolist() == [1e12]


FX_HEADER = "valid_from,currency,usd_per_unit\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (FX_HEADER + "2026-01-01,EUR,inf\n", "usd_per_unit: 'inf' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,-inf\n", "usd_per_unit: '-inf' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,nan\n", "usd_per_unit: 'nan' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,1e400\n", "usd_per_unit: '1e400' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,0\n", "usd_per_unit: '0' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,-1.1\n", "usd_per_unit: '-1.1' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,1_1\n", "usd_per_unit: '1_1' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,\n", "usd_per_unit: '' is not a positive finite number"),
        (FX_HEADER + "2026-01-01,EUR,1e10\n", "usd_per_unit: 1e10 is outside 1e-09 to 1e+09"),
        (FX_HEADER + "2026-01-01,EUR,1e-12\n", "usd_per_unit: 1e-12 is outside 1e-09 to 1e+09"),
        (
            FX_HEADER + "2026-01-01,EUR,2e6\n",
            "usd_per_unit: 2e6 is outside 1e-06 to 1e+06 USD per unit; if it is right",
        ),
        (FX_HEADER + "2026-01-01,EUR,5e-7\n", "usd_per_unit: 5e-7 is outside 1e-06 to 1e+06"),
        (FX_HEADER + "1999-12-31,EUR,1.1\n", "valid_from: 1999-12-31 is outside 2000-01-01 to 2099-12-31"),
        (FX_HEADER + "2100-01-01,EUR,1.1\n", "valid_from: 2100-01-01 is outside"),
        (FX_HEADER + "0001-01-01,EUR,1.1\n", "valid_from: 0001-01-01 is outside"),
        (FX_HEADER + "2026-01-01,dollars,1.1\n", "currency: 'dollars' is not a 3-letter code"),
        (FX_HEADER.replace("\n", ",confirmed\n") + "2026-01-01,EUR,2e6,maybe\n", "confirmed: 'maybe' must be yes"),
        (FX_HEADER.replace("\n", ",confirmed\n") + "2026-01-01,EUR,2e9,yes\n", "2e9 is outside 1e-09 to 1e+09"),
    ],
)
def test_an_exchange_rate_that_is_not_finite_or_absurd_is_refused_with_its_line_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "fx_rates.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FxError) as caught:
        load_fx(path)
    assert str(caught.value).startswith(f"{path}, line 2, ") and problem in str(caught.value), caught.value


@pytest.mark.parametrize("rate", ["2e6", "5e-7", "1e-8", "9.9e8"])
def test_an_extreme_rate_confirmed_on_its_row_is_used(tmp_path: Path, rate: str) -> None:
    path = tmp_path / "fx_rates.csv"
    path.write_text(f"valid_from,currency,usd_per_unit,confirmed\n2026-01-01,VES,{rate},yes\n2026-01-01,EUR,1.1,\n")
    table = load_fx(path)
    assert table.rates["usd_per_unit"].tolist() == [float(rate), 1.1]
    assert list(table.rates.columns) == ["valid_from", "currency", "usd_per_unit"]


def test_a_factor_too_large_to_convert_leaves_its_amounts_unconverted_rather_than_failing(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "fx_rates.csv"
    path.write_text("valid_from,currency,usd_per_unit,confirmed\n2026-01-01,BIG,9e8,yes\n2026-01-01,TNY,1e-8,yes\n")
    factors = load_fx(path).daily_factors("TNY", dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert set(factors["currency"]) == {"TNY", "USD"}  # BIG would be 9e16 TNY per unit: left out


TARGET_HEADER = "metric,owner_dimension,owner,target,currency\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("orders,,,0.2,dollars", "field currency: 'dollars' is not an ISO code"),
        ("orders,,,0.2,usd", "field currency: 'usd' is not an ISO code"),
        ("orders,,,0.2,XYZ", "field currency: 'XYZ' has no exchange rate; known: EUR, USD"),
        ("orders,,,0.2,", "field currency: empty"),
        ("orders,tag:nobody,web,0.2,USD", "field owner_dimension: 'tag:nobody' is not a dimension of the data"),
        ("orders,,web,0.2,USD", "owner_dimension and owner are both set or both empty"),
        ("orders,tag:team,,0.2,USD", "owner_dimension and owner are both set or both empty"),
        ("orders,,,inf,USD", "field target: 'inf' is not a number >= 0"),
        ("orders,,,nan,USD", "field target: 'nan' is not a number >= 0"),
        ("orders,,,1e400,USD", "field target: '1e400' is not a number >= 0"),
        ("orders,,,1e13,USD", "field target: '1e13' is more than 1e12"),
        ("orders,,,-0.5,USD", "field target: '-0.5' is not a number >= 0"),
    ],
)
def test_a_unit_target_with_an_unknown_currency_or_dimension_is_refused(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "unit_targets.csv"
    path.write_text(TARGET_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(TargetsError) as caught:
        load_targets(path, ["EUR", "USD"], ["tag:team", "ServiceName"])
    assert str(caught.value).startswith(f"{path}: line 2") and problem in str(caught.value), caught.value


def test_a_unit_target_with_a_known_currency_and_dimension_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unit_targets.csv"
    path.write_text(TARGET_HEADER + "orders,,,0.2,EUR\norders,tag:team,web,0.1,USD\n", encoding="utf-8")
    assert load_targets(path, ["EUR", "USD"], ["tag:team"])["target"].tolist() == [0.2, 0.1]


RATES_HEADER = "instrument,term_years,payment,discount_rate,source\n"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("compute-sp,1,no-upfront,nan,x\n", "line 2, discount_rate: nan must be at least 0"),
        ("compute-sp,1,no-upfront,inf,x\n", "line 2, discount_rate: inf must be at least 0"),
        ("compute-sp,1,no-upfront,1,x\n", "line 2, discount_rate: 1.0 must be at least 0 and below 1"),
        ("compute-sp,1,no-upfront,-0.1,x\n", "line 2, discount_rate: -0.1 must be"),
        ("compute-sp,1,no-upfront,0.2,x\ncompute-sp,1,no-upfront,0.3,y\n", "line 3: a second rate for compute-sp"),
    ],
)
def test_a_discount_rate_that_is_not_finite_or_repeated_is_refused(tmp_path: Path, rows: str, problem: str) -> None:
    path = tmp_path / "discount_rates.csv"
    path.write_text(RATES_HEADER + rows, encoding="utf-8")
    with pytest.raises(RatesError) as caught:
        load_rates(path)
    assert problem in str(caught.value) and str(path) in str(caught.value), caught.value


CORRECTIONS_HEADER = "commitment_id,term_months,start,end,note\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("ri-1,12,0001-01-01,,", "line 2, start: 0001-01-01 is outside 2000-01-01 to 2099-12-31"),
        ("ri-1,12,2026-01-01,9999-12-31,", "line 2, end: 9999-12-31 is outside"),
        ("ri-1,0,2026-01-01,,", "line 2, term_months: '0' must be a whole number"),
        ("ri-1,1e3,2026-01-01,,", "line 2, term_months: '1e3' must be a whole number"),
    ],
)
def test_a_commitment_correction_with_an_absurd_date_or_term_is_refused(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "commitments.csv"
    path.write_text(CORRECTIONS_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(CorrectionsError) as caught:
        load_corrections(path)
    assert problem in str(caught.value) and str(path) in str(caught.value), caught.value


POOL = """\
shared_costs:
  - name: Support
    when: {ServiceName: [Support]}
    to: tag:team
    split: fixed
    weights: WEIGHTS
"""


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        ("{a: 99.9999, b: 0.0002}", "the weights add up to 100.0001, not 100"),
        ("{a: 33.3333, b: 33.3333, c: 33.3333}", "the weights add up to 99.9999, not 100"),
        ("{a: 100, A: 0.0001}", "weights name 'a' and 'A', the same owner but for case or alias"),
        ("{Web: 50, WEB: 50}", "weights name 'Web' and 'WEB'"),
        ("{a: .inf}", "weight of 'a' must be a number"),
        ("{a: inf, b: 100}", "weight of 'a' must be a percent above 0, at most 100"),
        ("{a: 1e400}", "weight of 'a' must be a percent above 0, at most 100"),
        ("{a: .nan, b: 100}", "weight of 'a' must be a number"),
        ("{a: nan, b: 100}", "weight of 'a' must be a percent above 0, at most 100"),
        ("{a: 150, b: -50}", "weight of 'a' must be a percent above 0, at most 100"),
        ("{a: 0, b: 100}", "weight of 'a' must be a percent above 0, at most 100"),
    ],
)
def test_allocation_weights_that_are_wrong_say_exactly_why(weights: str, problem: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(POOL.replace("WEIGHTS", weights), "allocation.yaml")
    assert str(caught.value).startswith("allocation.yaml, line ") and problem in str(caught.value), caught.value


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/forecast.py"])
@pytest.mark.parametrize("amount", ["1e400", "inf", "nan"])
def test_a_page_given_a_bad_budgets_file_names_it_and_carries_on(
    app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, amount: str
) -> None:
    path = tmp_path / "budgets.csv"
    path.write_text(BUDGET_HEADER + f"tag:team,web,2026-06,{amount},USD\n", encoding="utf-8")
    monkeypatch.setenv("FINOPS_BUDGETS", str(path))
    at = new_app(page=page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"{path}, line 2, amount: '{amount}'" in t.value for t in at.text), [t.value for t in at.text]
    assert not [e.value for e in at.error if "could not be shown" in e.value]  # the page itself carried on
    assert at.metric  # its figures are drawn
