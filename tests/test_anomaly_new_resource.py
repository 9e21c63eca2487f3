"""Root cause of a spike that is a brand-new resource: nothing expected of it, forty times its service's
daily cost for three days. The drill must reach the resource, even when it is billed under several
SKUs (no single SKU carries half of the change) or sits in an account and region never seen before."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from analytics.anomalies import explain, find_events
from analytics.anomalies.rootcause import PATH
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.ingest.run import ingest_paths
from analytics.store import connect

FIRST = dt.date(2026, 1, 1)
DAYS = 90
SERVICES = {"Amazon Elastic Compute Cloud": 300.0, "Amazon Simple Storage Service": 200.0, "Amazon RDS": 500.0}
EC2 = "Amazon Elastic Compute Cloud"
NEW = "i-0a1b2c3d4e5f60718"
FACTOR = 40
PROD = {"SubAccountName": "prod-app", "RegionId": "us-east-1", "Tags": '{"env": "prod"}'}


def _row(day: dt.date, cost: float, **values: str) -> dict[str, str]:
    period = day.replace(day=1)
    after = (period + dt.timedelta(days=32)).replace(day=1)
    return {
        "BillingAccountId": "111122223333",
        "BillingCurrency": "USD",
        "BillingPeriodStart": f"{period}T00:00:00Z",
        "BillingPeriodEnd": f"{after}T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{day + dt.timedelta(days=1)}T00:00:00Z",
        "ProviderName": "AWS",
        "BilledCost": f"{cost:.6f}",
        "EffectiveCost": f"{cost:.6f}",
        **values,
    }


def _company(path: Path, new_resource: dict[str, str], skus: tuple[str, ...]) -> Path:
    """Three services of six steady resources each (prod and dev, two regions, tagged), then the new
    resource's spend over the last three days, split evenly over `skus`."""
    rng = np.random.default_rng(5)
    rows = []
    for d in range(DAYS):
        day = FIRST + dt.timedelta(days=d)
        for service, daily in SERVICES.items():
            for i in range(6):
                env = "prod" if i % 2 == 0 else "dev"
                rows.append(
                    _row(
                        day,
                        daily / 6 * (1 + rng.normal(0, 0.03)),
                        ServiceName=service,
                        SubAccountName=f"{env}-app",
                        RegionId="eu-west-1" if i % 3 == 0 else "us-east-1",
                        SkuId=f"{service[7:10]}-sku-{i % 3}",
                        ResourceId=f"{service[7:10]}-res-{i}",
                        Tags=json.dumps({"env": env, "team": "core"}),
                    )
                )
        if d >= DAYS - 3:
            for sku in skus:
                rows.append(_row(day, FACTOR * SERVICES[EC2] / len(skus), ServiceName=EC2, ResourceId=NEW, SkuId=sku,
                                 **new_resource))  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _independent_spend(path: Path, resource: str, since: dt.date) -> float:
    total = 0.0
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record["ResourceId"] == resource and record["ChargePeriodStart"][:10] >= since.isoformat():
                total += float(record["EffectiveCost"])
    return total


@pytest.mark.parametrize(
    ("new_resource", "skus"),
    [
        (PROD, ("BoxUsage:p4d.24xlarge", "EBS:VolumeUsage.io2", "DataTransfer-Regional-Bytes")),
        (PROD, ("BoxUsage:p4d.24xlarge",)),
        ({"SubAccountName": "sandbox", "RegionId": "ap-south-1", "Tags": ""}, ("BoxUsage:g5.48xlarge", "EBS:gp3")),
    ],
    ids=["three-skus", "one-sku", "new-account-and-region-untagged-two-skus"],
)  # fmt: skip
def test_a_brand_new_resource_spiking_its_service_is_named_as_the_root_cause_with_all_of_the_change(
    tmp_path: Path, new_resource: dict[str, str], skus: tuple[str, ...]
) -> None:
    path = _company(tmp_path / "company.csv", new_resource, skus)
    con = connect(tmp_path / "finops.duckdb")
    try:
        ingest_paths(con, [str(path)])
        engine = DuckDBEngine(con)
        fx = load_fx()
        spike_start = FIRST + dt.timedelta(days=DAYS - 3)
        [event] = [e for e in find_events(engine, fx) if e.dimension == "ServiceName" and e.value == EC2]
        assert (event.start, event.end) == (spike_start, spike_start + dt.timedelta(days=2))
        causes = explain(engine, fx, event)
    finally:
        con.close()
    path_causes = sorted((c for c in causes if c.dimension in PATH), key=lambda c: PATH.index(c.dimension))
    assert path_causes[0].dimension == "ServiceName" and path_causes[0].value == EC2
    leaf = path_causes[-1]
    assert (leaf.dimension, leaf.value) == ("ResourceId", NEW)
    assert leaf.expected == 0
    assert leaf.actual == pytest.approx(_independent_spend(path, NEW, spike_start), abs=0.01)
    assert leaf.contribution == pytest.approx(1.0, abs=0.05)
    assert leaf.contribution == pytest.approx(leaf.actual / event.impact)
