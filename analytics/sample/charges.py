"""The line items besides usage: commitment purchases and waste, support, credits, a marketplace
purchase and its refund, and tax."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from analytics.engine import Connection
from analytics.sample.catalog import OFFERING_INDEX, SERVICES
from analytics.sample.commitments import Commitment
from analytics.sample.company import Account, Provider
from analytics.sample.ids import digest, sku_id
from analytics.sample.plan import Plan
from analytics.sample.usage import Chunk


def invoice_context(plan: Plan, chunk: Chunk) -> dict[str, object]:
    """Columns every row of a provider-month shares: the billing account and the invoice."""
    p = chunk.provider
    start, end = plan.window.periods[chunk.period]
    closed = end <= plan.window.end  # the current month is not invoiced yet
    number = int(digest("invoice", p.key, start.date()), 16)
    invoice = {"aws": f"{number % 10**10:010d}", "azure": f"G{number % 10**9:09d}", "gcp": f"{number % 10**10:010d}"}
    return {
        "ProviderName": p.name,
        "InvoiceIssuerName": p.issuer,
        "BillingAccountId": p.billing_account_id,
        "BillingAccountName": p.billing_account_name,
        "BillingCurrency": p.currency,
        "BillingPeriodStart": start,
        "BillingPeriodEnd": end,
        "InvoiceId": invoice[p.key] if closed else None,
    }


def _account_columns(provider: Provider, account: Account) -> dict[str, object]:
    return {"SubAccountId": account.id, "SubAccountName": account.name, "SubAccountType": provider.sub_account_type}


def _provider_columns(provider: Provider, hosted: bool = True) -> dict[str, object]:
    # FOCUS 1.3: no host for a service that runs on no infrastructure (support, licences).
    return {
        "PublisherName": provider.issuer,
        "ServiceProviderName": provider.name,
        "HostProviderName": provider.name if hosted else None,
    }


def _hour_time(plan: Plan, hour: int) -> dt.datetime:
    return plan.window.start + dt.timedelta(hours=int(hour))


def commitment_rows(plan: Plan, chunk: Chunk, unused: dict[int, np.ndarray]) -> list[dict[str, object]]:
    """Per commitment: its Purchase row (the monthly fee, or the upfront payment in its month) and
    a daily Unused row wherever some of it went unused."""
    rows: list[dict[str, object]] = []
    for c in (c for c in plan.commitments if c.spec.provider == chunk.provider.key):
        common = _commitment_columns(chunk.provider, c)
        purchase = _purchase(plan, chunk, c)
        if purchase:
            rows.append({**common, **purchase})
        day = (chunk.h0 + np.arange(chunk.h1 - chunk.h0)) // 24
        waste = np.bincount(day - chunk.d0, weights=unused[c.index], minlength=chunk.d1 - chunk.d0)
        for offset in np.flatnonzero(waste > 1e-9):
            units, start = float(waste[offset]), plan.window.start + dt.timedelta(days=int(chunk.d0 + offset))
            # The waste has no list price of its own: all four metrics carry it (BilledCost was the fee).
            cost = units * c.rate
            rows.append(
                {
                    **common,
                    "ChargeCategory": "Usage",
                    "ChargeFrequency": "Usage-Based",
                    "ChargeDescription": f"{c.spec.name}: unused commitment",
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": start + dt.timedelta(days=1),
                    "PricingCategory": "Committed",
                    "PricingQuantity": units,
                    "CommitmentDiscountStatus": "Unused",
                    "CommitmentDiscountQuantity": units,
                    **dict.fromkeys(("EffectiveCost", "ListCost", "ContractedCost"), cost),
                    "BilledCost": 0.0,
                }
            )
    return rows


def _commitment_columns(provider: Provider, c: Commitment) -> dict[str, object]:
    """What a commitment's own rows (Purchase, Unused) carry: the commitment is their resource."""
    spec = c.spec
    region = next((r for r in provider.regions if r[0] == spec.region), None)
    return {
        **_service_columns(provider, c.account, spec.service),
        "ResourceId": spec.id,
        "ResourceName": spec.name,
        "ResourceType": spec.type,
        "RegionId": region[0] if region else None,
        "RegionName": region[1] if region else None,
        "SkuId": c.sku_id,
        "SkuPriceId": f"{c.sku_id}.{c.price_code}",
        "SkuMeter": spec.type,
        "PricingUnit": spec.unit,
        "ListUnitPrice": c.rate,
        "ContractedUnitPrice": c.rate,
        "CommitmentDiscountId": spec.id,
        "CommitmentDiscountName": spec.name,
        "CommitmentDiscountCategory": spec.category,
        "CommitmentDiscountType": spec.type,
        "CommitmentDiscountUnit": spec.unit,
    }


def _purchase(plan: Plan, chunk: Chunk, c: Commitment) -> dict[str, object] | None:
    """The fee billed in this month: the whole term when paid upfront (its charge period is the term,
    as in the FOCUS examples), else the hours of this month. EffectiveCost is 0: the money shows up
    amortised on the Used and Unused rows."""
    if c.spec.upfront:
        if not chunk.h0 <= c.start_hour < chunk.h1:
            return None
        first, last, frequency, what = c.start_hour, c.end_hour, "One-Time", "upfront payment"
    else:
        active = np.flatnonzero(c.units_per_hour(chunk.h0, chunk.h1) > 0)
        if not len(active):
            return None
        first, last, frequency, what = chunk.h0 + active[0], chunk.h0 + active[-1] + 1, "Recurring", "monthly fee"
    units = c.capacity * (last - first)
    amount = units * c.rate
    return {
        "ChargeCategory": "Purchase",
        "ChargeFrequency": frequency,
        "ChargeDescription": f"{c.spec.name}: {what}",
        "ChargePeriodStart": _hour_time(plan, first),
        "ChargePeriodEnd": _hour_time(plan, last),
        "PricingCategory": "Standard",
        "PricingQuantity": units,
        "CommitmentDiscountQuantity": units,
        "BilledCost": amount,
        "EffectiveCost": 0.0,
        "ListCost": amount,
        "ContractedCost": amount,
    }


def _month_span(plan: Plan, chunk: Chunk) -> tuple[dt.datetime, dt.datetime]:
    return _hour_time(plan, chunk.h0), _hour_time(plan, chunk.h1)


def _staged_sum(con: Connection, where: str, params: Sequence[object]) -> float:
    rows = con.execute(f"SELECT coalesce(sum(BilledCost), 0) FROM _sample_staged WHERE {where}", params).fetchall()
    return float(rows[0][0])


def _costs(amount: float) -> dict[str, object]:
    # Charges without a discount of their own carry the same amount in all four metrics.
    return dict.fromkeys(("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"), amount)


def _service_columns(provider: Provider, account: Account, service: str, hosted: bool = True) -> dict[str, object]:
    category, subcategory = SERVICES[service]
    return {
        **_account_columns(provider, account),
        **_provider_columns(provider, hosted),
        "ServiceName": service,
        "ServiceCategory": category,
        "ServiceSubcategory": subcategory,
    }


def support_row(con: Connection, plan: Plan, chunk: Chunk) -> dict[str, object] | None:
    """AWS Business support: a tiered share of the month's AWS usage, billed to the payer."""
    if chunk.provider.key != "aws":
        return None
    usage = _staged_sum(con, "ChargeCategory = 'Usage'", [])
    fee, floor = 0.0, 0.0
    for ceiling, share in ((10_000, 0.10), (80_000, 0.07), (250_000, 0.05), (math.inf, 0.03)):
        fee += max(0.0, min(usage, ceiling) - floor) * share
        floor = ceiling
    fee = round(max(fee, 100.0), 2)
    start, end = _month_span(plan, chunk)
    sku = sku_id("aws", "support-business")
    management = chunk.provider.account("management")
    return {
        **_service_columns(chunk.provider, management, "AWS Support (Business)", hosted=False),
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Recurring",
        "ChargeDescription": "AWS Support (Business): greater of $100 or a tiered share of monthly AWS charges",
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end,
        "PricingCategory": "Standard",
        "PricingQuantity": 1.0,
        "PricingUnit": "Months",
        "ConsumedQuantity": 1.0,
        "ConsumedUnit": "Months",
        "SkuId": sku,
        "SkuMeter": "Business Support",
        "SkuPriceId": f"{sku}.RECURRING",
        "ListUnitPrice": fee,
        "ContractedUnitPrice": fee,
        **_costs(fee),
    }


def credit_rows(con: Connection, plan: Plan, chunk: Chunk) -> list[dict[str, object]]:
    """AWS migration credits in the first half of the window; a GCP Vertex AI promotion at its end."""
    p, n = chunk.provider, len(plan.window.periods)
    if p.key == "aws" and chunk.period < n // 2:
        account, service, share = p.account("prod-data"), "Amazon Elastic Compute Cloud", 0.25
        description = "AWS Migration Acceleration Program credit"
        base = _staged_sum(con, "ChargeCategory = 'Usage' AND SubAccountId = ?", [account.id])
    elif p.key == "gcp" and chunk.period >= n - 3:
        account, service, share = p.account("ml"), "Vertex AI", 0.5
        description = "Promotion: Vertex AI adoption credit"
        base = _staged_sum(con, "ChargeCategory = 'Usage' AND ServiceName = ?", [service])
    else:
        return []
    amount = -round(base * share, 2)
    if amount == 0:
        return []
    start, end = _month_span(plan, chunk)
    return [
        {
            **_service_columns(p, account, service),
            "ChargeCategory": "Credit",
            "ChargeFrequency": "One-Time",
            "ChargeDescription": description,
            "ChargePeriodStart": start,
            "ChargePeriodEnd": end,
            **_costs(amount),
        }
    ]


MARKETPLACE_COLUMNS = (
    "ResourceId", "ResourceName", "ResourceType", "SubAccountId", "SubAccountName", "SubAccountType",
    "ServiceName", "ServiceCategory", "ServiceSubcategory", "Tags", "PublisherName", "ServiceProviderName",
    "HostProviderName", "SkuId",
)  # fmt: skip


def marketplace_rows(plan: Plan, chunk: Chunk) -> list[dict[str, object]]:
    """An annual add-on bought from the marketplace vendor, and next month a partial refund
    (a Correction of the invoiced month). Billed through the AWS invoice, so BilledCost > 0:
    FOCUS asks for 0 only when a third party bills the charge separately."""
    n = len(plan.window.periods)
    bought = max(0, n - 5)
    if chunk.provider.key != "aws" or chunk.period not in (bought, bought + 1):
        return []
    vendor = plan.res[plan.res["offering"] == OFFERING_INDEX["aws:marketplace"]].iloc[0]
    day = min(9, max(0, plan.window.days - 1 - (plan.window.periods[bought][0] - plan.window.start).days))
    start = max(plan.window.periods[bought][0], plan.window.start) + dt.timedelta(days=day)
    amount = round(24_000 * plan.scale, 2)
    common: dict[str, object] = {
        **{column: vendor[column] for column in MARKETPLACE_COLUMNS},
        "SkuMeter": "APM add-on, annual",
        "ChargeCategory": "Purchase",
        "ChargeFrequency": "One-Time",
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start + dt.timedelta(days=1),
    }
    if chunk.period == bought:
        return [
            {
                **common,
                "ChargeDescription": "Houndly APM add-on, 12 months",
                "PricingCategory": "Standard",
                "PricingQuantity": 1.0,
                "PricingUnit": "Units",
                "SkuPriceId": f"{vendor['SkuId']}.ANNUAL",
                "ListUnitPrice": amount,
                "ContractedUnitPrice": amount,
                **_costs(amount),
            }
        ]
    refund = -round(amount * 0.25, 2)
    description = "Refund: Houndly APM add-on downgraded from 40 to 30 hosts"
    return [{**common, "ChargeClass": "Correction", "ChargeDescription": description, **_costs(refund)}]


def insert_tax(con: Connection, plan: Plan, chunk: Chunk) -> None:
    """Tax per taxed account and service, on that month's usage and purchases (monthly rows)."""
    p = chunk.provider
    accounts = sorted({p.account(role).id for role in p.taxed_roles})
    if not accounts or not p.tax_rate:
        return
    start, end = _month_span(plan, chunk)
    rate = p.tax_rate
    con.execute(
        """
        INSERT INTO _sample_staged BY NAME
        SELECT ProviderName, InvoiceIssuerName, BillingAccountId, BillingAccountName, BillingCurrency,
               BillingPeriodStart, BillingPeriodEnd, InvoiceId, SubAccountId, SubAccountName, SubAccountType,
               ServiceName, ServiceCategory, ServiceSubcategory,
               'Tax' AS ChargeCategory, 'Recurring' AS ChargeFrequency, $description AS ChargeDescription,
               $start AS ChargePeriodStart, $end AS ChargePeriodEnd,
               $publisher AS PublisherName, $provider AS ServiceProviderName,
               CAST(NULL AS VARCHAR) AS HostProviderName,  -- FOCUS 1.3: tax has no host
               sum(BilledCost) * $rate AS BilledCost, sum(EffectiveCost) * $rate AS EffectiveCost,
               sum(ListCost) * $rate AS ListCost, sum(ContractedCost) * $rate AS ContractedCost
        FROM _sample_staged
        WHERE ChargeCategory IN ('Usage', 'Purchase') AND list_contains($accounts, SubAccountId)
        GROUP BY ProviderName, InvoiceIssuerName, BillingAccountId, BillingAccountName, BillingCurrency,
                 BillingPeriodStart, BillingPeriodEnd, InvoiceId, SubAccountId, SubAccountName, SubAccountType,
                 ServiceName, ServiceCategory, ServiceSubcategory
        HAVING sum(BilledCost) <> 0 OR sum(EffectiveCost) <> 0
        """,
        {
            "description": p.tax_description,
            "start": start,
            "end": end,
            "publisher": p.issuer,
            "provider": p.name,
            "rate": rate,
            "accounts": accounts,
        },
    )
