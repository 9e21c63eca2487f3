"""AWS CUR line items -> FOCUS columns, as SQL over the raw table (docs/formats.md (AWS) explains each rule).

Written once with legacy names; `Columns` finds the snake_case (Athena, CUR 2.0) spelling."""

from __future__ import annotations

from analytics.ingest.aws_columns import Columns
from analytics.ingest.aws_services import category_sql

LINE_ITEM_TYPES: dict[str, str] = {  # lineItem/LineItemType -> ChargeCategory
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    # The negation cancels the on-demand amount of SP-covered usage: as Usage the pair nets to what
    # was billed for that usage (0), as FOCUS bills covered usage, instead of showing a phantom credit.
    "SavingsPlanNegation": "Usage",
    "Fee": "Purchase",
    "RIFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    # A refund can return money for any earlier charge and the CUR does not say whether that period
    # was invoiced, so it is a Credit (negative, EffectiveCost = BilledCost) rather than a Correction.
    "Refund": "Credit",
    "EdpDiscount": "Credit",
    "BundledDiscount": "Credit",
    "PrivateRateDiscount": "Credit",
    "DistributorDiscount": "Credit",
    "Discount": "Credit",
}
FREQUENCY = {
    "RIFee": "Recurring",
    "SavingsPlanRecurringFee": "Recurring",
    "Tax": "Recurring",
    "Fee": "One-Time",
    "SavingsPlanUpfrontFee": "One-Time",
    "Credit": "One-Time",
    "Refund": "One-Time",
}  # every other type is Usage-Based
SP_TYPES = ("SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee")
RI_TYPES = ("DiscountedUsage", "RIFee")
USED_TYPES = ("DiscountedUsage", "SavingsPlanCoveredUsage")

# Columns read as numbers: refused, naming row and column, when their text is not a number.
NUMERIC = (
    "lineItem/UnblendedCost",
    "lineItem/UsageAmount",
    "lineItem/UnblendedRate",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "reservation/EffectiveCost",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee",
    "reservation/TotalReservedUnits",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
)
# EffectiveCost rules that need a column the file may lack: line item type -> the columns.
EFFECTIVE_NEEDS = {
    "DiscountedUsage": ("reservation/EffectiveCost",),
    "SavingsPlanCoveredUsage": ("savingsPlan/SavingsPlanEffectiveCost",),
    "RIFee": ("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", "reservation/UnusedRecurringFee"),
    "SavingsPlanRecurringFee": ("savingsPlan/TotalCommitmentToDate", "savingsPlan/UsedCommitment"),
}


def _in(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # constants of this module only


def _case(subject: str, mapping: dict[str, str], default: str) -> str:
    return f"CASE {subject} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items()) + f" ELSE {default} END"


def focus_columns(c: Columns) -> dict[str, str]:
    """FOCUS column -> SQL expression over the raw table."""
    kind = c.text("lineItem/LineItemType")
    category = _case(kind, LINE_ITEM_TYPES, "'Adjustment'")
    unblended = c.number("lineItem/UnblendedCost")
    usage_like = f"{category} = 'Usage'"
    sp_arn, ri_arn = c.text("savingsPlan/SavingsPlanARN"), c.text("reservation/ReservationARN")
    commitment = f"CASE WHEN {kind} IN {_in(SP_TYPES)} THEN {sp_arn} WHEN {kind} IN {_in(RI_TYPES)} THEN {ri_arn} END"
    product_code = c.text("lineItem/ProductCode")
    marketplace = f"{c.text('bill/BillingEntity')} = 'AWS Marketplace'"
    return {
        "BilledCost": unblended,
        "EffectiveCost": effective_cost(c, kind, unblended),
        "ListCost": f"CASE WHEN {category} IN ('Credit', 'Adjustment') THEN {unblended} "
        f"ELSE {c.number('pricing/publicOnDemandCost')} END",
        # No negotiated rate in the CUR: before commitments, usage costs its unblended (on-demand or
        # private) rate; RI-covered usage is billed 0, so its contracted cost is the on-demand cost.
        "ContractedCost": f"CASE {kind} WHEN 'DiscountedUsage' THEN {c.number('pricing/publicOnDemandCost')} "
        f"WHEN 'SavingsPlanNegation' THEN 0 ELSE {unblended} END",
        "ContractedUnitPrice": f"CASE WHEN {kind} = 'Usage' THEN {c.quantity('lineItem/UnblendedRate')} END",
        "ListUnitPrice": f"CASE WHEN {usage_like} THEN {c.quantity('pricing/publicOnDemandRate')} END",
        "ProviderName": "'AWS'",
        "ServiceProviderName": f"CASE WHEN {marketplace} THEN {c.text('lineItem/LegalEntity')} ELSE 'AWS' END",
        "PublisherName": c.text("lineItem/LegalEntity"),
        "InvoiceIssuerName": c.text("bill/InvoicingEntity"),
        "InvoiceId": c.text("bill/InvoiceId"),
        "BillingAccountId": c.text("bill/PayerAccountId"),
        "BillingAccountName": c.text("bill/PayerAccountName"),
        "SubAccountId": c.text("lineItem/UsageAccountId"),
        "SubAccountName": c.text("lineItem/UsageAccountName"),
        "BillingCurrency": c.text("lineItem/CurrencyCode"),
        "BillingPeriodStart": c.time("bill/BillingPeriodStartDate"),
        "BillingPeriodEnd": c.time("bill/BillingPeriodEndDate"),
        "ChargePeriodStart": c.time("lineItem/UsageStartDate"),
        "ChargePeriodEnd": c.time("lineItem/UsageEndDate"),
        "ChargeCategory": category,
        "ChargeFrequency": _case(kind, FREQUENCY, "'Usage-Based'"),
        "ChargeDescription": c.text("lineItem/LineItemDescription"),
        "PricingCategory": pricing_category(c, kind, category),
        "PricingQuantity": f"CASE WHEN {category} IN ('Tax', 'Credit', 'Adjustment') THEN NULL "
        f"WHEN {kind} = 'RIFee' THEN coalesce({c.quantity('reservation/TotalReservedUnits')}, "
        f"{c.quantity('lineItem/UsageAmount')}) ELSE {c.quantity('lineItem/UsageAmount')} END",
        "PricingUnit": f"CASE WHEN {category} IN ('Usage', 'Purchase') THEN {c.text('pricing/unit')} END",
        "ConsumedQuantity": f"CASE WHEN {usage_like} THEN {c.quantity('lineItem/UsageAmount')} END",
        "ConsumedUnit": f"CASE WHEN {usage_like} THEN {c.text('pricing/unit')} END",
        "ServiceName": f"coalesce({c.text('product/ProductName')}, {product_code})",
        "ServiceCategory": category_sql(product_code),
        "RegionId": f"coalesce({c.text('product/regionCode')}, {c.text('product/region')})",
        "RegionName": c.text("product/location"),
        "AvailabilityZone": c.text("lineItem/AvailabilityZone"),
        "ResourceId": c.text("lineItem/ResourceId"),
        "SkuId": c.text("product/sku"),
        "SkuPriceId": f"coalesce({c.text('pricing/RateCode')}, {c.text('pricing/RateId')})",
        "CommitmentDiscountId": commitment,
        "CommitmentDiscountCategory": f"CASE WHEN {kind} IN {_in(SP_TYPES)} THEN 'Spend' "
        f"WHEN {kind} IN {_in(RI_TYPES)} THEN 'Usage' END",
        "CommitmentDiscountType": f"CASE WHEN {kind} IN {_in(SP_TYPES)} THEN 'Savings Plan' "
        f"WHEN {kind} IN {_in(RI_TYPES)} THEN 'Reserved Instance' END",
        "CommitmentDiscountStatus": f"CASE WHEN {kind} IN {_in(USED_TYPES)} THEN 'Used' END",
        "CapacityReservationId": c.text("capacityReservation/CapacityReservationArn"),
        "CapacityReservationStatus": c.text("capacityReservation/CapacityReservationStatus"),
        "Tags": c.tags(),
    }


def effective_cost(c: Columns, kind: str, unblended: str) -> str:
    """Amortised cost: commitment-covered usage carries its share of the commitment; fees carry only
    what was not used; upfront payments and the SP negation carry 0 (the usage rows hold that money)."""
    whens = ["WHEN 'SavingsPlanNegation' THEN 0", "WHEN 'SavingsPlanUpfrontFee' THEN 0"]
    if c.has("reservation/EffectiveCost"):
        whens.append(f"WHEN 'DiscountedUsage' THEN coalesce({c.number('reservation/EffectiveCost')}, {unblended})")
    if c.has("savingsPlan/SavingsPlanEffectiveCost"):
        sp_effective = c.number("savingsPlan/SavingsPlanEffectiveCost")
        whens.append(f"WHEN 'SavingsPlanCoveredUsage' THEN coalesce({sp_effective}, {unblended})")
    if c.has("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod") or c.has("reservation/UnusedRecurringFee"):
        unused = (
            f"coalesce({c.number('reservation/UnusedAmortizedUpfrontFeeForBillingPeriod')}, 0) "
            f"+ coalesce({c.number('reservation/UnusedRecurringFee')}, 0)"
        )
        whens.append(f"WHEN 'RIFee' THEN {unused}")
    if c.has("savingsPlan/TotalCommitmentToDate") and c.has("savingsPlan/UsedCommitment"):
        unused = (
            f"coalesce({c.number('savingsPlan/TotalCommitmentToDate')}, 0) "
            f"- coalesce({c.number('savingsPlan/UsedCommitment')}, 0)"
        )
        whens.append(f"WHEN 'SavingsPlanRecurringFee' THEN {unused}")
    ri_fee = f"WHEN {kind} = 'Fee' AND {c.text('reservation/ReservationARN')} IS NOT NULL THEN 0"
    return f"CASE {ri_fee} ELSE CASE {kind} {' '.join(whens)} ELSE {unblended} END END"


def pricing_category(c: Columns, kind: str, category: str) -> str:
    spot = f"coalesce({c.text('lineItem/UsageType')}, '') LIKE '%SpotUsage%'"
    return (
        f"CASE WHEN {category} IN ('Tax', 'Credit', 'Adjustment') THEN NULL "
        f"WHEN {kind} IN ('DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation') THEN 'Committed' "
        f"WHEN {spot} THEN 'Dynamic' ELSE 'Standard' END"
    )
