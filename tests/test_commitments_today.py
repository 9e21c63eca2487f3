"""Commitment figures today: the FOCUS specification's worked scenarios, and the sample company
against independent SQL on the raw line items."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from analytics.commitments import kpis
from analytics.commitments.inventory import CorrectionsError, inventory, load_corrections
from analytics.commitments.today import breakdown, by_type, over_time
from analytics.engine import DuckDBEngine
from analytics.ingest.run import ingest_paths
from analytics.store import connect, reader
from tests.realdata import REALDATA

SCENARIOS = REALDATA / "focus-spec-examples" / "commitment_discount_scenarios"
DAY = dt.date(2023, 1, 1)


def _load_scenario(tmp_path: Path, *names: str) -> DuckDBEngine:
    """The spec's rows in one file (one billing period of one account: a second file of the same
    period would replace the first), plus the four columns a FOCUS file must have to load."""
    con = connect(tmp_path / "spec.duckdb")
    rows: list[dict[str, str]] = []
    for name in names:
        with (SCENARIOS / name).open(newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    extra = {
        "BillingAccountId": "acct",
        "BillingCurrency": "USD",
        "ServiceName": "Compute",
        "ProviderName": "TinyCloud",
    }
    columns = list(dict.fromkeys(key for r in rows for key in r))
    out = tmp_path / "scenario.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*columns, *extra], restval="")
        writer.writeheader()
        writer.writerows({**r, **extra} for r in rows)
    ingest_paths(con, [str(out)], "focus")
    return DuckDBEngine(con)


@pytest.mark.parametrize(
    ("scenario", "utilization", "coverage"),
    [
        ("commitment_discount_usage_scenario_1.csv", 1.0, 1.0),  # fully used
        ("commitment_discount_usage_scenario_2.csv", 0.0, None),  # nothing ran: coverage undefined
        ("commitment_discount_usage_scenario_3.csv", 0.75, 1.0),  # $0.75 of $1.00 used
        ("commitment_discount_usage_scenario_4.csv", 1.0, 1.0 / 1.5),  # fully used, $0.50 overage on demand
    ],
)
def test_the_focus_spec_scenarios_give_the_utilisation_and_coverage_they_describe(
    tmp_path: Path, scenario: str, utilization: float, coverage: float | None
) -> None:
    figures = kpis(_load_scenario(tmp_path, scenario), DAY, DAY)
    assert figures.utilization == pytest.approx(utilization)
    assert figures.coverage == (None if coverage is None else pytest.approx(coverage))


def test_a_purchase_row_is_never_counted_as_spend_beside_its_amortised_usage(tmp_path: Path) -> None:
    # All-upfront purchase of 8,760 USD plus one hour fully used: the hour costs $1, not $8,761.
    engine = _load_scenario(
        tmp_path, "commitment_discount_purchase_scenario_1.csv", "commitment_discount_usage_scenario_1.csv"
    )
    figures = kpis(engine, DAY, DAY)
    assert figures.commitment_cost == pytest.approx(1.0)
    assert figures.utilization == pytest.approx(1.0)
    assert figures.esr == pytest.approx(0.0)  # no list or contracted price: amortised cost is the ODE


def test_the_inventory_reads_the_term_from_the_one_time_purchase(tmp_path: Path) -> None:
    engine = _load_scenario(
        tmp_path, "commitment_discount_purchase_scenario_1.csv", "commitment_discount_usage_scenario_1.csv"
    )
    row = inventory(engine).iloc[0]
    assert row["term_months"] == 12
    assert row["estimated_end"] == dt.datetime(2024, 1, 1)
    assert row["hourly_commitment"] == pytest.approx(1.0)


def _raw(path: Path, sql: str, params: list[object]) -> float:
    con = reader(path)
    try:
        return float(con.execute(sql, params).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


# Independent: on the raw line items (not the rollup) of one provider, with the ODE taken per row.
_ESR_SQL = """
WITH elig AS (SELECT DISTINCT ProviderName, ServiceName FROM line_items
              WHERE ChargeCategory = 'Usage' AND PricingCategory = 'Committed' AND CommitmentDiscountStatus = 'Used'),
rows AS (SELECT l.* FROM line_items l WHERE l.ProviderName = ? AND l.ChargeCategory = 'Usage'
         AND l.ChargePeriodStart >= ? AND l.ChargePeriodStart < ?)
SELECT (SUM(COALESCE(NULLIF(ContractedCost, 0), ListCost)) FILTER (WHERE e.ServiceName IS NOT NULL
            AND PricingCategory IN ('Standard', 'Committed') AND COALESCE(CommitmentDiscountStatus, '') <> 'Unused')
        - SUM(EffectiveCost) FILTER (WHERE (e.ServiceName IS NOT NULL
            AND PricingCategory IN ('Standard', 'Committed')) OR CommitmentDiscountStatus = 'Unused'))
     / SUM(COALESCE(NULLIF(ContractedCost, 0), ListCost)) FILTER (WHERE e.ServiceName IS NOT NULL
            AND PricingCategory IN ('Standard', 'Committed') AND COALESCE(CommitmentDiscountStatus, '') <> 'Unused')
FROM rows r LEFT JOIN elig e USING (ProviderName, ServiceName)
"""


def test_the_effective_savings_rate_of_the_sample_matches_independent_sql(sample_copy: Path) -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2026, 5, 31)
    con = connect(sample_copy, read_only=True)
    try:
        engine = DuckDBEngine(con)
        aws = breakdown(engine, start, end, "ProviderName").set_index("ProviderName").loc["AWS"]
    finally:
        con.close()
    bounds: list[object] = [dt.datetime(2026, 4, 1), dt.datetime(2026, 6, 1)]
    assert aws["esr"] == pytest.approx(_raw(sample_copy, _ESR_SQL, ["AWS", *bounds]), abs=1e-9)  # AWS bills in USD
    unused = _raw(
        sample_copy,
        "SELECT sum(EffectiveCost) FROM line_items WHERE ProviderName = 'AWS' AND CommitmentDiscountStatus = 'Unused' "
        "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?",
        bounds,
    )
    assert round(aws["unused"], 2) == round(unused, 2)
    assert 0 < aws["esr"] < aws["esr_list"] < 1  # list prices add the negotiated discount on top


def test_the_whole_company_figures_are_the_sum_of_the_providers(sample_copy: Path) -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2026, 6, 14)
    con = connect(sample_copy, read_only=True)
    try:
        engine = DuckDBEngine(con)
        whole = kpis(engine, start, end)
        parts = breakdown(engine, start, end, "ProviderName")
        monthly = over_time(engine, start, end, "month")
        types = by_type(engine, start, end)
    finally:
        con.close()
    assert whole.eligible_ode == pytest.approx(parts["eligible_ode"].sum())
    assert whole.unused == pytest.approx(monthly["unused"].sum())
    assert whole.coverage == pytest.approx(types["coverage"].sum())  # each covered dollar has one type
    assert 0 < whole.coverage <= 1 and 0.5 < whole.utilization <= 1  # type: ignore[operator]


def test_a_date_range_the_wrong_way_round_is_refused(engine: DuckDBEngine) -> None:
    with pytest.raises(ValueError, match="after"):
        kpis(engine, DAY, DAY - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("commitment_id,term_months,start,end,note\nabc,twelve,,,\n", "line 2, term_months"),
        ("commitment_id,term_months,start,end,note\nabc,12,2026-13-01,,\n", "line 2, start"),
        ("commitment_id,term_months,start,end,note\nabc,,2026-05-01,2026-04-01,\n", "line 2, end"),
        ("commitment_id,term_months,start,end,note\nabc,12,,,\nabc,36,,,\n", "line 3, commitment_id"),
        ("id,term\nabc,12\n", "header must be"),
    ],
)
def test_a_bad_corrections_file_is_refused_naming_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "commitments.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorrectionsError, match=message):
        load_corrections(path)


def test_a_user_correction_sets_the_end_of_a_commitment(tmp_path: Path) -> None:
    engine = _load_scenario(tmp_path, "commitment_discount_usage_scenario_1.csv")
    path = tmp_path / "commitments.csv"
    path.write_text("commitment_id,term_months,start,end,note\n<my-commitment-discount-id>,36,2022-06-01,,\n")
    row = inventory(engine, load_corrections(path)).iloc[0]
    assert row["estimated_end"] == dt.datetime(2025, 6, 1)
    assert row["end_basis"] == "commitments.csv (term)"


def test_the_shipped_corrections_file_holds_no_rows() -> None:
    assert load_corrections() == {}


def test_the_inventory_read_from_the_write_time_rollup_is_the_line_items_own(sample_copy: Path, tmp_path: Path) -> None:
    from analytics.allocation.apply import apply_rules
    from analytics.allocation.rules import EMPTY
    from analytics.commitments import rollup
    from tests.store_state import copy_store

    con = connect(copy_store(sample_copy, tmp_path / "mine"))  # a write session on a copy of our own
    try:
        engine = DuckDBEngine(con)
        con.execute("DELETE FROM meta WHERE key = ?", [rollup.STAMP_KEY])
        assert rollup.source(engine) != rollup.TABLE
        from_lines = inventory(engine, None, None, "EUR")
        apply_rules(con, EMPTY)  # every write path re-applies the allocation, which rebuilds the rollup
        assert rollup.source(engine) == rollup.TABLE
        from_rollup = inventory(engine, None, None, "EUR")
        assert len(from_lines) > 0
        for column in ("id", "name", "account", "used_cost", "unused_cost", "hourly_commitment", "utilization",
                       "realized_discount", "first_seen", "last_seen", "estimated_end", "end_basis"):  # fmt: skip
            assert from_rollup[column].equals(from_lines[column]), column
        # Sources changed without the rollup being rebuilt: it is not read (slower, never wrong).
        con.execute("DELETE FROM sources WHERE x_SourceId = (SELECT max(x_SourceId) FROM sources)")
        assert rollup.source(engine) != rollup.TABLE
    finally:
        con.close()
