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
# RegionName for rows whose `product/location` is empty but whose region is known (the CUR's own
# spelling of `product/location`).
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "sa-east-1": "South America (Sao Paulo)",
    "mx-central-1": "Mexico (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-central-2": "EU (Zurich)",
    "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)",
    "eu-south-2": "EU (Spain)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "il-central-1": "Israel (Tel Aviv)",
    "af-south-1": "Africa (Cape Town)",
    "us-gov-west-1": "AWS GovCloud (US-West)",
    "us-gov-east-1": "AWS GovCloud (US-East)",
}

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
    region = f"coalesce({c.text('product/regionCode')}, {c.text('product/region')})"
    # Prices are quoted in `pricing/currency` (rows without a price: the billing currency); the
    # pricing-currency amounts are the billing ones only when the two currencies are the same.
    billing_currency = c.text("lineItem/CurrencyCode")
    pricing_currency = f"coalesce({c.text('pricing/currency')}, {billing_currency})"
    same_currency = f"{pricing_currency} = {billing_currency}"
    contracted_unit_price = f"CASE WHEN {kind} = 'Usage' THEN {c.quantity('lineItem/UnblendedRate')} END"
    list_unit_price = f"CASE WHEN {usage_like} THEN {c.quantity('pricing/publicOnDemandRate')} END"
    return {
        "BilledCost": unblended,
        "EffectiveCost": effective_cost(c, kind, unblended),
        "ListCost": f"CASE WHEN {category} IN ('Credit', 'Adjustment') THEN {unblended} "
        f"ELSE {c.number('pricing/publicOnDemandCost')} END",
        # No negotiated rate in the CUR: before commitments, usage costs its unblended (on-demand or
        # private) rate; RI-covered usage is billed 0, so its contracted cost is the on-demand cost.
        "ContractedCost": f"CASE {kind} WHEN 'DiscountedUsage' THEN {c.number('pricing/publicOnDemandCost')} "
        f"WHEN 'SavingsPlanNegation' THEN 0 ELSE {unblended} END",
        "ContractedUnitPrice": contracted_unit_price,
        "ListUnitPrice": list_unit_price,
        "PricingCurrency": pricing_currency,
        "PricingCurrencyEffectiveCost": f"CASE WHEN {same_currency} THEN {effective_cost(c, kind, unblended)} END",
        "PricingCurrencyContractedUnitPrice": f"CASE WHEN {same_currency} THEN {contracted_unit_price} END",
        "PricingCurrencyListUnitPrice": f"CASE WHEN {same_currency} THEN {list_unit_price} END",
        "ProviderName": "'AWS'",
        "ServiceProviderName": f"CASE WHEN {marketplace} THEN {c.text('lineItem/LegalEntity')} ELSE 'AWS' END",
        "PublisherName": c.text("lineItem/LegalEntity"),
        "InvoiceIssuerName": c.text("bill/InvoicingEntity"),
        "InvoiceId": c.text("bill/InvoiceId"),
        "BillingAccountId": c.text("bill/PayerAccountId"),
        "BillingAccountName": c.text("bill/PayerAccountName"),
        "SubAccountId": c.text("lineItem/UsageAccountId"),
        "SubAccountName": c.text("lineItem/UsageAccountName"),
        "BillingCurrency": billing_currency,
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
        "RegionId": region,
        "RegionName": f"coalesce({c.text('product/location')}, {_case(region, REGION_NAMES, 'NULL')})",
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
