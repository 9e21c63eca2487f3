"""Words for people: the one map from technical names (FOCUS columns, `tag:<key>`, `alloc:<name>`)
to what the app shows for them. `allocation.yaml` may override any entry in its `labels:` section;
practitioner pages may show the technical name beside the label, executive surfaces never do."""

from __future__ import annotations

import re
from collections.abc import Mapping

from analytics.schema import alloc_name, is_alloc, is_tag, tag_key

# FOCUS dimensions and cost metrics, as a person would say them.
FOCUS: dict[str, str] = {
    "ProviderName": "Provider",
    "PublisherName": "Publisher",
    "ServiceProviderName": "Service provider",
    "HostProviderName": "Host provider",
    "InvoiceIssuerName": "Invoice issuer",
    "BillingAccountId": "Billing account id",
    "BillingAccountName": "Billing account",
    "SubAccountId": "Account id",
    "SubAccountName": "Account",
    "ServiceCategory": "Service category",
    "ServiceName": "Service",
    "RegionId": "Region",
    "RegionName": "Region name",
    "AvailabilityZone": "Availability zone",
    "ChargeCategory": "Charge category",
    "ChargeDescription": "Charge description",
    "ChargeFrequency": "Charge frequency",
    "PricingCategory": "Pricing category",
    "PricingUnit": "Pricing unit",
    "CommitmentDiscountStatus": "Commitment use",
    "CommitmentDiscountId": "Commitment",
    "CommitmentDiscountType": "Commitment type",
    "BillingCurrency": "Billing currency",
    "ResourceId": "Resource id",
    "ResourceName": "Resource",
    "ResourceType": "Resource type",
    "SkuId": "SKU",
    "InvoiceId": "Invoice",
    "x_SourceFile": "Source file",
    "EffectiveCost": "Cost (amortised)",
    "BilledCost": "Cost (billed)",
    "ListCost": "Cost (list prices)",
    "ContractedCost": "Cost (contracted)",
}
_WORDS = re.compile(r"[_\-\s]+")


def words(key: str) -> str:
    """'business_unit' -> 'Business unit', 'cost-center' -> 'Cost center'; a key already written
    with capitals or digits inside (`CostCenter`, `team2`) keeps its own spelling."""
    text = _WORDS.sub(" ", key).strip()
    if not text:
        return key
    if text.islower():
        return text[0].upper() + text[1:]
    return text


def label(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """What to show for the dimension or metric `name`: an override from allocation.yaml, else the
    FOCUS label, else the words of the tag key or allocation name; an unknown name as it is."""
    if overrides and name in overrides:
        return overrides[name]
    if name in FOCUS:
        return FOCUS[name]
    if is_tag(name):
        return words(tag_key(name))
    if is_alloc(name):
        return words(alloc_name(name))
    return name


def in_sentence(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The label inside a sentence ('Total cost (amortised)'): lower-cased first letter, unless the
    label starts with an acronym (SKU) or is an override, which is shown as written."""
    shown = label(name, overrides)
    if (overrides and name in overrides) or len(shown) < 2 or shown[1].isupper():
        return shown
    return shown[0].lower() + shown[1:]


def short_id(resource_id: str) -> str:
    """The last segment of a path-like resource id (Azure `/subscriptions/.../vm-01`, an ARN's
    `.../name`); anything else as it is."""
    text = str(resource_id).rstrip("/")
    if "/" not in text:
        return text
    return text.rsplit("/", 1)[1] or text
