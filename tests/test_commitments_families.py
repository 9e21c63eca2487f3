"""The commitment what-if on exports without SkuPriceDetails (FOCUS 1.0 / 1.1 and many real ones):
the instance family is read from SkuId, ResourceType, SkuMeter or ChargeDescription, and when no
usage is eligible the command says what it found and why none qualified."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from analytics.cli import main
from analytics.commitments.families import derive
from analytics.ingest.run import ingest_paths
from analytics.store import connect
from tests.app_fixtures import new_app

# The FOCUS 1.0 Cost and Usage columns an AWS FOCUS 1.0 export carries: no SkuPriceDetails, no SkuMeter.
FOCUS_10 = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
]  # fmt: skip
START = dt.datetime(2026, 3, 1)
HOURS = 30 * 24
RATES = Path(__file__).resolve().parents[1] / "data" / "discount_rates.csv"


def _focus10(**values: object) -> dict[str, object]:
    base: dict[str, object] = {c: "" for c in FOCUS_10}
    base.update(
        BillingAccountId="111122223333", BillingAccountName="Acme", BillingCurrency="USD",
        BillingPeriodStart="2026-03-01T00:00:00Z", BillingPeriodEnd="2026-04-01T00:00:00Z",
        ChargeCategory="Usage", ChargeFrequency="Usage-Based", PricingCategory="Standard",
        ProviderName="AWS", PublisherName="Amazon Web Services, Inc.", InvoiceIssuerName="Amazon Web Services, Inc.",
        ServiceName="Amazon Elastic Compute Cloud", ServiceCategory="Compute", RegionId="us-east-1",
        SubAccountId="444455556666", SubAccountName="prod", PricingUnit="Hours", ConsumedUnit="Hours",
    )  # fmt: skip
    base.update(values)
    return base


def _hour(h: int) -> dict[str, str]:
    start = START + dt.timedelta(hours=h)
    return {
        "ChargePeriodStart": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "ChargePeriodEnd": f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
    }


def _money(hours: float, price: float) -> dict[str, str]:
    cost = f"{hours * price:.10f}"
    return {
        "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
        "ListUnitPrice": str(price), "ContractedUnitPrice": str(price),
        "PricingQuantity": f"{hours:.6f}", "ConsumedQuantity": f"{hours:.6f}",
    }  # fmt: skip


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FOCUS_10)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _hourly_ec2(path: Path, seed: int = 11) -> Path:
    """30 days of hourly EC2 instance usage with a daily and weekly cycle, in three spellings: the
    usage type in SkuId, a region-prefixed usage type, and only the line-item description."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for h in range(HOURS):
        cycle = 1 + 0.5 * np.sin(2 * np.pi * h / 24) + 0.3 * ((h // 24) % 7 < 5)
        m5, c6i, t3 = rng.gamma(4, 2.5) * cycle, rng.gamma(3, 1.0) * cycle, rng.uniform(0, 6)
        rows.append(_focus10(**_hour(h), **_money(m5, 0.192), SkuId="BoxUsage:m5.xlarge", ResourceType="instance",
                             ChargeDescription="$0.192 per On Demand Linux m5.xlarge Instance Hour"))  # fmt: skip
        rows.append(_focus10(**_hour(h), **_money(c6i, 0.34), SkuId="USW2-BoxUsage:c6i.2xlarge", RegionId="us-west-2"))
        rows.append(_focus10(**_hour(h), **_money(t3, 0.0416), SkuId="G95FST5FTYV3JSRX", ResourceType="instance",
                             ChargeDescription="$0.0416 per On Demand Linux t3.medium Instance Hour"))  # fmt: skip
        if h % 24 == 0:  # storage and transfer: compute-service rows no commitment covers
            rows.append(_focus10(**_hour(h), **_money(100, 0.08), SkuId="EBS:VolumeUsage.gp3", ResourceType="volume",
                                 PricingUnit="GB-Months"))  # fmt: skip
            rows.append(_focus10(**_hour(h), **_money(40, 0.09), SkuId="USW2-DataTransfer-Out-Bytes", PricingUnit="GB"))
    return _write(path, rows)


def _independent_hourly_ode(path: Path, eligible_skus: set[str]) -> np.ndarray:
    """E_h: ContractedCost of the eligible rows per hour, from the raw file (csv module + Decimal)."""
    per_hour: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record["SkuId"] in eligible_skus:
                per_hour[record["ChargePeriodStart"]] += Decimal(record["ContractedCost"])
    assert len(per_hour) == HOURS
    return np.array([float(per_hour[k]) for k in sorted(per_hour)])


def _default_rate(instrument: str) -> float:
    with RATES.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if (record["instrument"], record["term_years"], record["payment"]) == (instrument, "1", "no-upfront"):
                return float(record["discount_rate"])
    raise AssertionError(f"no {instrument} rate in {RATES}")


def _loaded(tmp_path: Path, csv_file: Path) -> Path:
    db = tmp_path / "finops.duckdb"
    con = connect(db)
    try:
        [report] = ingest_paths(con, [str(csv_file)])
        assert report.status == "loaded", report.error
    finally:
        con.close()
    return db


def _commitments(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["commitments", "--db", str(db), "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out else {}


def test_hourly_ec2_usage_in_focus_1_0_form_gives_the_closed_form_optimum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _hourly_ec2(tmp_path / "focus10-ec2.csv")
    db = _loaded(tmp_path, path)
    code, result = _commitments(db, capsys, "--type", "compute-sp")
    assert code == 0
    d = _default_rate("compute-sp")
    assert result["discount_rate"] == pytest.approx(d)
    series = _independent_hourly_ode(path, {"BoxUsage:m5.xlarge", "USW2-BoxUsage:c6i.2xlarge", "G95FST5FTYV3JSRX"})
    closed_form = (1 - d) * float(np.quantile(series, d))
    assert result["recommended_hourly_commitment"] == pytest.approx(closed_form, rel=0.005)
    assert result["hourly_data"] is True and result["eligible_usage"] is True


def test_each_ec2_family_is_read_from_whatever_column_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _loaded(tmp_path, _hourly_ec2(tmp_path / "focus10-ec2.csv"))
    code, result = _commitments(db, capsys, "--type", "ec2-instance-sp")
    assert code == 0
    assert {f["family"] for f in result["families"]} == {
        "AWS|us-east-1|M5|Linux", "AWS|us-west-2|C6I|", "AWS|us-east-1|T3|Linux",
    }  # fmt: skip


def test_usage_that_no_commitment_covers_is_explained_per_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = []
    for h in range(48):
        rows.append(_focus10(**_hour(h), **_money(100, 0.08), SkuId="EBS:VolumeUsage.gp3", ResourceType="volume"))
        rows.append(_focus10(**_hour(h), **_money(3, 0.023), SkuId="TimedStorage-ByteHrs",
                             ServiceName="Amazon Simple Storage Service", ServiceCategory="Storage"))  # fmt: skip
        rows.append(_focus10(**_hour(h), **_money(2, 0.05), SkuId="SpotUsage:m5.xlarge", PricingCategory="Dynamic"))
    path = _write(tmp_path / "no-instances.csv", rows)
    db = _loaded(tmp_path, path)
    code, result = _commitments(db, capsys)
    assert code == 0
    assert result["eligible_usage"] is False and result["recommended_hourly_commitment"] == 0
    assert "none eligible" in result["message"] and f"{len(rows):,} usage rows" in result["message"]
    found = {(f["service"], f["reason"]): f for f in result["usage_found"]}
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            reason = (
                "spot or dynamic pricing: never covered" if record["PricingCategory"] == "Dynamic"
                else "not a compute service that commitments cover" if record["ServiceName"].startswith("Amazon Simple")
                else "no instance type in SkuPriceDetails, SkuId, ResourceType, SkuMeter or ChargeDescription"
            )  # fmt: skip
            expected[(record["ServiceName"], reason)] += Decimal(record["EffectiveCost"])
            counts[(record["ServiceName"], reason)] += 1
    assert set(found) == set(expected)
    for key, total in expected.items():
        assert found[key]["rows"] == counts[key]
        assert Decimal(str(found[key]["cost"])).quantize(Decimal("0.01")) == total.quantize(Decimal("0.01"))


def test_the_text_report_names_each_service_and_why_it_is_not_eligible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [_focus10(**_hour(h), **_money(2, 0.05), SkuId="SpotUsage:m5.xlarge", PricingCategory="Dynamic")
            for h in range(24)]  # fmt: skip
    db = _loaded(tmp_path, _write(tmp_path / "spot.csv", rows))
    assert main(["commitments", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "24 usage rows" in out and "none eligible" in out
    assert "AWS Amazon Elastic Compute Cloud: 24 rows, 2.40 USD: spot or dynamic pricing: never covered" in out


def test_usage_of_another_provider_is_named_when_the_instrument_asked_for_cannot_cover_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _loaded(tmp_path, _hourly_ec2(tmp_path / "focus10-ec2.csv"))
    code, result = _commitments(db, capsys, "--type", "azure-ri")
    assert code == 0 and result["eligible_usage"] is False
    reasons = {f["reason"] for f in result["usage_found"] if f["service"] == "Amazon Elastic Compute Cloud"}
    assert "eligible, but for AWS commitments" in reasons


def test_an_empty_database_still_says_there_is_no_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    assert main(["commitments", "--db", str(db)]) == 2
    assert "no usage in the database" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("service", "sku", "resource_type", "meter", "description", "series", "type_", "os"),
    [
        ("Amazon Elastic Compute Cloud", "BoxUsage:m5.xlarge", None, None, None, "M5", "m5.xlarge", ""),
        ("Amazon Elastic Compute Cloud", "USW2-BoxUsage:c6i.2xlarge", None, None, None, "C6I", "c6i.2xlarge", ""),
        ("Amazon Elastic Compute Cloud", "EU-BoxUsage", None, None, None, "M1", "m1.small", ""),
        ("Amazon Elastic Compute Cloud", "APN1-DedicatedUsage:r6g.large", None, None, None, "R6G", "r6g.large", ""),
        ("Amazon Elastic Compute Cloud", "ABC123", "m7i-flex.large", None, None, "M7I-FLEX", "m7i-flex.large", ""),
        ("Amazon Elastic Compute Cloud", "ABC123", "instance", None,
         "$0.384 per On Demand Windows m5.xlarge Instance Hour", "M5", "m5.xlarge", "Windows"),
        ("Amazon Elastic Compute Cloud", "ABC123", None, None,
         "USD 0.0 per Linux/UNIX (Amazon VPC), c5.2xlarge reserved instance applied", "C5", "c5.2xlarge", "Linux"),
        ("Virtual Machines", "1073140", None, "D2 v3/D2s v3", None, "DV3", "Standard_D2_v3", ""),
        ("Virtual Machines", "1073140", None, "B1s", None, "BS", "Standard_B1s", ""),
        ("Virtual Machines", "x", None, None, "Virtual Machines Dv3/DSv3 Series Windows - D4s v3 - US East",
         "DSV3", "Standard_D4s_v3", "Windows"),
        ("Virtual Machines", "x", "Standard_E8ds_v5", None, None, "EDSV5", "Standard_E8ds_v5", ""),
        ("Compute Engine", "6B8F-E63D-832B", None, None, "N2 Instance Core running in Americas", "N2", None, ""),
        ("Compute Engine", "x", None, None, "N1 Predefined Instance Ram running in EMEA", "N1", None, ""),
        ("Compute Engine", "x", None, None, "Memory-optimized Instance Core running in Americas", "M1", None, ""),
    ],
)  # fmt: skip
def test_the_instance_family_is_derived_from_provider_spellings(
    service: str, sku: str, resource_type: str | None, meter: str | None, description: str | None,
    series: str, type_: str | None, os: str,
) -> None:  # fmt: skip
    found = derive(service, sku, resource_type, meter, description, None)
    assert found is not None
    assert (found.series, found.type, found.os) == (series, type_, os)


@pytest.mark.parametrize(
    ("service", "sku", "resource_type", "meter", "description"),
    [
        ("Amazon Elastic Compute Cloud", "SpotUsage:m5.xlarge", None, None, None),
        ("Amazon Elastic Compute Cloud", "EBS:VolumeUsage.gp3", "volume", None, "$0.08 per GB-month of gp3"),
        ("Amazon Elastic Compute Cloud", "X", None, None, "$0.05 per Linux m5.xlarge Spot Instance-hour"),
        ("Amazon Relational Database Service", "InstanceUsage:db.m5.large", None, None, None),
        ("Virtual Machines", "x", None, "L4s Spot", None),
        ("Virtual Machines", "x", "Disk", None, "Premium SSD Managed Disks - P4 - US East"),
        ("Virtual Machines", "x", None, "D2 v3 Low Priority", None),
        ("Compute Engine", "x", None, None, "Spot Preemptible N2 Instance Core running in Americas"),
        ("Compute Engine", "x", None, None, "Commitment v1: N2 Cpu in Americas for 1 Year"),
        ("Compute Engine", "x", None, None, "Network Internet Egress from Americas to APAC"),
    ],
)
def test_rows_that_are_not_an_instance_a_commitment_covers_get_no_family(
    service: str, sku: str, resource_type: str | None, meter: str | None, description: str | None
) -> None:
    assert derive(service, sku, resource_type, meter, description, None) is None


def test_sku_price_details_win_over_what_the_other_columns_say() -> None:
    details = json.dumps({"InstanceType": "m6i.large", "InstanceSeries": "M6I", "OperatingSystem": "Linux"})
    found = derive("Amazon Elastic Compute Cloud", "BoxUsage:m5.xlarge", None, None, None, details)
    assert found is not None and (found.series, found.type, found.os) == ("M6I", "m6i.large", "Linux")


def test_the_commitments_page_says_what_usage_it_found_when_none_is_eligible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [_focus10(**_hour(h), **_money(2, 0.05), SkuId="SpotUsage:m5.xlarge", PricingCategory="Dynamic")
            for h in range(24)]  # fmt: skip
    monkeypatch.setenv("FINOPS_DB", str(_loaded(tmp_path, _write(tmp_path / "spot.csv", rows))))
    at = new_app({"period": "all"}, page="app_pages/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("24 usage rows" in i.value and "none eligible" in i.value for i in at.info)
    [table] = [d.value for d in at.dataframe if "Why not eligible" in d.value.columns]
    assert list(table["Why not eligible"]) == ["spot or dynamic pricing: never covered"]
    assert list(table["Rows"]) == [24]
