"""Anomalies on the sample company: the injected ones are found, dated, sized and attributed to the
right service, account and resource (checked with SQL on the raw line items), with few false alarms."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.anomalies import Settings, detect, explain, find_events
from analytics.anomalies.events import Event, events_of, merge_related
from analytics.cli import main
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.store import connect
from tests.store_state import copy_store
from tests.test_forecast_company import company_db  # noqa: F401


@pytest.fixture(scope="module")
def found(company_db: Path) -> tuple[list[Event], list[dict]]:  # noqa: F811
    con = connect(company_db, read_only=True)
    try:
        engine = DuckDBEngine(con)
        events = find_events(engine, load_fx())
        for event in events:
            event.root_cause = explain(engine, load_fx(), event)
        injected = json.loads(con.execute("SELECT value FROM meta WHERE key = 'sample_anomalies'").fetchone()[0])
    finally:
        con.close()
    return events, injected


def _window(anomaly: dict) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(anomaly["start"]), dt.date.fromisoformat(anomaly["end"])


def _top_resource(company_db: Path, anomaly: dict) -> str:  # noqa: F811
    """The resource of the anomaly's service and account whose spend rose most in its window over its
    daily average of the four weeks before: straight from line_items."""
    start, end = _window(anomaly)
    con = connect(company_db, read_only=True)
    try:
        row = con.execute(
            """
            SELECT ResourceId,
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart >= ?) -
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart < ?) / 28 * ? AS rise
            FROM line_items
            WHERE ServiceName = ? AND SubAccountId = ? AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY 1 ORDER BY rise DESC LIMIT 1
            """,
            [
                dt.datetime.combine(start, dt.time()),
                dt.datetime.combine(start, dt.time()),
                (end - start).days + 1,
                anomaly["service"],
                anomaly["account_id"],
                dt.datetime.combine(start - dt.timedelta(days=28), dt.time()),
                dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
            ],
        ).fetchone()
    finally:
        con.close()
    return str(row[0])


@pytest.mark.slow
def test_every_injected_anomaly_is_found_with_its_dates_and_size(found) -> None:
    events, injected = found
    assert len(injected) == 2
    for anomaly in injected:
        start, end = _window(anomaly)
        match = [e for e in events if e.dimension == "ServiceName" and e.value == anomaly["service"]]
        match = [e for e in match if e.start <= end and start <= e.end]
        assert len(match) == 1, anomaly
        event = match[0]
        assert (event.start, event.end) == (start, end)
        injected_total = anomaly["extra_cost_per_day"] * ((end - start).days + 1)
        assert abs(event.impact - injected_total) / injected_total < 0.15
        assert event.impact == pytest.approx(event.actual - event.expected)


@pytest.mark.slow
def test_every_injected_anomaly_is_attributed_to_its_service_account_and_resource(found, company_db: Path) -> None:  # noqa: F811
    events, injected = found
    for anomaly in injected:
        start, end = _window(anomaly)
        event = next(e for e in events if e.value == anomaly["service"] and e.start <= end and start <= e.end)
        causes = {c.dimension: c for c in event.root_cause}
        assert causes["ServiceName"].value == anomaly["service"]
        assert causes["SubAccountName"].value == anomaly["account"]
        assert causes["ResourceId"].value == _top_resource(company_db, anomaly)
        assert causes["ResourceId"].contribution > 0  # the largest resource; others of the service rose too
        contributions = [c.contribution for c in event.root_cause]
        assert contributions == sorted(contributions, reverse=True)


@pytest.mark.slow
def test_the_same_incident_seen_by_account_and_team_is_one_event(found) -> None:
    events, injected = found
    bigquery = next(e for e in events if e.value == "BigQuery")
    assert ("SubAccountName", "data-prod") in bigquery.also_seen_in
    assert not [e for e in events if e.dimension == "SubAccountName" and e.value == "data-prod" and e.open]


@pytest.mark.slow
def test_few_false_alarms_on_the_rest_of_the_year(found) -> None:
    events, injected = found
    windows = [_window(a) for a in injected]
    others = [e for e in events if not any(e.start <= end and start <= e.end for start, end in windows)]
    # 13 months of a 12-team company: fewer than one a month (the sample's launches of new workloads
    # are real step changes, which AWS would report as anomalies too).
    assert len(others) <= 12, [(e.dimension, e.value, e.start) for e in others]
    assert all(e.impact > 0 for e in events)


def test_a_flat_series_with_one_spike_gives_one_event_with_actual_minus_expected() -> None:
    days = pd.date_range("2026-01-01", periods=120, freq="D")
    rng = np.random.default_rng(1)
    values = 1000 + rng.normal(0, 10, len(days))
    values[100:102] += 600
    matrix = pd.DataFrame({"Svc": values, "Quiet": np.full(len(days), 5.0)}, index=days)
    scored = detect(matrix, Settings())
    events = events_of(scored, "ServiceName", "USD", days[-1].date())
    assert [(e.value, e.start, e.end) for e in events] == [("Svc", days[100].date(), days[101].date())]
    assert events[0].impact == pytest.approx(1200, rel=0.05)
    assert not events[0].open


def test_spikes_under_the_money_gate_are_not_reported() -> None:
    days = pd.date_range("2026-01-01", periods=120, freq="D")
    values = np.full(len(days), 40.0)
    values[100] = 80.0  # doubles, but $40 is under the $50 gate
    scored = detect(pd.DataFrame({"Small": values}, index=days), Settings())
    assert not scored.flagged.to_numpy().any()


def test_an_event_much_larger_than_the_overlapping_service_event_stays_separate() -> None:
    day = dt.date(2026, 5, 1)
    service = Event("ServiceName", "A", day, day, 100.0, 300.0, 9.0, "USD", True)
    account = Event("SubAccountName", "acct", day, day, 100.0, 1100.0, 9.0, "USD", True)
    team = Event("tag:team", "t", day, day, 100.0, 250.0, 9.0, "USD", True)
    merged = merge_related([service, account, team])
    assert [(e.dimension, e.value) for e in merged] == [("SubAccountName", "acct"), ("ServiceName", "A")]
    assert service.also_seen_in == [("tag:team", "t")]


@pytest.mark.slow
def test_the_cli_lists_events_with_their_root_cause(company_db: Path, capsys) -> None:  # noqa: F811
    assert main(["anomalies", "--db", str(company_db), "--from", "2026-11-01", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert events and all(e["end"] >= "2026-11-01" for e in events)
    first = events[0]
    assert set(first) >= {"start", "end", "dimension", "value", "expected", "actual", "impact", "root_cause"}
    assert set(first["root_cause"][0]) >= {"dimension", "value", "contribution"}
    assert first["impact"] == pytest.approx(first["actual"] - first["expected"], abs=0.011)


def test_the_cli_refuses_a_range_that_ends_before_it_starts(company_db: Path, capsys) -> None:  # noqa: F811
    assert main(["anomalies", "--db", str(company_db), "--from", "2026-11-02", "--to", "2026-11-01"]) == 2
    assert "after" in capsys.readouterr().err


@pytest.mark.slow
def test_a_date_range_lists_the_events_that_reach_into_it_with_the_same_figures(found, company_db: Path) -> None:  # noqa: F811
    events, _ = found
    start = dt.date(2026, 10, 1)
    con = connect(company_db, read_only=True)
    try:
        ranged = find_events(DuckDBEngine(con), load_fx(), start=start)
    finally:
        con.close()
    key = lambda e: (e.dimension, e.value, e.start, e.end, round(e.impact, 2))  # noqa: E731
    assert sorted(map(key, ranged)) == sorted(key(e) for e in events if e.end >= start)


@pytest.mark.slow
def test_a_resources_expected_is_its_share_of_the_series_baseline_down_the_whole_drill_path(
    found,
    company_db: Path,  # noqa: F811
) -> None:
    events, injected = found
    con = connect(company_db, read_only=True)
    try:
        for anomaly in injected:
            start, end = _window(anomaly)
            event = next(e for e in events if e.value == anomaly["service"] and e.start <= end and start <= e.end)
            cause = next(c for c in event.root_cause if c.dimension == "ResourceId")
            days = (event.end - event.start).days + 1
            # Straight from line_items (the services are billed in USD): the resource's actual in the
            # event and its daily average over the 28 days before, scaled to the event's days by the
            # ratio of the event's expected to the service's own 28-day average.
            currencies, resource_base, resource_actual, service_base = con.execute(
                """
                SELECT list(DISTINCT BillingCurrency),
                       coalesce(sum(EffectiveCost) FILTER (WHERE ResourceId = ? AND ChargePeriodStart < ?), 0),
                       coalesce(sum(EffectiveCost) FILTER (WHERE ResourceId = ? AND ChargePeriodStart >= ?), 0),
                       sum(EffectiveCost) FILTER (WHERE ChargePeriodStart < ?)
                FROM line_items
                WHERE ServiceName = ? AND ChargeCategory NOT IN ('Purchase', 'Tax', 'Credit')
                  AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
                """,
                [
                    cause.value,
                    dt.datetime.combine(event.start, dt.time()),
                    cause.value,
                    dt.datetime.combine(event.start, dt.time()),
                    dt.datetime.combine(event.start, dt.time()),
                    anomaly["service"],
                    dt.datetime.combine(event.start - dt.timedelta(days=28), dt.time()),
                    dt.datetime.combine(event.end + dt.timedelta(days=1), dt.time()),
                ],
            ).fetchone()
            assert currencies == ["USD"]
            service_daily = float(service_base) / 28
            resource_daily = float(resource_base) / 28
            expected = days * resource_daily * (event.expected / (days * service_daily))
            assert cause.expected == pytest.approx(expected, abs=0.01)
            assert cause.actual == pytest.approx(float(resource_actual), abs=0.01)
            assert cause.delta == pytest.approx(float(resource_actual) - expected, abs=0.01)
    finally:
        con.close()


def test_a_first_of_the_month_after_a_step_change_is_not_an_anomaly() -> None:
    days = pd.date_range("2026-01-01", periods=160, freq="D")
    rng = np.random.default_rng(3)
    values = 100 + rng.normal(0, 2, len(days))
    values[days >= pd.Timestamp("2026-03-15")] += 350  # a workload launched mid-March, its new normal
    values[days.day == 1] += 30  # a monthly fee on every 1st
    scored = detect(pd.DataFrame({"Svc": values}, index=days), Settings())
    flagged = [d.date() for d in days[scored.flagged["Svc"].to_numpy()]]
    # The launch itself is a step change (flagged, as AWS would); once the weekday baseline has
    # caught up, the 1sts are ordinary days plus the fee, though the 1sts before the launch were lower.
    assert not [d for d in flagged if d >= dt.date(2026, 4, 15)], flagged
    first = days.get_loc(pd.Timestamp("2026-05-01"))
    assert scored.expected["Svc"].iloc[first] == pytest.approx(values[first], rel=0.05)


def test_a_month_fee_that_jumps_on_a_first_is_still_an_anomaly() -> None:
    days = pd.date_range("2026-01-01", periods=160, freq="D")
    values = np.full(len(days), 500.0)
    values[days.day == 1] += 100
    values[days.get_loc(pd.Timestamp("2026-05-01"))] += 900
    scored = detect(pd.DataFrame({"Svc": values}, index=days), Settings())
    assert [d.date() for d in days[scored.flagged["Svc"].to_numpy()]] == [dt.date(2026, 5, 1)]


@pytest.mark.slow
def test_the_sample_raises_no_alarm_on_the_first_of_a_month_at_a_services_new_level(found) -> None:
    events, _ = found
    assert not [e for e in events if e.value == "Kubernetes Engine" and e.start == dt.date(2026, 5, 1)]


def test_an_incident_seen_twice_by_the_same_monitor_is_listed_once_in_also_seen_in() -> None:
    day = dt.date(2026, 5, 1)
    service = Event("ServiceName", "A", day, day + dt.timedelta(days=3), 100.0, 900.0, 9.0, "USD", True)
    first = Event("tag:team", "t", day, day, 100.0, 300.0, 9.0, "USD", True)
    again = Event(
        "tag:team", "t", day + dt.timedelta(days=2), day + dt.timedelta(days=3), 100.0, 300.0, 9.0, "USD", True
    )
    merge_related([service, first, again])
    assert service.also_seen_in == [("tag:team", "t")]


@pytest.mark.slow
def test_the_owner_monitored_is_the_allocation_rules_owner_dimension(company_db: Path, tmp_path: Path) -> None:  # noqa: F811

    from analytics.allocation.refresh import refresh
    from analytics.anomalies.series import monitored
    from analytics.queries import tag_keys

    copy = tmp_path / "company.duckdb"
    copy_store(company_db, copy)
    con = connect(copy)
    try:
        assert monitored(DuckDBEngine(con))[-1] == "tag:team"  # no rules applied: the team tag
        rules = tmp_path / "rules.yaml"
        rules.write_text(
            "owner: alloc:unit\ndimensions:\n  unit:\n    rules:\n"
            '      - value: Data\n        when: {"tag:team": [data-platform]}\n'
        )
        assert not refresh(con, rules).error
        engine = DuckDBEngine(con)
        assert monitored(engine) == ["ServiceName", "SubAccountName", "alloc:unit"]
        keys = tag_keys(engine)
        assert len(keys) > 3  # so the root cause's choice of the top three keys is a choice
    finally:
        con.close()
