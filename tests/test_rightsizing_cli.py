"""`python -m analytics rightsizing --json` on the sample company: the shape the issue asks for, and
savings checked against sums computed here, on the raw line items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.store import reader

PROJECT = Path(__file__).resolve().parents[1]
HOURS_PER_MONTH = 730
pytestmark = pytest.mark.slow  # each test runs the command line in a new process


def rightsizing(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "analytics", "rightsizing", "--db", str(db), *args]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def db(sample_copy: Path) -> Path:
    return sample_copy


@pytest.fixture(scope="module")
def output(db: Path) -> dict:
    done = rightsizing(db, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_json_has_recommendations_and_their_total(output):
    assert set(output) >= {"recommendations", "total_monthly_savings"}
    recs = output["recommendations"]
    assert recs
    for rec in recs:
        assert set(rec) >= {"resource_id", "current", "proposed", "action", "monthly_savings", "risk"}
        assert rec["action"] in {"downsize", "move", "terminate", "keep", "insufficient_data"}
        assert (rec["proposed"] is not None) == (rec["action"] in ("downsize", "move"))
        assert isinstance(rec["monthly_savings"], float)
        assert rec["risk"] in {"very_low", "low", "medium", "high", None}
    assert output["total_monthly_savings"] == pytest.approx(sum(r["monthly_savings"] for r in recs), abs=0.005)
    assert {r["action"] for r in recs} >= {"terminate", "downsize"}  # the sample has an idle and an oversized VM


def test_cash_savings_leave_out_the_savings_on_hours_under_commitments(output):
    recs = output["recommendations"]
    committed = sum(r["committed_savings"] or 0.0 for r in recs)
    assert committed > 0  # the sample runs some measured VMs under commitments
    assert output["cash_monthly_savings"] == pytest.approx(output["total_monthly_savings"] - committed, abs=0.005)
    shares = [r for r in recs if r["committed_share"]]
    assert all(
        r["committed_savings"] == pytest.approx(r["monthly_savings"] * r["committed_share"], abs=0.01) for r in shares
    )


def window_hours_and_cost(db: Path, output: dict, resource_id: str) -> tuple[float, float]:
    con = reader(db)
    try:
        cost, last = con.execute(
            """SELECT sum(EffectiveCost), (SELECT max(CAST(ChargePeriodStart AS DATE)) FROM line_items)
               FROM line_items WHERE ResourceId = ? AND PricingUnit = 'Hours' AND ChargeCategory = 'Usage'
               AND CAST(ChargePeriodStart AS DATE) BETWEEN ? AND ?""",
            [resource_id, output["lookback"]["from"], output["lookback"]["to"]],
        ).fetchone()
    finally:
        con.close()
    first = output["lookback"]["from"]
    import datetime as dt

    end = min(dt.date.fromisoformat(output["lookback"]["to"]), last)
    return ((end - dt.date.fromisoformat(first)).days + 1) * 24, float(cost)


def test_an_idle_resource_saves_its_own_monthly_cost_computed_from_the_line_items(db, output):
    idle = next(r for r in output["recommendations"] if r["action"] == "terminate" and r["provider"] == "aws")
    hours, cost = window_hours_and_cost(db, output, idle["resource_id"])
    assert idle["monthly_savings"] == pytest.approx(cost * HOURS_PER_MONTH / hours, abs=0.01)


def test_a_downsize_saves_the_list_price_share_of_its_cost(db):
    done = rightsizing(db, "--json")
    output = json.loads(done.stdout)
    down = next(r for r in output["recommendations"] if r["action"] in ("downsize", "move") and r["provider"] == "gcp")
    hours, cost = window_hours_and_cost(db, output, down["resource_id"])
    con = reader(db)
    try:
        prices = dict(
            con.execute(
                "SELECT SkuMeter, max(ListUnitPrice) FROM line_items WHERE ProviderName = 'Google Cloud' "
                "AND PricingUnit = 'Hours' GROUP BY 1"
            ).fetchall()
        )
        currencies = con.execute(
            "SELECT DISTINCT BillingCurrency FROM line_items WHERE ResourceId = ?", [down["resource_id"]]
        ).fetchall()
    finally:
        con.close()
    assert currencies == [("USD",)]  # billed in the reporting currency: no conversion in the check
    vcpu = {"n2-standard-8": 8, "n2-standard-16": 16, "n2-standard-32": 32, "n2-standard-48": 48}
    current = prices[down["current"]]
    proposed = prices.get(down["proposed"], current * vcpu[down["proposed"]] / vcpu[down["current"]])
    expected = cost * (1 - proposed / current) * HOURS_PER_MONTH / hours
    assert down["monthly_savings"] == pytest.approx(expected, abs=0.01)


def test_bad_settings_exit_2_with_a_one_line_error(db):
    done = rightsizing(db, "--percentile", "120")
    assert done.returncode == 2
    assert done.stderr.startswith("error: percentile 120")
    done = rightsizing(db, "--families", "zz9")
    assert done.returncode == 2 and "unknown famil" in done.stderr
