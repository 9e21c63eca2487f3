"""The instance type, series and operating system of a compute usage row, from whatever the export
carries: FOCUS 1.2+ SkuPriceDetails first, then the provider's own spellings that FOCUS 1.0 / 1.1
exports and converted CURs keep in other columns.

- AWS: a usage type in SkuId (`BoxUsage:m5.xlarge`, region-prefixed `USW2-BoxUsage:c6i.2xlarge`,
  bare `BoxUsage` = m1.small), a line-item description in ChargeDescription
  (`$0.192 per On Demand Linux m5.xlarge Instance Hour`), or an instance type in ResourceType.
- Azure (Virtual Machines): the meter name in SkuMeter (`D2 v3/D2s v3`, `B1s`), the product name in
  ChargeDescription (`Virtual Machines Dv3/DSv3 Series - D2 v3/D2s v3 - US East`) or an ARM size
  (`Standard_D4s_v3`).
- Google (Compute Engine): the SKU description in ChargeDescription (`N2 Instance Core running in
  Americas`); Google bills cores and memory, so there is a series but no instance type.

Spot, low-priority and preemptible capacity is never an instance a commitment covers, whatever its
PricingCategory says. Provider `x_` columns (x_UsageType, x_SkuMeterName) are not stored by ingest,
so they cannot be read here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_AWS_TYPE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)?\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)"
_AWS_USAGE = re.compile(rf"^(?:[A-Z]{{2,4}}\d?-)?(?:BoxUsage|DedicatedUsage)(?::(?P<type>{_AWS_TYPE}))?$")
_AWS_TYPE_ALONE = re.compile(rf"^(?P<type>{_AWS_TYPE})$")
_AWS_DESCRIPTION = re.compile(rf"(?<![\w.-])(?P<type>{_AWS_TYPE})(?![\w.-])")
_AWS_INSTANCE_WORDS = re.compile(r"instance[ -]hour|reserved instance|savings plan", re.IGNORECASE)
_NOT_COVERABLE = re.compile(r"\b(?:spot|low priority|preemptible|dedicated host)\b", re.IGNORECASE)
_OS = (
    (re.compile(r"\bwindows\b", re.IGNORECASE), "Windows"),
    (re.compile(r"\b(?:rhel|red hat)\b", re.IGNORECASE), "RHEL"),
    (re.compile(r"\b(?:suse|sles)\b", re.IGNORECASE), "SUSE"),
    (re.compile(r"\bubuntu pro\b", re.IGNORECASE), "Ubuntu Pro"),
    (re.compile(r"\blinux\b", re.IGNORECASE), "Linux"),
)
_AZURE_SIZE = re.compile(r"^(?P<letters>[A-Z]{1,3})(?P<cpus>\d+)(?P<extra>[a-z]*)(?:[ _-]?(?P<version>v\d+))?$")
_AZURE_ARM = re.compile(r"^Standard_(?P<size>[A-Z]{1,3}\d+[a-z]*(?:_v\d+)?)$")
_GCP_SERIES = re.compile(r"^(?P<series>[A-Z]\d[A-Z]?)\b.*\bInstance (?:Core|Ram)\b")
_GCP_NAMED = (
    (re.compile(r"^(?:Custom|Predefined) Instance (?:Core|Ram)\b"), "N1"),
    (re.compile(r"^Memory-optimized Instance (?:Core|Ram)\b"), "M1"),
    (re.compile(r"^Compute optimized (?:Core|Ram)\b"), "C2"),
)
AWS_SERVICES = ("Amazon Elastic Compute Cloud", "Amazon EC2")
AZURE_SERVICES = ("Virtual Machines", "Virtual Machine Scale Sets")
GCP_SERVICES = ("Compute Engine",)


@dataclass(frozen=True)
class Instance:
    """What a commitment sees of a compute row: `series` (the discount family: m5, Dsv3, N2), the
    instance `type` when the provider bills per instance, and the operating system ('' unknown)."""

    series: str
    type: str | None
    os: str
    source: str  # the column it was read from


def _details(raw: str | None) -> dict[str, object]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def operating_system(*texts: str | None) -> str:
    for text in texts:
        for pattern, name in _OS:
            if text and pattern.search(text):
                return name
    return ""


def _aws(sku_id: str | None, resource_type: str | None, description: str | None) -> tuple[str, str] | None:
    """(instance type, column) of an AWS instance-hour row."""
    usage = _AWS_USAGE.match(sku_id.strip()) if sku_id else None
    if usage:
        return usage["type"] or "m1.small", "SkuId"
    alone = _AWS_TYPE_ALONE.match(resource_type.strip()) if resource_type else None
    if alone:
        return alone["type"], "ResourceType"
    if description and _AWS_INSTANCE_WORDS.search(description):
        found = _AWS_DESCRIPTION.search(description)
        if found:
            return found["type"], "ChargeDescription"
    return None


def _azure_size(text: str | None) -> tuple[str, str] | None:
    """(ARM size, series) of one Azure meter or size name: `D2s v3` -> (Standard_D2s_v3, Dsv3)."""
    if not text:
        return None
    text = text.strip()
    arm = _AZURE_ARM.match(text)
    if arm:
        text = arm["size"].replace("_", " ")
    size = _AZURE_SIZE.match(text.split("/")[0].strip())
    if not size:
        return None
    version = size["version"] or ""
    name = f"Standard_{size['letters']}{size['cpus']}{size['extra']}" + (f"_{version}" if version else "")
    return name, f"{size['letters']}{size['extra']}{version}"


def _azure(meter: str | None, description: str | None, resource_type: str | None) -> tuple[str, str, str] | None:
    """(ARM size, series, column) of an Azure virtual-machine row."""
    for text, column in ((meter, "SkuMeter"), (resource_type, "ResourceType")):
        found = _azure_size(text)
        if found:
            return (*found, column)
    if description and description.startswith("Virtual Machines"):
        # "Virtual Machines Dv3/DSv3 Series - D2 v3/D2s v3 - US East": the meter is the second part
        for part in description.split(" - ")[1:]:
            found = _azure_size(part)
            if found:
                return (*found, "ChargeDescription")
    return None


def _gcp(description: str | None) -> str | None:
    if not description:
        return None
    text = description.strip()
    if text.startswith("Commitment"):
        return None
    found = _GCP_SERIES.match(text)
    if found:
        return found["series"]
    return next((series for pattern, series in _GCP_NAMED if pattern.match(text)), None)


def derive(
    service: str | None,
    sku_id: str | None,
    resource_type: str | None,
    sku_meter: str | None,
    description: str | None,
    price_details: str | None,
) -> Instance | None:
    """The instance a compute usage row ran on; None when the row is not an instance (storage,
    data transfer, a licence fee, spot capacity) or nothing in it names one."""
    texts = (sku_id, sku_meter, description, resource_type)
    if resource_type and "disk" in resource_type.lower():
        return None
    if any(t and _NOT_COVERABLE.search(t) for t in texts) or (sku_id and "SpotUsage" in sku_id):
        return None
    details = _details(price_details)
    typed, series = _text(details.get("InstanceType")), _text(details.get("InstanceSeries"))
    if typed:
        os = _text(details.get("OperatingSystem")) or operating_system(description, sku_meter)
        return Instance(series or typed, typed, os, "SkuPriceDetails")
    os = operating_system(description, sku_meter)
    if service in AWS_SERVICES:
        aws = _aws(sku_id, resource_type, description)
        if aws:
            return Instance(aws[0].split(".")[0].upper(), aws[0], os, aws[1])
    elif service in AZURE_SERVICES:
        azure = _azure(sku_meter, description, resource_type)
        if azure:
            return Instance(azure[1].upper(), azure[0], os, azure[2])
    elif service in GCP_SERVICES:
        gcp = _gcp(description)
        if gcp:
            return Instance(gcp, None, os, "ChargeDescription")
    return None
