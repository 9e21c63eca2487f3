"""The company: its teams and apps, the three providers with their accounts, negotiated prices."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ROWS = 300_000
COMPANY = "Kestrel Commerce"
# Allocation rules derive the business unit later; it is not a tag on purpose.
BUSINESS_UNIT: dict[str, str] = {
    "payments": "Commerce",
    "checkout": "Commerce",
    "catalog": "Commerce",
    "search": "Commerce",
    "data-platform": "Data & AI",
    "analytics": "Data & AI",
    "ml": "Data & AI",
    "recommendations": "Data & AI",
    "platform": "Platform",
    "sre": "Platform",
    "security": "Platform",
    "identity": "Platform",
}
TEAMS: tuple[str, ...] = tuple(BUSINESS_UNIT)
TEAM_APPS: dict[str, tuple[str, ...]] = {
    "payments": ("payments-api", "ledger"),
    "checkout": ("checkout", "cart"),
    "catalog": ("catalog", "pricing"),
    "search": ("search",),
    "data-platform": ("lakehouse", "etl"),
    "analytics": ("bi", "reporting"),
    "ml": ("training", "feature-store"),
    "recommendations": ("recs",),
    "platform": ("k8s", "ci"),
    "sre": ("observability",),
    "security": ("siem",),
    "identity": ("sso",),
}
COST_CENTER: dict[str, str] = {team: f"CC-{1100 + 100 * i}" for i, team in enumerate(TEAMS)}
# The account (role) a team's production workloads live in; dev and staging have their own.
TEAM_ROLE: dict[str, str] = {
    **dict.fromkeys(("payments", "checkout", "catalog", "search"), "prod-commerce"),
    **dict.fromkeys(("data-platform", "analytics", "recommendations"), "prod-data"),
    **dict.fromkeys(("platform", "sre", "identity"), "shared"),
    "ml": "ml",
    "security": "security",
}


@dataclass(frozen=True)
class Account:
    role: str
    id: str
    name: str


@dataclass(frozen=True)
class Provider:
    key: str
    name: str  # ProviderName, ServiceProviderName and HostProviderName
    issuer: str  # InvoiceIssuerName and PublisherName
    currency: str
    billing_account_id: str
    billing_account_name: str
    sub_account_type: str
    share: float  # of the line items
    regions: tuple[tuple[str, str, float], ...]  # RegionId, RegionName, weight; the first is home
    accounts: tuple[Account, ...]
    teams: tuple[str, ...]  # who runs workloads here
    tax_rate: float = 0.0
    taxed_roles: tuple[str, ...] = ()
    tax_description: str = ""

    def account(self, role: str) -> Account:
        return next(a for a in self.accounts if a.role == role)


def _subscription(guid: str, name: str, *roles: str) -> tuple[Account, ...]:
    return tuple(Account(role, f"/subscriptions/{guid}", name) for role in roles)


# fmt: off
PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "aws", "AWS", "Amazon Web Services, Inc.", "USD", "400011112222", "kestrel-management", "Linked Account",
        0.50,
        (("us-east-1", "US East (N. Virginia)", 0.6), ("eu-west-1", "Europe (Ireland)", 0.3),
         ("us-west-2", "US West (Oregon)", 0.1)),
        (Account("prod-commerce", "412345678901", "prod-commerce"), Account("prod-data", "423456789012", "prod-data"),
         Account("ml", "434567890123", "ml-platform"), Account("shared", "445678901234", "shared-services"),
         Account("staging", "456789012345", "staging"), Account("dev", "467890123456", "dev-sandbox"),
         Account("network-hub", "478901234567", "network-hub"), Account("security", "489012345678", "security"),
         Account("management", "400011112222", "kestrel-management")),
        ("payments", "checkout", "catalog", "search", "data-platform", "recommendations", "ml", "platform", "sre"),
        # Two accounts carry a US billing address, so US sales tax applies to them.
        0.0825, ("ml", "dev"), "US sales tax (8.25%)",
    ),
    Provider(
        "azure", "Microsoft", "Microsoft", "EUR",
        "8e1f2c3d-4a5b-4c6d-8e7f-90a1b2c3d4e5:0f1e2d3c-4b5a-4697-a8b9-c0d1e2f3a4b5_2019-05-31",
        f"{COMPANY} GmbH", "Subscription", 0.27,
        (("westeurope", "West Europe", 0.65), ("northeurope", "North Europe", 0.2),
         ("germanywestcentral", "Germany West Central", 0.15)),
        _subscription("3f2a9c1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b", "commerce-prod", "prod-commerce")
        + _subscription("5b7c1d2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e", "analytics-prod", "prod-data", "ml")
        + _subscription("7d9e3f4a-5b6c-4d7e-9f0a-1b2c3d4e5f6a", "identity-prod", "shared")
        + _subscription("9f1a5b6c-7d8e-4f9a-8b0c-1d2e3f4a5b6c", "dev-test", "staging", "dev")
        + _subscription("1a3b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "network-hub", "network-hub")
        + _subscription("2b4c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e", "security", "security"),
        ("catalog", "analytics", "identity", "platform", "security", "payments"),
        # Only the pay-as-you-go dev subscription, opened without a VAT id, is charged VAT;
        # the rest of the invoice is reverse-charged.
        0.19, ("dev",), "VAT (19%)",
    ),
    Provider(
        "gcp", "Google Cloud", "Google Cloud", "USD", "01A2B3-C4D5E6-F7A8B9", f"{COMPANY} billing", "Project", 0.23,
        (("europe-west1", "Belgium", 0.6), ("us-central1", "Iowa", 0.25), ("europe-west4", "Netherlands", 0.15)),
        (Account("prod-commerce", "kestrel-commerce-prod", "commerce-prod"),
         Account("prod-data", "kestrel-data-prod", "data-prod"), Account("ml", "kestrel-ml-prod", "ml-prod"),
         Account("shared", "kestrel-platform", "platform"), Account("staging", "kestrel-staging", "staging"),
         Account("dev", "kestrel-dev", "dev"), Account("network-hub", "kestrel-network-hub", "network-hub"),
         Account("security", "kestrel-security", "security")),
        ("data-platform", "ml", "analytics", "recommendations", "search", "platform"),
    ),
)
# fmt: on
# fmt: on
PROVIDER_INDEX = {p.key: i for i, p in enumerate(PROVIDERS)}
# Negotiated discounts on list prices (AWS private pricing, Azure MCA), before any commitment.
NEGOTIATED_DISCOUNT = {"aws": 0.05, "azure": 0.03, "gcp": 0.0}
SPOT_PRICE = 0.38  # spot capacity costs about this share of on-demand
