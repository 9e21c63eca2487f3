"""Writes the hand-made FOCUS 1.3 and 1.4 Cost and Usage fixtures beside this file (CSV, CSV.gz,
Parquet). Run once with the project's venv; the files it writes are committed, so the tests read
fixed bytes. Column order: docs/reference/focus-spec/1.3/cost_and_usage_columns.csv."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).parent
SPEC = HERE.parents[2] / "docs" / "reference" / "focus-spec" / "1.3" / "cost_and_usage_columns.csv"
with SPEC.open(newline="", encoding="utf-8") as spec:
    COLUMNS_13 = [r["ColumnId"] for r in csv.DictReader(spec)]
COLUMNS_14 = sorted(
    [c for c in COLUMNS_13 if c not in ("ProviderName", "PublisherName")]
    + ["CommitmentProgramEligibilityDetails", "InvoiceDetailId", "TagDetails"]
)
_SPLIT = '{{"Elements": [{{"AllocatedRatio": {r}, "UsageUnit": "CPU", "UsageQuantity": {q}}}]}}'
_CONTRACT = (
    '{"Elements": [{"ContractId": "C-2026-01", "ContractCommitmentId": "C-2026-01-EDP", '
    '"ContractCommitmentAppliedCost": 412.5}]}'
)


def _aws(**changes: Any) -> dict[str, Any]:
    base = {
        "BillingAccountId": "400011112222", "BillingAccountName": "acme-payer", "BillingAccountType": "Payer",
        "BillingCurrency": "USD", "BillingPeriodStart": "2026-05-01T00:00:00Z",
        "BillingPeriodEnd": "2026-06-01T00:00:00Z", "ChargePeriodStart": "2026-05-03T00:00:00Z",
        "ChargePeriodEnd": "2026-05-04T00:00:00Z", "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
        "ProviderName": "AWS", "PublisherName": "AWS", "ServiceProviderName": "AWS", "HostProviderName": "AWS",
        "InvoiceIssuerName": "Amazon Web Services, Inc.", "InvoiceId": "INV-0526", "SubAccountId": "412345678901",
        "SubAccountName": "prod", "SubAccountType": "Account", "RegionId": "us-east-1",
        "RegionName": "US East (N. Virginia)", "ServiceCategory": "Compute",
        "ServiceName": "Amazon Elastic Compute Cloud", "ServiceSubcategory": "Virtual Machines",
        "PricingCurrency": "USD", "Tags": '{"team": "payments"}',
    }  # fmt: skip
    return {**base, **changes}


def _rows() -> list[dict[str, Any]]:
    ec2 = {"ResourceId": "i-0abc", "ResourceName": "web-1", "ResourceType": "Instance", "SkuId": "ec2-m7i",
           "SkuPriceId": "ec2-m7i.od", "PricingCategory": "Standard", "PricingUnit": "Hours",
           "ConsumedUnit": "Hours", "ListUnitPrice": "0.2016", "ContractedUnitPrice": "0.19152"}  # fmt: skip
    return [
        _aws(**ec2, BilledCost="4.5964800000", EffectiveCost="4.5964800000", ListCost="4.8384",
             ContractedCost="4.5964800000", PricingQuantity="24", ConsumedQuantity="24",
             ContractApplied=_CONTRACT),
        # One shared node split in two by the data generator (ratios 0.625 / 0.375).
        _aws(**ec2, BilledCost="1.2345678901", EffectiveCost="1.1111111111", ListCost="1.26",
             ContractedCost="1.197", PricingQuantity="6.25", ConsumedQuantity="6.25",
             AllocatedMethodId="eks-cpu", AllocatedMethodDetails=_SPLIT.format(r=0.625, q=2.5),
             AllocatedResourceId="pod/checkout-7f9", AllocatedResourceName="checkout-7f9",
             AllocatedTags='{"aws:eks:namespace": "checkout"}'),
        _aws(**ec2, BilledCost="0.7407407341", EffectiveCost="0.6666666667", ListCost="0.756",
             ContractedCost="0.7182", PricingQuantity="3.75", ConsumedQuantity="3.75",
             AllocatedMethodId="eks-cpu", AllocatedMethodDetails=_SPLIT.format(r=0.375, q=1.5),
             AllocatedResourceId="pod/search-2c1", AllocatedResourceName="search-2c1",
             AllocatedTags='{"aws:eks:namespace": "search"}'),
        # A marketplace SaaS: sold by its vendor, hosted on and invoiced by AWS (FOCUS 1.3 appendix).
        _aws(PublisherName="Houndly, Inc.", ServiceProviderName="Houndly, Inc.", HostProviderName="AWS",
             ServiceName="Houndly Observability Pro", ServiceCategory="Management and Governance",
             ServiceSubcategory="Observability", BilledCost="148.80", EffectiveCost="148.80",
             ListCost="148.80", ContractedCost="148.80", SkuId="houndly-host", SkuPriceId="houndly-host.od",
             PricingCategory="Standard", PricingQuantity="4800", PricingUnit="Hours", ListUnitPrice="0.031",
             ContractedUnitPrice="0.031", RegionId=None, RegionName=None),
        # Support runs on no infrastructure, tax has no host: HostProviderName null.
        _aws(HostProviderName=None, ServiceName="AWS Support (Business)", ServiceCategory="Other",
             ServiceSubcategory="Support", ChargeFrequency="Recurring", BilledCost="100.00",
             EffectiveCost="100.00", ListCost="100.00", ContractedCost="100.00", RegionId=None, RegionName=None),
        _aws(HostProviderName=None, ChargeCategory="Tax", ChargeFrequency="Recurring", BilledCost="21.3497",
             EffectiveCost="21.3497", ListCost="21.3497", ContractedCost="21.3497", Tags=None),
        _aws(ChargeCategory="Credit", ChargeFrequency="One-Time", BilledCost="-12.34",
             EffectiveCost="-12.34", ListCost="0", ContractedCost="0"),
        _aws(ProviderName="Microsoft", PublisherName="Microsoft", ServiceProviderName="Microsoft",
             HostProviderName="Microsoft", InvoiceIssuerName="Microsoft", BillingAccountId="mca-77",
             BillingAccountName="Acme GmbH", BillingAccountType="Billing Profile", BillingCurrency="EUR",
             PricingCurrency="EUR", SubAccountId="/subscriptions/3f2a", SubAccountName="commerce-prod",
             SubAccountType="Subscription", RegionId="westeurope", RegionName="West Europe",
             ServiceName="Virtual Machines", BilledCost="87.123456789012", EffectiveCost="80.000000000001",
             ListCost="90.5", ContractedCost="88.0", Tags='{"team": "catalog"}'),
    ]  # fmt: skip


def _write(name: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    path = HERE / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: r.get(c) or "" for c in columns} for r in rows)
    (HERE / f"{name}.csv.gz").write_bytes(gzip.compress(path.read_bytes(), mtime=0))
    # Parquet as a provider writes it: costs DECIMAL, times TIMESTAMP WITH TIME ZONE, text VARCHAR.
    money = {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingCurrencyEffectiveCost"}
    times = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}
    types = {c: "DECIMAL(38,12)" if c in money else "TIMESTAMPTZ" if c in times else "VARCHAR" for c in columns}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{path}', header = true, columns = {types!r})) "
        f"TO '{HERE / name}.parquet' (FORMAT parquet)"
    )


def main() -> None:
    rows = _rows()
    for r in rows:
        r.setdefault("PricingCurrencyEffectiveCost", r["EffectiveCost"])
    _write("focus13", COLUMNS_13, rows)
    rows14 = [
        {k: v for k, v in r.items() if k not in ("ProviderName", "PublisherName")}
        | {"InvoiceDetailId": f"INV-0526-{i:03d}", "TagDetails": json.dumps({"team": {"Source": "User"}})}
        for i, r in enumerate(rows)
    ]
    rows14[0]["CommitmentProgramEligibilityDetails"] = '{"CommitmentPrograms": [{"ProgramType": "SavingsPlan"}]}'
    _write("focus14", COLUMNS_14, rows14)


if __name__ == "__main__":
    main()
