"""`python -m analytics commitments`: the JSON every script relies on, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.cli import main

KEYS = {
    "coverage", "utilization", "esr", "recommended_hourly_commitment", "conservative_hourly_commitment",
    "estimated_monthly_savings", "estimated_utilization", "estimated_coverage", "break_even_months",
    "lookback_days", "discount_rate",
}  # fmt: skip


@pytest.mark.parametrize(
    "kind", ["compute-sp", "ec2-instance-sp", "ri", "azure-ri", "azure-sp", "gcp-cud", "gcp-flex-cud"]
)
def test_the_json_has_every_key_the_issue_lists(
    sample_copy: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    code = main(["commitments", "--db", str(sample_copy), "--type", kind, "--lookback", "7", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= KEYS
    assert result["lookback_days"] == 7 and result["type"] == kind
    assert result["conservative_hourly_commitment"] <= result["recommended_hourly_commitment"] + 1e-9


def test_a_given_discount_rate_is_the_one_used(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["commitments", "--db", str(sample_copy), "--discount", "0.3", "--term", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["discount_rate"] == pytest.approx(0.3)
    assert {r["source"] for r in result["discount_rates"]} == {"your rate"}


def test_the_text_report_names_coverage_and_the_recommendation(
    sample_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["commitments", "--db", str(sample_copy)]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "recommended" in out and "ESR" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--discount", "1.5"], "--discount"),
        (["--currency", "XYZ"], "--currency"),
        (["--type", "gcp-cud", "--payment", "all-upfront"], "no default rate"),
    ],
)
def test_bad_arguments_get_a_one_line_error(
    sample_copy: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["commitments", "--db", str(sample_copy), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_bad_rates_file_is_named_with_its_line(
    sample_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("instrument,term_years,payment,discount_rate,source\ncompute-sp,1,no-upfront,28%,x\n")
    assert main(["commitments", "--db", str(sample_copy), "--rates", str(rates)]) == 2
    assert "line 2, discount_rate" in capsys.readouterr().err
