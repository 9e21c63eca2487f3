"""Small FOCUS files written by the tests themselves, so each test states its own data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

BASE: dict[str, Any] = {
    "BilledCost": "10.00",
    "EffectiveCost": "8.00",
    "ListCost": "12.00",
    "ContractedCost": "11.00",
    "BillingAccountId": "acct-1",
    "BillingAccountName": "Acme",
    "BillingCurrency": "USD",
    "BillingPeriodStart": "2026-05-01T00:00:00Z",
    "BillingPeriodEnd": "2026-06-01T00:00:00Z",
    "ChargeCategory": "Usage",
    "ChargePeriodStart": "2026-05-03T00:00:00Z",
    "ChargePeriodEnd": "2026-05-04T00:00:00Z",
    "ProviderName": "AWS",
    "ServiceName": "Amazon Elastic Compute Cloud",
    "SubAccountName": "prod-app",
    "RegionId": "us-east-1",
    "Tags": None,
}


def row(**changes: Any) -> dict[str, Any]:
    values = {**BASE, **changes}
    if isinstance(values.get("Tags"), dict):
        values["Tags"] = json.dumps(values["Tags"])
    return values


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    columns = list(dict.fromkeys(key for r in rows for key in r))
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return path
