"""The Azure cost-details -> FOCUS column mapping as SQL over `_raw r` joined to the lookup tables
(st: service by resource type, sc: by consumed service, rg: region, un: pricing unit).
Names are matched case-insensitively, so PascalCase and camelCase generations share one mapping."""

from __future__ import annotations

from collections.abc import Sequence

COST = ("costinbillingcurrency", "cost", "pretaxcost")
DATE = ("date", "usagedatetime")
QUANTITY = ("quantity", "usagequantity")
COMMITMENT_MODELS = "('reservation', 'savingsplan')"
UNUSED = "('unusedreservation', 'unusedsavingsplan')"


class Columns:
    """The file's columns by lower-case name, as quoted identifiers (they come from the header)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = {n.strip().lower(): n for n in names}

    def raw(self, *candidates: str) -> str | None:
        return next((self.names[c] for c in candidates if c in self.names), None)

    def __call__(self, *candidates: str) -> str:
        """The first present column as SQL, or NULL."""
        name = self.raw(*candidates)
        return "NULL" if name is None else 'r."' + name.replace('"', '""') + '"'

    def text(self, *candidates: str) -> str:
        """Trimmed text, empty as NULL."""
        return f"nullif(trim({self(*candidates)}), '')"


def day(expr: str) -> str:
    """Azure dates (US 9/2/2023 or 09/21/2023, or ISO with or without a time) as a DATE."""
    return (
        f"CASE WHEN {expr} LIKE '%/%' THEN CAST(try_strptime(split_part({expr}, ' ', 1), '%m/%d/%Y') AS DATE) "
        f"ELSE try_cast(left({expr}, 10) AS DATE) END"
    )


def iso(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%d')"


def scaled(raw: str, factor: str) -> str:
    """raw x factor as text; text that is not a number stays as it is so the FOCUS reader names it."""
    number = f"try_cast({raw} AS DOUBLE)"
    return f"CASE WHEN {number} IS NULL THEN {raw} ELSE CAST({number} * {factor} AS VARCHAR) END"


def select_list(col: Columns, view: str, resource_type: str) -> str:
    """`expr AS "FocusColumn", ...` for one view ('actual' or 'amortized')."""
    charge, model = f"lower({col.text('chargetype')})", f"lower({col.text('pricingmodel')})"
    cost = col.text(*COST)
    exprs: dict[str, str] = {
        "ProviderName": "'Microsoft'",
        "PublisherName": f"coalesce({col.text('publishername')}, 'Microsoft')",
        "InvoiceIssuerName": f"coalesce({col.text('partnername', 'resellername')}, 'Microsoft')",
        "InvoiceId": col.text("invoiceid"),
        **_costs(col, view, charge, model, cost),
        **_accounts(col),
        **_periods(col),
        **_charge(col, charge, model),
        **_commitment(col, charge, model),
        **_pricing(col, charge),
        **_service_and_resource(col, resource_type),
    }
    return ", ".join(f'{expr} AS "{name}"' for name, expr in exprs.items())


def _costs(col: Columns, view: str, charge: str, model: str, cost: str) -> dict[str, str]:
    if view == "actual":
        # The invoice view: commitment-covered usage is already 0 and purchases carry the money.
        return {"BilledCost": cost, "EffectiveCost": cost}
    # Amortised view: purchases are spread over usage, so a purchase row would count twice; what
    # was invoiced for covered (or unused) usage was the purchase, not this row.
    covered = f"({charge} = 'usage' AND {model} IN {COMMITMENT_MODELS}) OR {charge} IN {UNUSED}"
    purchase = f"{charge} IN ('purchase', 'refund') AND {model} IN {COMMITMENT_MODELS}"
    return {
        "BilledCost": f"CASE WHEN {covered} THEN '0' ELSE {cost} END",
        "EffectiveCost": f"CASE WHEN {purchase} THEN '0' ELSE {cost} END",
    }


def _accounts(col: Columns) -> dict[str, str]:
    # MCA invoices per billing profile; EA repeats the enrolment as its profile. v1 has neither.
    profile, account = col.text("billingprofileid"), col.text("billingaccountid")
    return {
        "BillingAccountId": f"coalesce({profile}, {account}, {col.text('subscriptionid', 'subscriptionguid')})",
        "BillingAccountName": f"coalesce({col.text('billingprofilename')}, {col.text('billingaccountname')})",
        "BillingAccountType": (
            f"CASE WHEN {profile} <> {account} THEN 'Billing Profile' "
            f"WHEN coalesce({profile}, {account}) IS NOT NULL THEN 'Billing Account' ELSE 'Subscription' END"
        ),
        "SubAccountId": col.text("subscriptionid", "subscriptionguid"),
        "SubAccountName": col.text("subscriptionname"),
        "SubAccountType": "'Subscription'",
        "BillingCurrency": col.text("billingcurrencycode", "billingcurrency", "currency"),
        "PricingCurrency": col.text("pricingcurrency", "billingcurrencycode", "billingcurrency", "currency"),
    }


def _periods(col: Columns) -> dict[str, str]:
    date, start, end = col.text(*DATE), col.text("billingperiodstartdate"), col.text("billingperiodenddate")
    month = f"coalesce({day(start)}, CAST(date_trunc('month', {day(date)}) AS DATE))"
    # Unreadable text is passed on as it is: the FOCUS reader refuses it, naming row and value.
    return {
        "ChargePeriodStart": f"coalesce({iso(day(date))}, {date})",
        "ChargePeriodEnd": f"coalesce({iso(day(date) + ' + INTERVAL 1 DAY')}, {date})",
        "BillingPeriodStart": f"CASE WHEN {start} IS NOT NULL AND {day(start)} IS NULL THEN {start} "
        f"ELSE {iso(month)} END",
        # An inclusive end (the month's last day) is made exclusive by the FOCUS reader.
        "BillingPeriodEnd": f"CASE WHEN {end} IS NOT NULL THEN coalesce({iso(day(end))}, {end}) "
        f"ELSE {iso(month + ' + INTERVAL 1 MONTH')} END",
    }


def _charge(col: Columns, charge: str, model: str) -> dict[str, str]:
    frequency = f"lower({col.text('frequency')})"
    return {
        "ChargeCategory": (
            f"CASE WHEN {charge} IS NULL OR {charge} = 'usage' OR {charge} IN {UNUSED} THEN 'Usage' "
            f"WHEN {charge} IN ('purchase', 'refund') THEN 'Purchase' WHEN {charge} = 'credit' THEN 'Credit' "
            f"WHEN {charge} = 'tax' THEN 'Tax' ELSE 'Adjustment' END"
        ),
        "ChargeClass": f"CASE WHEN {charge} = 'refund' THEN 'Correction' END",
        "ChargeFrequency": (
            f"CASE {frequency} WHEN 'onetime' THEN 'One-Time' WHEN 'recurring' THEN 'Recurring' "
            f"WHEN 'usagebased' THEN 'Usage-Based' ELSE coalesce({col.text('frequency')}, "
            f"CASE WHEN {charge} IS NULL OR {charge} = 'usage' THEN 'Usage-Based' END) END"
        ),
        "ChargeDescription": col.text("productname", "product", "metername"),
        "PricingCategory": (
            f"CASE WHEN {charge} = 'tax' THEN NULL WHEN {charge} IN ('purchase', 'refund') THEN 'Standard' "
            f"WHEN {model} IN {COMMITMENT_MODELS} THEN 'Committed' WHEN {model} = 'spot' THEN 'Dynamic' "
            f"WHEN {model} IS NULL OR {model} = 'ondemand' THEN 'Standard' ELSE 'Other' END"
        ),
    }


def _commitment(col: Columns, charge: str, model: str) -> dict[str, str]:
    benefit = col.text("benefitid", "reservationid")
    kind = f"lower({benefit})"
    reservation = f"{kind} LIKE '%/microsoft.capacity/%' OR {model} = 'reservation'"
    savings_plan = f"{kind} LIKE '%/microsoft.billingbenefits/%' OR {model} = 'savingsplan'"
    return {
        "CommitmentDiscountId": benefit,
        "CommitmentDiscountName": col.text("benefitname", "reservationname"),
        "CommitmentDiscountCategory": f"CASE WHEN {benefit} IS NULL THEN NULL WHEN {reservation} THEN 'Usage' "
        f"WHEN {savings_plan} THEN 'Spend' END",
        "CommitmentDiscountType": f"CASE WHEN {benefit} IS NULL THEN NULL WHEN {reservation} THEN 'Reservation' "
        f"WHEN {savings_plan} THEN 'Savings Plan' END",
        "CommitmentDiscountStatus": f"CASE WHEN {charge} IN {UNUSED} THEN 'Unused' "
        f"WHEN {charge} = 'usage' AND {model} IN {COMMITMENT_MODELS} THEN 'Used' END",
    }


def _pricing(col: Columns, charge: str) -> dict[str, str]:
    # Prices are per block of the unit of measure ("10K" = 10,000 units); FOCUS prices per unit.
    block = "coalesce(un.block, 1)"
    quantity = col.text(*QUANTITY)
    rate = f"coalesce(try_cast({col.text('exchangeratepricingtobilling')} AS DOUBLE), 1)"
    usage = f"({charge} IS NULL OR {charge} = 'usage')"
    exprs = {
        "PricingQuantity": scaled(quantity, block),
        "PricingUnit": f"coalesce(un.unit, {col.text('unitofmeasure')})",
        "ConsumedQuantity": f"CASE WHEN {usage} THEN {scaled(quantity, block)} END",
        "ConsumedUnit": f"CASE WHEN {usage} THEN coalesce(un.unit, {col.text('unitofmeasure')}) END",
    }
    if col.raw("paygcostinbillingcurrency"):
        exprs["ListCost"] = f"coalesce({col.text('paygcostinbillingcurrency')}, {col.text(*COST)})"
    if col.raw("paygprice"):
        exprs["ListUnitPrice"] = scaled(col.text("paygprice"), f"{rate} / {block}")
        if "ListCost" not in exprs:
            exprs["ListCost"] = _times(col.text("paygprice"), rate, quantity, col.text(*COST))
    if col.raw("unitprice"):
        exprs["ContractedUnitPrice"] = scaled(col.text("unitprice"), f"{rate} / {block}")
        exprs["ContractedCost"] = _times(col.text("unitprice"), rate, quantity, col.text(*COST))
    return exprs


def _times(price: str, rate: str, quantity: str, cost: str) -> str:
    """price x rate x quantity as text; a row without price or quantity (tax, rounding) at its cost."""
    return f"coalesce(CAST(try_cast({price} AS DOUBLE) * {rate} * try_cast({quantity} AS DOUBLE) AS VARCHAR), {cost})"


def _service_and_resource(col: Columns, resource_type: str) -> dict[str, str]:
    found = "st.key IS NOT NULL"
    fallback = col.text("metercategory", "consumedservice", "servicename")
    location, resource_id = col.text("resourcelocation"), col.text("resourceid", "instanceid", "instancename")
    tags = col.text("tags")
    return {
        "ServiceName": f"coalesce(CASE WHEN {found} THEN st.ServiceName ELSE sc.ServiceName END, {fallback}, 'Azure')",
        "ServiceCategory": f"coalesce(CASE WHEN {found} THEN st.ServiceCategory ELSE sc.ServiceCategory END, 'Other')",
        "ServiceSubcategory": f"coalesce(CASE WHEN {found} THEN st.ServiceSubcategory "
        "ELSE sc.ServiceSubcategory END, 'Other')",
        "RegionId": f"coalesce(rg.RegionId, nullif(lower(replace({location}, ' ', '')), ''))",
        "RegionName": f"coalesce(rg.RegionName, {location})",
        "AvailabilityZone": col.text("availabilityzone"),
        "ResourceId": resource_id,
        "ResourceName": f"coalesce({col.text('resourcename')}, nullif(regexp_extract({resource_id}, '[^/]+$'), ''))",
        "ResourceType": resource_type,
        "SkuId": col.text("productid"),
        "SkuMeter": col.text("metername"),
        # Azure writes the JSON object without its outer braces; FOCUS Tags is the whole object.
        "Tags": f"CASE WHEN trim({tags}) LIKE '{{%' THEN {tags} "
        f"WHEN trim({tags}) <> '' THEN '{{' || {tags} || '}}' END",
    }
