"""Deterministic generator of the embedded sample: "Kestrel Commerce", a multi-cloud company in FOCUS.

Grain: one line item per resource per hour for virtual machines and database instances, per day for
storage, network and everything else, per month for commitment fees, support, tax and credits.
Money is in each provider's billing currency (AWS and Google Cloud in USD, Azure in EUR).

The same (rows, months, seed, as_of) always builds identical line items: every provider-month draws
from its own random stream, so the chunking never changes the data. Rows go through the real
loader (`store_rows`), one provider-month per call, so tag sets, provenance and the daily rollup are
exactly what an ingest produces, and memory stays bounded at any size.

What is in it, so every page has something true to show:
- 3 providers with several accounts each (incl. `network-hub` and `security`), 12 teams in 3 business
  units (`BUSINESS_UNIT`, deliberately not a tag), messy tags (env spelled many ways, `Team` and
  `Environment` keys on some resources, ~12% of spend untagged);
- an AWS Compute Savings Plan, EC2 Reserved Instances, an Azure reservation and a GCP committed use
  discount, with Purchase, covered (Used) and Unused rows, covering ~60% of VM spend;
- credits, one refund (a Correction), tax, AWS Support, a marketplace vendor, shared network and
  security costs, ~2% monthly growth, weekly seasonality, noise, and injected anomalies listed in
  meta `sample_anomalies`;
- tables `utilization` (hourly, last 60 days, every VM; some oversized, a few idle), `budgets` (per
  team per month) and `business_metrics` (daily orders and active users).

The fleet is small at the default size (a few dozen VMs and databases, since each runs 24 line items a
day); `rows` scales it. Below ~25 line items per window hour the core fleet sets a floor on the size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.ingest.load import store_rows
from analytics.ingest.report import IngestReport
from analytics.schema import FOCUS_COLUMNS, MONEY, QUANTITY, TIME
from analytics.store import SAMPLE_FORMAT, delete_sample, set_meta, transaction

DEFAULT_ROWS = 300_000
SOURCE_FORMAT = SAMPLE_FORMAT
COMPANY = "Kestrel Commerce"
Progress = Callable[[float, str], None]

# ---------------------------------------------------------------------------------------------
# The company: teams, accounts, providers
# ---------------------------------------------------------------------------------------------

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
# Their budgets are planned below their trend, so the budget page has someone heading over.
OVER_BUDGET_TEAMS: tuple[str, ...] = ("ml", "search")
EUR_USD = 1.08  # only to set the USD budgets of EUR spend; the app's FX table is the real source
UTILIZATION_DAYS = 60
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
PROVIDER_INDEX = {p.key: i for i, p in enumerate(PROVIDERS)}
# Negotiated discounts on list prices (AWS private pricing, Azure MCA), before any commitment.
NEGOTIATED_DISCOUNT = {"aws": 0.05, "azure": 0.03, "gcp": 0.0}
SPOT_PRICE = 0.38  # spot capacity costs about this share of on-demand

# ---------------------------------------------------------------------------------------------
# The catalogue: services and what they bill (list prices of 2025 in the billing currency)
# ---------------------------------------------------------------------------------------------

# FOCUS: every ServiceName maps to exactly one ServiceCategory and ServiceSubcategory.
# fmt: off
SERVICES: dict[str, tuple[str, str]] = {
    "Amazon Elastic Compute Cloud": ("Compute", "Virtual Machines"),
    "Amazon Relational Database Service": ("Databases", "Relational Databases"),
    "Amazon ElastiCache": ("Databases", "Caching"),
    "Amazon Simple Storage Service": ("Storage", "Object Storage"),
    "Amazon Elastic Block Store": ("Storage", "Block Storage"),
    "AWS Lambda": ("Compute", "Serverless Compute"),
    "Amazon CloudFront": ("Networking", "Content Delivery"),
    "Amazon DynamoDB": ("Databases", "NoSQL Databases"),
    "Amazon CloudWatch": ("Management and Governance", "Observability"),
    "Amazon Virtual Private Cloud": ("Networking", "Network Connectivity"),
    "Elastic Load Balancing": ("Networking", "Application Networking"),
    "AWS Data Transfer": ("Networking", "Network Connectivity"),
    "Amazon SageMaker": ("AI and Machine Learning", "Machine Learning"),
    "Amazon OpenSearch Service": ("Analytics", "Search"),
    "AWS Key Management Service": ("Security", "Secret Management"),
    "Amazon GuardDuty": ("Security", "Threat Detection and Response"),
    "AWS Security Hub": ("Security", "Security Posture Management"),
    "Houndly Observability Pro": ("Management and Governance", "Observability"),
    "Savings Plans for AWS Compute usage": ("Compute", "Other (Compute)"),
    "AWS Support (Business)": ("Management and Governance", "Support"),
    "Virtual Machines": ("Compute", "Virtual Machines"),
    "Azure SQL Database": ("Databases", "Relational Databases"),
    "Azure Database for PostgreSQL": ("Databases", "Relational Databases"),
    "Storage Accounts": ("Storage", "Storage Platforms"),
    "Azure Monitor": ("Management and Governance", "Observability"),
    "Azure Kubernetes Service": ("Compute", "Containers"),
    "Azure App Service": ("Web", "Application Platforms"),
    "Azure Cache for Redis": ("Databases", "Caching"),
    "Virtual Network": ("Networking", "Network Infrastructure"),
    "Key Vault": ("Security", "Secret Management"),
    "VPN Gateway": ("Networking", "Network Connectivity"),
    "Azure Firewall": ("Networking", "Network Security"),
    "Microsoft Defender for Cloud": ("Security", "Security Posture Management"),
    "Compute Engine": ("Compute", "Virtual Machines"),
    "Cloud SQL": ("Databases", "Relational Databases"),
    "Cloud Storage": ("Storage", "Object Storage"),
    "BigQuery": ("Databases", "Data Warehouses"),
    "Kubernetes Engine": ("Compute", "Containers"),
    "Vertex AI": ("AI and Machine Learning", "AI Platforms"),
    "Cloud Pub/Sub": ("Integration", "Messaging"),
    "Dataflow": ("Analytics", "Data Processing"),
    "Cloud Logging": ("Management and Governance", "Observability"),
    "Networking": ("Networking", "Network Connectivity"),
    "Security Command Center": ("Security", "Security Posture Management"),
}
# fmt: on


@dataclass(frozen=True)
class Offering:
    """A billable thing: one ServiceName and SKU, with its list price per PricingUnit."""

    key: str  # "<provider>:<name>"
    service: str
    sku: str
    unit: str
    price: float
    grain: str  # "hour": one row per resource-hour; "day": one row per resource-day
    resource_type: str
    id_template: str  # "" when the charge has no resource
    description: str
    qty: float = 1.0  # typical PricingQuantity per day (daily offerings)
    weight: float = 0.0  # frequency among randomly drawn resources of its provider and grain
    teams: tuple[str, ...] = ()  # empty: the provider's teams
    vcpu: int = 0
    memory_gb: float = 0.0
    family: str = ""  # what usage-based commitments match on
    weekly: float = 0.0  # weekend dip of daily usage (negative: a weekend peak)
    noise: float = 0.08
    growth: float = 0.005  # monthly growth of one resource's quantity
    regional: bool = True
    publisher: str = ""  # a third-party seller (marketplace); empty means the provider itself

    @property
    def provider(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def category(self) -> str:
        return SERVICES[self.service][0]

    @property
    def subcategory(self) -> str:
        return SERVICES[self.service][1]


VM_SERVICE = {"aws": "Amazon Elastic Compute Cloud", "azure": "Virtual Machines", "gcp": "Compute Engine"}


def _arn(service: str) -> str:
    return f"arn:aws:{service}:{{region}}:{{acct}}:"


AZ = "/subscriptions/{sub}/resourcegroups/rg-{app}-{env}/providers/microsoft."
AZ_HUB = "/subscriptions/{sub}/resourcegroups/rg-connectivity/providers/microsoft.network/"


def _gcp(api: str) -> str:
    return f"//{api}.googleapis.com/projects/{{acct}}/"


def _vm(
    provider: str, sku: str, price: float, vcpu: int, mem: float, family: str, weight: float, **more: Any
) -> Offering:
    template, rtype, description = {
        "aws": ("i-{hex17}", "Instance", f"${price} per On Demand Linux {sku} Instance Hour"),
        "azure": (AZ + "compute/virtualmachines/{name}", "Virtual machine", f"{sku} Linux virtual machine hour"),
        "gcp": (_gcp("compute") + "zones/{zone}/instances/{name}", "Instance", f"{sku} instance core and RAM running"),
    }[provider]
    return Offering(
        f"{provider}:{sku}",
        VM_SERVICE[provider],
        sku,
        "Hours",
        price,
        "hour",
        rtype,
        template,
        description,
        weight=weight,
        vcpu=vcpu,
        memory_gb=mem,
        family=family,
        **more,
    )


def _db(
    key: str,
    service: str,
    sku: str,
    price: float,
    rtype: str,
    template: str,
    weight: float,
    vcpu: int,
    mem: float,
    description: str,
) -> Offering:
    return Offering(
        key, service, sku, "Hours", price, "hour", rtype, template, description, weight=weight, vcpu=vcpu, memory_gb=mem
    )


def _daily(
    key: str,
    service: str,
    sku: str,
    unit: str,
    price: float,
    rtype: str,
    template: str,
    qty: float,
    weight: float,
    description: str,
    **more: Any,
) -> Offering:
    return Offering(key, service, sku, unit, price, "day", rtype, template, description, qty=qty, weight=weight, **more)


# Weight 0 marks shared and one-off resources, placed by SINGLETONS rather than drawn at random.
# fmt: off
OFFERINGS: tuple[Offering, ...] = (
    _vm("aws", "m6i.large", 0.096, 2, 8, "m6i", 1),
    _vm("aws", "m6i.xlarge", 0.192, 4, 16, "m6i", 2),
    _vm("aws", "m6i.2xlarge", 0.384, 8, 32, "m6i", 4),
    _vm("aws", "m6i.4xlarge", 0.768, 16, 64, "m6i", 5),
    _vm("aws", "m6i.8xlarge", 1.536, 32, 128, "m6i", 2),
    _vm("aws", "c6i.4xlarge", 0.68, 16, 32, "c6i", 2),
    _vm("aws", "r6i.4xlarge", 1.008, 16, 128, "r6i", 1.5),
    _vm("aws", "m7g.2xlarge", 0.3264, 8, 32, "m7g", 2),
    _vm("aws", "t3.large", 0.0832, 2, 8, "t3", 1),
    _vm("aws", "g5.2xlarge", 1.212, 8, 32, "g5", 0.6, teams=("ml", "recommendations")),
    _db("aws:db.r6g.2xlarge", "Amazon Relational Database Service", "db.r6g.2xlarge", 0.898, "DB Instance",
        _arn("rds") + "db:{name}", 1.5, 8, 64,
        "RDS db.r6g.2xlarge PostgreSQL instance hour"),
    _db("aws:db.r6g.xlarge", "Amazon Relational Database Service", "db.r6g.xlarge", 0.449, "DB Instance",
        _arn("rds") + "db:{name}", 1.5, 4, 32,
        "RDS db.r6g.xlarge PostgreSQL instance hour"),
    _db("aws:db.m6g.large", "Amazon Relational Database Service", "db.m6g.large", 0.152, "DB Instance",
        _arn("rds") + "db:{name}", 2, 2, 8,
        "RDS db.m6g.large PostgreSQL instance hour"),
    _db("aws:cache.r6g.large", "Amazon ElastiCache", "cache.r6g.large", 0.206, "Cache Node",
        _arn("elasticache") + "cluster:{name}", 1, 2, 13,
        "ElastiCache cache.r6g.large node hour"),
    _daily("aws:s3", "Amazon Simple Storage Service", "Standard Storage", "GB-Mo", 0.023, "Bucket", "kestrel-{name}",
           70, 6, "$0.023 per GB-Month of Standard storage", growth=0.015, noise=0.01),
    _daily("aws:ebs", "Amazon Elastic Block Store", "gp3", "GB-Mo", 0.08, "Volume", "vol-{hex17}", 10, 6,
           "$0.08 per GB-month of General Purpose (gp3) provisioned storage", noise=0.0, growth=0.003),
    _daily("aws:lambda", "AWS Lambda", "Lambda-GB-Second", "GB-Seconds", 0.0000166667, "Function",
           _arn("lambda") + "function:{name}", 60_000, 4, "AWS Lambda - Total Compute",
           weekly=0.35, noise=0.15),
    _daily("aws:cloudfront", "Amazon CloudFront", "DataTransfer-Out-Bytes", "GB", 0.085, "Distribution",
           "arn:aws:cloudfront::{acct}:distribution/E{alnum13}", 40, 1.5,
           "$0.085 per GB data transfer out (North America and Europe)", weekly=-0.15, noise=0.12, regional=False,
           teams=("checkout", "catalog", "search")),
    _daily("aws:dynamodb", "Amazon DynamoDB", "ReadRequestUnits", "Requests", 0.00000025, "Table",
           _arn("dynamodb") + "table/{name}", 5_000_000, 2,
           "$0.25 per million read request units", weekly=0.2, noise=0.12),
    _daily("aws:cloudwatch", "Amazon CloudWatch", "DataProcessing-Bytes", "GB", 0.50, "Log Group",
           _arn("logs") + "log-group:/aws/{name}", 3, 3, "$0.50 per GB custom log data ingested",
           weekly=0.2, noise=0.1),
    _daily("aws:nat", "Amazon Virtual Private Cloud", "NatGateway-Bytes", "GB", 0.045, "NAT Gateway",
           _arn("ec2") + "natgateway/nat-{hex17}", 60, 1.5,
           "$0.045 per GB Data Processed by NAT Gateways", weekly=0.3, noise=0.1),
    _daily("aws:elb", "Elastic Load Balancing", "LCUUsage", "LCU-Hours", 0.008, "Load Balancer",
           _arn("elasticloadbalancing") + "loadbalancer/app/{name}/{hex16}", 150, 2,
           "$0.008 per used Application load balancer capacity unit-hour", weekly=0.3, noise=0.1),
    _daily("aws:datatransfer", "AWS Data Transfer", "DataTransfer-Regional-Bytes", "GB", 0.01, "", "", 400, 1.5,
           "$0.01 per GB - regional data transfer - in/out/between EC2 AZs or using elastic IPs or ELB",
           weekly=0.3, noise=0.12),
    _daily("aws:sagemaker", "Amazon SageMaker", "ml.m5.xlarge-Hosting", "Hours", 0.23, "Endpoint",
           _arn("sagemaker") + "endpoint/{name}", 24, 1, "$0.23 per Hosting ml.m5.xlarge hour",
           noise=0.02, teams=("ml", "recommendations")),
    _daily("aws:opensearch", "Amazon OpenSearch Service", "r6g.large.search", "Hours", 0.167, "Domain",
           _arn("es") + "domain/{name}", 48, 0.8, "$0.167 per r6g.large.search instance hour",
           noise=0.0, teams=("search",)),
    _daily("aws:kms", "AWS Key Management Service", "KMS-Requests", "Requests", 0.000003, "Key",
           _arn("kms") + "key/{uuid}", 150_000, 1, "$0.03 per 10,000 requests",
           weekly=0.2, noise=0.1),
    _daily("aws:tgw-attach", "Amazon Virtual Private Cloud", "TransitGateway-Hours", "Hours", 0.05,
           "Transit Gateway Attachment",
           _arn("ec2") + "transit-gateway-attachment/tgw-attach-{hex17}", 96, 0,
           "$0.05 per Transit Gateway attachment hour", noise=0.0),
    _daily("aws:tgw-data", "Amazon Virtual Private Cloud", "TransitGateway-Bytes", "GB", 0.02, "Transit Gateway",
           _arn("ec2") + "transit-gateway/tgw-{hex17}", 400, 0,
           "$0.02 per GB Data Processed by Transit Gateway", weekly=0.3, noise=0.1, growth=0.01),
    _daily("aws:vpn", "Amazon Virtual Private Cloud", "VPN-Usage-Hours:ipsec.1", "Hours", 0.05, "VPN Connection",
           _arn("ec2") + "vpn-connection/vpn-{hex17}", 48, 0, "$0.05 per VPN Connection-Hour",
           noise=0.0),
    _daily("aws:guardduty", "Amazon GuardDuty", "PaidEventsAnalyzed", "GB", 1.0, "Detector",
           _arn("guardduty") + "detector/{hex32}", 0.6, 0,
           "$1.00 per GB of VPC flow and DNS logs analyzed", noise=0.15, growth=0.01),
    _daily("aws:securityhub", "AWS Security Hub", "PaidComplianceCheck", "Checks", 0.001, "Hub",
           _arn("securityhub") + "hub/default", 2000, 0, "$0.0010 per security check",
           noise=0.05, growth=0.01),
    _daily("aws:marketplace", "Houndly Observability Pro", "host-hour", "Hours", 0.031, "SaaS Subscription",
           "houndly-{hex16}", 480, 0, "Houndly Observability Pro, per monitored host-hour (AWS Marketplace)",
           noise=0.04, growth=0.015, regional=False, publisher="Houndly, Inc."),
    _vm("azure", "Standard_D2s_v5", 0.099, 2, 8, "dsv5", 1),
    _vm("azure", "Standard_D4s_v5", 0.198, 4, 16, "dsv5", 3),
    _vm("azure", "Standard_D8s_v5", 0.396, 8, 32, "dsv5", 5),
    _vm("azure", "Standard_D16s_v5", 0.792, 16, 64, "dsv5", 4),
    _vm("azure", "Standard_D32s_v5", 1.584, 32, 128, "dsv5", 1.5),
    _vm("azure", "Standard_E8s_v5", 0.52, 8, 64, "esv5", 0.8),
    _vm("azure", "Standard_B2ms", 0.083, 2, 8, "bs", 1),
    _vm("azure", "Standard_F8s_v2", 0.37, 8, 16, "fsv2", 0.4),
    _db("azure:sql", "Azure SQL Database", "GP_Gen5_4", 0.92, "SQL database",
        AZ + "sql/servers/sql-{name}/databases/{app}", 0.8, 4, 20.4, "SQL Database General Purpose Gen5 4 vCore hour"),
    _db("azure:postgres", "Azure Database for PostgreSQL", "Standard_D4ds_v5", 0.33, "PostgreSQL flexible server",
        AZ + "dbforpostgresql/flexibleservers/psql-{name}", 0.6, 4, 16,
        "Azure Database for PostgreSQL flexible server D4ds v5 hour"),
    _daily("azure:storage", "Storage Accounts", "Hot LRS Data Stored", "GB/Month", 0.0184, "Storage account",
           AZ + "storage/storageaccounts/st{compact}", 60, 5, "Blob Storage Hot LRS data stored", growth=0.015,
           noise=0.01),
    _daily("azure:monitor", "Azure Monitor", "Pay-as-you-go Data Ingestion", "GB", 2.30, "Log Analytics workspace",
           AZ + "operationalinsights/workspaces/log-{name}", 1.2, 2.5, "Log Analytics data ingestion", weekly=0.2,
           noise=0.1),
    _daily("azure:aks", "Azure Kubernetes Service", "Standard Uptime SLA", "Hours", 0.09, "Kubernetes service",
           AZ + "containerservice/managedclusters/aks-{name}", 24, 1, "AKS Standard tier cluster hour", noise=0.0),
    _daily("azure:appservice", "Azure App Service", "P1 v3 App", "Hours", 0.19, "App Service plan",
           AZ + "web/serverfarms/asp-{name}", 24, 1.2, "Premium v3 P1 v3 app service plan hour", noise=0.05),
    _daily("azure:redis", "Azure Cache for Redis", "C2 Standard Cache", "Hours", 0.21, "Redis cache",
           AZ + "cache/redis/redis-{name}", 24, 0.6, "Azure Cache for Redis Standard C2 cache hour", noise=0.0),
    _daily("azure:vnet", "Virtual Network", "Intra-Region Peering Egress", "GB", 0.01, "Virtual network",
           AZ + "network/virtualnetworks/vnet-{name}", 300, 1.5, "VNet peering intra-region egress", weekly=0.3,
           noise=0.1),
    _daily("azure:keyvault", "Key Vault", "Standard Operations", "10K Operations", 0.028, "Key vault",
           AZ + "keyvault/vaults/kv-{name}", 30, 1, "Key Vault standard operations", weekly=0.2, noise=0.1),
    _daily("azure:vpngw", "VPN Gateway", "VpnGw2", "Hours", 0.45, "Virtual network gateway",
           AZ_HUB + "virtualnetworkgateways/vgw-hub-{region}", 24, 0, "VPN Gateway VpnGw2 gateway hour", noise=0.0),
    _daily("azure:firewall", "Azure Firewall", "Basic Deployment", "Hours", 0.37, "Firewall",
           AZ_HUB + "azurefirewalls/afw-hub-{region}", 24, 0, "Azure Firewall Basic deployment hour", noise=0.0),
    _daily("azure:defender", "Microsoft Defender for Cloud", "Defender for Servers Plan 2", "Hours", 0.0185,
           "Defender plan", "/subscriptions/{sub}/providers/microsoft.security/pricings/virtualmachines", 48, 0,
           "Microsoft Defender for Servers Plan 2 node hour", noise=0.05, growth=0.015, regional=False),
    _vm("gcp", "n2-standard-4", 0.1942, 4, 16, "n2", 2),
    _vm("gcp", "n2-standard-8", 0.3885, 8, 32, "n2", 5),
    _vm("gcp", "n2-standard-16", 0.777, 16, 64, "n2", 4),
    _vm("gcp", "n2-standard-32", 1.554, 32, 128, "n2", 1.5),
    _vm("gcp", "e2-standard-4", 0.134, 4, 16, "e2", 2),
    _vm("gcp", "n2-highmem-8", 0.524, 8, 64, "n2-highmem", 1),
    _vm("gcp", "c2-standard-8", 0.4176, 8, 32, "c2", 0.8),
    _vm("gcp", "a2-highgpu-1g", 3.673, 12, 85, "a2", 0.25, teams=("ml",)),
    _db("gcp:cloudsql", "Cloud SQL", "db-custom-4-16384", 0.386, "Instance",
        _gcp("cloudsql") + "instances/{name}", 1.5, 4, 16,
        "Cloud SQL for PostgreSQL: 4 vCPU + 16 GB RAM, zonal"),
    _daily("gcp:gcs", "Cloud Storage", "Standard Storage Europe Multi-region", "GiB-Months", 0.026, "Bucket",
           "//storage.googleapis.com/projects/_/buckets/kestrel-{name}", 70, 5, "Standard storage, Europe multi-region",
           growth=0.02, noise=0.01),
    _daily("gcp:bigquery", "BigQuery", "Analysis", "TiB", 6.25, "Dataset",
           _gcp("bigquery") + "datasets/{underscored}", 0.35, 3, "BigQuery on-demand analysis",
           weekly=0.45, noise=0.3, growth=0.01, teams=("data-platform", "analytics", "recommendations", "ml")),
    _daily("gcp:gke", "Kubernetes Engine", "Regional Kubernetes Clusters", "Hours", 0.10, "Cluster",
           _gcp("container") + "locations/{region}/clusters/{name}", 24, 1,
           "GKE cluster management fee", noise=0.0),
    _daily("gcp:vertex", "Vertex AI", "Online Prediction n1-standard-4", "Hours", 0.219, "Endpoint",
           _gcp("aiplatform") + "locations/{region}/endpoints/{digits}", 24, 1.2,
           "Vertex AI online prediction node hour", noise=0.05, teams=("ml", "recommendations")),
    _daily("gcp:pubsub", "Cloud Pub/Sub", "Message Delivery Basic", "TiB", 40.0, "Topic",
           _gcp("pubsub") + "topics/{name}", 0.03, 1.5, "Pub/Sub message delivery", weekly=0.3,
           noise=0.12),
    _daily("gcp:dataflow", "Dataflow", "vCPU Time Batch", "vCPU-Hours", 0.056, "Job",
           _gcp("dataflow") + "locations/{region}/jobs/{name}", 80, 1.5, "Dataflow batch vCPU time",
           weekly=0.4, noise=0.2, teams=("data-platform", "analytics")),
    _daily("gcp:logging", "Cloud Logging", "Log Volume", "GiB", 0.50, "Log bucket",
           _gcp("logging") + "locations/global/buckets/{name}", 3, 1.5, "Log storage volume",
           weekly=0.2, noise=0.1, regional=False),
    _daily("gcp:egress", "Networking", "Network Internet Egress", "GiB", 0.12, "", "", 30, 1.5,
           "Network internet egress from Europe to Europe", weekly=0.3, noise=0.12),
    _daily("gcp:interconnect", "Networking", "Partner Interconnect VLAN attachment 1 Gbps", "Hours", 0.10,
           "Interconnect attachment",
           _gcp("compute") + "regions/{region}/interconnectAttachments/ica-hub-{hex8}", 48, 0,
           "Partner Interconnect 1 Gbps VLAN attachment hour", noise=0.0),
    _daily("gcp:vpn", "Networking", "Cloud VPN tunnel", "Hours", 0.05, "VPN tunnel",
           _gcp("compute") + "regions/{region}/vpnTunnels/vpn-hub-{hex8}", 48, 0,
           "Cloud VPN tunnel hour", noise=0.0),
    _daily("gcp:scc", "Security Command Center", "Premium tier resource", "Hours", 0.0031, "Organization",
           "//cloudresourcemanager.googleapis.com/organizations/482719305561", 1200, 0,
           "Security Command Center Premium, per protected resource-hour", noise=0.03, growth=0.015, regional=False),
)
# fmt: on
OFFERING_INDEX = {o.key: i for i, o in enumerate(OFFERINGS)}


@dataclass(frozen=True)
class Singleton:
    """A resource that exists whatever the size: shared infrastructure and anomaly targets."""

    offering: str
    role: str  # account role; "*" for one in every account
    owner: tuple[str, str] | None  # (team, app); None means untagged
    scale: float = 1.0


SINGLETONS: tuple[Singleton, ...] = (
    Singleton("aws:tgw-attach", "network-hub", ("platform", "network")),
    Singleton("aws:tgw-data", "network-hub", ("platform", "network")),
    Singleton("aws:vpn", "network-hub", ("platform", "network")),
    Singleton("aws:guardduty", "*", None),
    Singleton("aws:securityhub", "security", None),
    Singleton("aws:cloudwatch", "prod-commerce", ("checkout", "checkout"), 3.0),  # an anomaly target
    Singleton("aws:marketplace", "shared", ("sre", "observability")),
    Singleton("azure:vpngw", "network-hub", ("platform", "network")),
    Singleton("azure:firewall", "network-hub", ("platform", "network")),
    Singleton("azure:defender", "*", None),
    Singleton("gcp:interconnect", "network-hub", ("platform", "network")),
    Singleton("gcp:vpn", "network-hub", ("platform", "network")),
    Singleton("gcp:scc", "security", None),
    Singleton("gcp:bigquery", "prod-data", ("analytics", "bi"), 2.0),  # an anomaly target
)


@dataclass(frozen=True)
class AnomalySpec:
    provider: str
    service: str
    role: str  # account role
    days_before_as_of: int  # first anomalous day, counted back from as_of
    length_days: int
    factor: float
    cause: str


ANOMALIES: tuple[AnomalySpec, ...] = (
    AnomalySpec("aws", "Amazon CloudWatch", "prod-commerce", 47, 4, 4.0, "debug logging left on after a release"),
    AnomalySpec("gcp", "BigQuery", "prod-data", 3, 3, 3.5, "a scheduled query scanning a whole table every hour"),
)


@dataclass(frozen=True)
class CommitmentSpec:
    key: str
    provider: str
    id: str
    name: str
    category: str  # Spend | Usage
    type: str
    unit: str  # CommitmentDiscountUnit
    service: str  # the ServiceName its purchase and unused rows carry
    family: str  # "" = any VM of the provider (a compute savings plan)
    region: str  # "" = any region
    discount: float  # off the list price of covered usage
    reference: str  # offering whose list price per unit prices the commitment ("" when spend-based)
    units_per_vcpu: float  # commitment units one vCPU-hour consumes (usage-based)
    upfront: bool
    term_months: int
    starts_month: int | None  # counted back from the current month; None = bought before the window
    target: float  # coverage share to size for; 0 = cover half the steady eligible fleet
    role: str  # purchasing account


# Applied in this order within a provider: reserved instances before the savings plan, as AWS does.
# fmt: off
COMMITMENTS: tuple[CommitmentSpec, ...] = (
    CommitmentSpec(
        "aws-ri", "aws", "arn:aws:ec2:us-east-1:445678901234:reserved-instances/7d2e9b41-0c3a-4f58-b6e1-9a8c5d2f3e10",
        "m6i.xlarge Linux us-east-1 Reserved Instances (1 year, all upfront)", "Usage", "Reserved Instance", "Hours",
        "Amazon Elastic Compute Cloud", "m6i", "us-east-1", 0.40, "aws:m6i.xlarge", 0.25, True, 12, -11, 0.0,
        "shared"),
    CommitmentSpec(
        "aws-sp", "aws", "arn:aws:savingsplans::400011112222:savingsplan/3c9f7a2e-5b1d-4e8a-9f0c-2d6b8e1a4c70",
        "Compute Savings Plan (3 years, no upfront)", "Spend", "Savings Plan", "USD",
        "Savings Plans for AWS Compute usage", "", "", 0.40, "", 0.0, False, 36, None, 0.66, "management"),
    CommitmentSpec(
        "azure-ri", "azure",
        "/providers/Microsoft.Capacity/reservationOrders/5e8d1c2a-6b3f-4a7e-9c1d-2f4a6b8c0e13"
        "/reservations/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "VM RI - Dsv5 Series West Europe (3 years, monthly)", "Usage", "Reservation", "Hours", "Virtual Machines",
        "dsv5", "westeurope", 0.52, "azure:Standard_D4s_v5", 0.25, False, 36, None, 0.60, "shared"),
    CommitmentSpec(
        "gcp-cud", "gcp", "projects/kestrel-platform/regions/europe-west1/commitments/cud-n2-europe-west1-3y",
        "N2 vCPU commitment europe-west1 (3 years)", "Usage", "Committed Use Discount", "vCPU-Hours",
        "Compute Engine", "n2", "europe-west1", 0.55, "gcp:n2-standard-4", 1.0, False, 36, None, 0.58, "shared"),
)
# fmt: on


@dataclass(frozen=True)
class SampleSummary:
    rows: int
    months: int
    as_of: dt.date
    seed: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Time: the window of whole UTC hours the sample covers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: dt.datetime  # midnight UTC of the first day of the first month
    end: dt.datetime  # exclusive: midnight UTC of as_of
    periods: tuple[tuple[dt.datetime, dt.datetime], ...]  # billing periods (full months), last may be open

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def hour(self, moment: dt.datetime) -> int:
        return int((moment - self.start).total_seconds() // 3600)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def make_window(as_of: dt.date, months: int) -> Window:
    """`months` full months before as_of's month, then that month up to the day before as_of."""
    first = _add_months(as_of.replace(day=1), -months)
    periods = []
    month = first
    while month < as_of:
        periods.append((_midnight(month), _midnight(_add_months(month, 1))))
        month = _add_months(month, 1)
    if not periods:
        raise ValueError("the sample would be empty: use months >= 1 or an as_of after the 1st of a month")
    return Window(_midnight(first), _midnight(as_of), tuple(periods))


def schedule_masks(window: Window) -> np.ndarray:
    """Whether a resource on each schedule runs, per window hour: bool[schedule, hour]. Schedules:
    0 always on, 1 weekday autoscaling (06-22 UTC), 2 business hours (dev), 3 nightly batch."""
    hours = np.arange(window.hours)
    hour_of_day = hours % 24
    weekday = (window.start.weekday() + hours // 24) % 7 < 5
    return np.stack(
        [
            np.ones(window.hours, dtype=bool),
            weekday & (hour_of_day >= 6) & (hour_of_day < 22),
            weekday & (hour_of_day >= 7) & (hour_of_day < 19),
            (hour_of_day >= 1) & (hour_of_day < 5),
        ]
    )


# ---------------------------------------------------------------------------------------------
# The plan: every resource with its lifetime, owner and tags, and the commitments sized to it
# ---------------------------------------------------------------------------------------------

HOURLY_SHARE = 0.85  # of the drawn resources' line items; the rest are daily
FLEET_GROWTH = 0.025  # monthly growth of the number of resources; with quantities, spend grows ~2%
BUDGET_GROWTH = 0.02  # what finance planned
CHURN = 0.10  # resources replaced by a new one (new id) during the window
# The steady production fleet the commitments were bought for, and the databases every provider runs.
# Two sizes, so a commitment can be sized in steps finer than one big machine.
ANCHOR_OFFERING = {
    "aws": ("aws:m6i.2xlarge", "aws:m6i.xlarge"),
    "azure": ("azure:Standard_D8s_v5", "azure:Standard_D4s_v5"),
    "gcp": ("gcp:n2-standard-8", "gcp:n2-standard-4"),
}
DEV_OFFERING = {"aws": "aws:t3.large", "azure": "azure:Standard_B2ms", "gcp": "gcp:e2-standard-4"}
CORE_DATABASES = {
    "aws": ("aws:db.r6g.xlarge", "aws:cache.r6g.large"),
    "azure": ("azure:sql",),
    "gcp": ("gcp:cloudsql",),
}
VM_SCHEDULE_P = (0.62, 0.20, 0.12, 0.06)
GPU_SCHEDULE_P = (0.35, 0.0, 0.0, 0.65)
ENV_SPELLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "prod": (("prod", 0.55), ("Production", 0.2), ("PRD", 0.1), ("Prod", 0.15)),
    "staging": (("staging", 0.6), ("stg", 0.25), ("Staging", 0.15)),
    "dev": (("dev", 0.6), ("Development", 0.25), ("DEV", 0.15)),
}
UNTAGGED_P = {"prod": 0.02, "staging": 0.06, "dev": 0.12}
NO_TEAM_P = 0.025
ENV_SHORT = {"prod": "prod", "staging": "stg", "dev": "dev"}
UTIL_NORMAL, UTIL_OVER, UTIL_IDLE = 0, 1, 2


@dataclass(frozen=True)
class Commitment:
    spec: CommitmentSpec
    index: int
    capacity: float  # commitment units per hour
    rate: float  # effective cost of one unit, in the billing currency
    start_hour: int  # window-relative; negative when bought before the window
    end_hour: int
    account: Account
    sku_id: str
    price_code: str

    def units_per_hour(self, lo: int, hi: int) -> np.ndarray:
        """Capacity of each window hour in [lo, hi): zero outside the term."""
        hours = np.arange(lo, hi)
        return np.where((hours >= self.start_hour) & (hours < self.end_hour), self.capacity, 0.0)


@dataclass(frozen=True)
class Anomaly:
    spec: AnomalySpec
    first_day: int  # window day index
    last_day: int  # inclusive
    account: Account


@dataclass
class Plan:
    window: Window
    seed: int
    masks: np.ndarray  # bool[schedule, hour]
    res: pd.DataFrame  # one row per resource; `rid` is its position
    commitments: tuple[Commitment, ...]
    anomalies: tuple[Anomaly, ...]
    scale: float  # company size relative to the default sample


def _digest(*parts: object) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=32).hexdigest()


def _code(length: int, *parts: object) -> str:
    """A stable upper-case code like AWS SKU ids (JRTCKXETXF): digits and letters from a hash."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    number = int(_digest(*parts), 16)
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return "".join(chars)


def _sku_id(provider: str, *parts: object) -> str:
    if provider == "gcp":
        h = _digest(provider, *parts).upper()
        return f"{h[:4]}-{h[4:8]}-{h[8:12]}"
    return _code(10 if provider == "aws" else 12, provider, *parts)


def _lifetimes(
    rng: np.random.Generator, n: int, horizon: int, per_unit_growth: float, steady_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of n resources so that the active count grows exponentially:
    1/G of them exist from the start, the rest arrive with density proportional to exp(g t).
    A steady share of the fleet exists all along, so the others grow faster to make up for it."""
    wanted = math.exp(per_unit_growth * horizon)
    steady = min(steady_share, 0.6)
    growth = min(3.0, (1 - steady) / max(1 / wanted - steady, (1 - steady) / 3.0))
    per_unit_growth = math.log(growth) / horizon
    pre = rng.random(n) < 1 / growth
    arrival = np.log1p(rng.random(n) * (growth - 1)) / per_unit_growth
    start = np.where(pre, 0, np.minimum(arrival.astype(np.int64), horizon - 1))
    return start, np.full(n, horizon, dtype=np.int64)


def _choice(u: float, weights: Sequence[float]) -> int:
    """Index picked by a uniform draw u from (unnormalised) weights."""
    total = float(sum(weights))
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w / total
        if u < acc:
            return i
    return len(weights) - 1


def _fixed_offerings(provider: Provider, grain: str, n_anchor: int) -> list[tuple[str, int]]:
    """(offering, schedule) of the resources every fleet starts with, most important first (a small
    build keeps only a prefix). Hourly: the steady VM fleet commitments are bought for, the core
    databases, weekday autoscaling and a developer box (so compute dips at weekends) and, on AWS,
    a spot batch worker; daily: each service once, biggest first (schedule -1)."""
    if grain == "day":
        offers = [o for o in OFFERINGS if o.provider == provider.key and o.grain == grain and o.weight]
        return [(o.key, -1) for o in sorted(offers, key=lambda o: -o.weight)]
    big, small = ((key, 0) for key in ANCHOR_OFFERING[provider.key])
    first, *more = [(key, 0) for key in CORE_DATABASES[provider.key]]
    spot = [("aws:c6i.4xlarge", 3)] if provider.key == "aws" else []  # nightly batch on spot capacity
    head = [big, first, small, big, (big[0], 1), (DEV_OFFERING[provider.key], 2)]
    return head + more + spot + [big, small] * max(0, (n_anchor - 2) // 2)


def _draw_pool(
    rng: np.random.Generator, provider: Provider, grain: str, n: int, window: Window, n_anchor: int, expected: float
) -> list[dict]:
    """n resources of one provider and grain (plus successors of replaced ones, which share their
    predecessor's `draw`): first the fixed ones, then random draws by offering weight."""
    offers = [i for i, o in enumerate(OFFERINGS) if o.provider == provider.key and o.grain == grain and o.weight]
    weights = np.array([OFFERINGS[i].weight for i in offers])
    picks = rng.choice(offers, size=n, p=weights / weights.sum())
    fixed = _fixed_offerings(provider, grain, n_anchor)
    n_steady = len(fixed) if grain == "hour" else 0
    horizon = window.hours if grain == "hour" else window.days
    per_unit = math.log1p(FLEET_GROWTH) / (30.44 * (24 if grain == "hour" else 1))
    starts, ends = _lifetimes(rng, n, horizon, per_unit, n_steady / expected)
    u = rng.random((n, 10))
    sizes = rng.lognormal(0.0, 0.7, n)
    records = []
    for k in range(n):
        steady = k < n_steady  # exists from the start, never replaced
        o = OFFERINGS[OFFERING_INDEX[fixed[k][0]]] if k < len(fixed) else OFFERINGS[int(picks[k])]
        teams = o.teams or provider.teams
        team = teams[int(u[k, 1] * len(teams))]
        app = TEAM_APPS[team][int(u[k, 2] * len(TEAM_APPS[team]))]
        is_vm = o.subcategory == "Virtual Machines"
        schedule = -1
        if steady:
            schedule = fixed[k][1]
        elif grain == "hour":
            gpu = o.family in ("g5", "a2")
            schedule = 0 if not is_vm else _choice(u[k, 3], GPU_SCHEDULE_P if gpu else VM_SCHEDULE_P)
        env = _env_for(schedule, grain, u[k, 4], steady)
        region = 0 if steady or (is_vm and u[k, 5] < 0.8) else _choice(u[k, 6], [r[2] for r in provider.regions])
        records.append(
            {
                "provider": provider.key,
                "offering": OFFERING_INDEX[o.key],
                "team": team,
                "app": app,
                "env": env,
                "role": "dev" if env == "dev" else "staging" if env == "staging" else TEAM_ROLE[team],
                "region": region if o.regional else -1,
                "schedule": schedule,
                "spot": provider.key == "aws" and (schedule == 3 if steady else schedule == 1 and u[k, 7] < 0.4),
                "start": 0 if steady else int(starts[k]),
                "end": int(ends[k]),
                "qty": o.qty * float(sizes[k]) if grain == "day" else 1.0,
                "tag_draws": (float(u[k, 8]), float(u[k, 9]), float(u[k, 7]), float(u[k, 0])),
                "steady": steady,
                "draw": k,
            }
        )
    return _with_churn(rng, records, horizon)


def _env_for(schedule: int, grain: str, u: float, steady: bool) -> str:
    if schedule == 2:
        return "dev" if steady or u < 0.7 else "staging"
    if steady or schedule in (1, 3):
        return "prod"
    return ("prod", "staging", "dev")[_choice(u, (0.72, 0.16, 0.12) if grain == "hour" else (0.7, 0.15, 0.15))]


def _with_churn(rng: np.random.Generator, records: list[dict], horizon: int) -> list[dict]:
    """Some resources are replaced mid-window by a successor (a new id; VMs may change size)."""
    out = list(records)
    draws = rng.random((len(records), 3))
    for rec, (u_churn, u_when, u_size) in zip(records, draws, strict=True):
        if rec["steady"] or u_churn >= CHURN or horizon - rec["start"] < 4:
            continue
        cut = rec["start"] + 1 + int((horizon - rec["start"] - 2) * (0.2 + 0.7 * u_when))
        successor = dict(rec, start=cut, end=horizon)
        rec["end"] = cut
        o = OFFERINGS[rec["offering"]]
        if o.subcategory == "Virtual Machines" and u_size < 0.3:
            same = [i for i, x in enumerate(OFFERINGS) if x.provider == o.provider and x.family == o.family]
            successor["offering"] = same[int(u_size / 0.3 * len(same))]
        out.append(successor)
    return out


def _singletons(window: Window, scale: float) -> list[dict]:
    records = []
    for single in SINGLETONS:
        o = OFFERINGS[OFFERING_INDEX[single.offering]]
        provider = PROVIDERS[PROVIDER_INDEX[o.provider]]
        if single.role == "*":
            seen: dict[str, str] = {}
            for a in provider.accounts:
                if a.role != "management":
                    seen.setdefault(a.id, a.role)
            roles = list(seen.values())
        else:
            roles = [single.role]
        for role in roles:
            team, app = single.owner if single.owner else ("", "")
            records.append(
                {
                    "provider": o.provider,
                    "offering": OFFERING_INDEX[o.key],
                    "team": team,
                    "app": app or role,
                    "env": "prod",
                    "role": role,
                    "region": 0 if o.regional else -1,
                    "schedule": -1,
                    "spot": False,
                    "start": 0,
                    "end": window.days,
                    "qty": _scaled_quantity(o, single.scale * scale),
                    "tag_draws": (1.0, 0.0, 0.0, 0.0),
                    "steady": False,
                }
            )
    return records


def _scaled_quantity(o: Offering, scale: float) -> float:
    """Shared items grow with the company; things priced per hour grow in whole units (gateways)."""
    if o.unit == "Hours" and o.qty % 24 == 0:
        return 24.0 * max(1, round(o.qty / 24 * scale))
    return o.qty * scale


def _rows_of(records: list[dict], masks: np.ndarray) -> np.ndarray:
    """Exact line items each planned resource will produce over the window."""
    counts = np.concatenate([np.zeros((masks.shape[0], 1), dtype=np.int64), np.cumsum(masks, axis=1)], axis=1)
    out = np.empty(len(records), dtype=np.int64)
    for i, rec in enumerate(records):
        if rec["schedule"] >= 0:
            out[i] = counts[rec["schedule"], rec["end"]] - counts[rec["schedule"], rec["start"]]
        else:
            out[i] = rec["end"] - rec["start"]
    return out


def make_plan(rows: int, window: Window, seed: int) -> Plan:
    """Size the company so the build produces close to `rows` line items."""
    masks = schedule_masks(window)
    scale = min(max(rows / DEFAULT_ROWS, 0.05), 40.0) ** 0.8
    singles = _singletons(window, scale)
    extras = len(COMMITMENTS) * window.days + 90 * len(window.periods)
    pool_rows = max(rows - extras - int(_rows_of(singles, masks).sum()), 0)
    records = list(singles)
    # Smallest providers first: their minimum fleets may overshoot, and the largest absorbs that.
    order = sorted(range(len(PROVIDERS)), key=lambda i: PROVIDERS[i].share)
    share_left = sum(p.share for p in PROVIDERS)
    for p in order:
        budget = pool_rows * PROVIDERS[p].share / share_left
        for g, share in enumerate((HOURLY_SHARE, 1 - HOURLY_SHARE)):
            pool = _pool_for(budget * share, seed, p, g, window, masks)
            records.extend(pool)
            pool_rows -= int(_rows_of(pool, masks).sum())
        share_left -= PROVIDERS[p].share
    res = _describe(records, window, seed, np.random.default_rng([seed, 3]))
    commitments = _size_commitments(res, window, masks)
    return Plan(window, seed, masks, res, commitments, _anomalies(window), scale)


def _pool_for(target: float, seed: int, p: int, g: int, window: Window, masks: np.ndarray) -> list[dict]:
    """Draw candidates, then keep the first ones until their line items reach the target."""
    grain = ("hour", "day")[g]
    horizon = window.hours if grain == "hour" else window.days
    expected = max(target / (0.7 * horizon), 1.0)
    n_anchor = max(4, math.ceil(0.4 * expected)) if grain == "hour" else 0
    minimum = 2 if grain == "hour" else 3
    for attempt in range(12):
        n = int(2 * expected * 2**attempt) + 2 * minimum
        rng = np.random.default_rng([seed, 2, p, g, attempt])
        candidates = _draw_pool(rng, PROVIDERS[p], grain, n, window, n_anchor, expected)
        draws = np.array([c["draw"] for c in candidates])
        cumulative = np.cumsum(np.bincount(draws, weights=_rows_of(candidates, masks), minlength=n))
        if cumulative[-1] >= target or attempt == 11:
            over = int(np.searchsorted(cumulative, target))  # first cut reaching the target
            under = cumulative[over - 1] if over > 0 else 0.0
            keep = max(minimum, over + 1 if cumulative[min(over, n - 1)] - target < target - under else over)
            return [c for c in candidates if c["draw"] < keep]
    raise AssertionError("unreachable")


def _anomalies(window: Window) -> tuple[Anomaly, ...]:
    out = []
    for spec in ANOMALIES:
        provider = PROVIDERS[PROVIDER_INDEX[spec.provider]]
        first = max(window.days - spec.days_before_as_of, min(14, window.days // 3))
        last = min(first + spec.length_days - 1, window.days - 1)
        out.append(Anomaly(spec, first, last, provider.account(spec.role)))
    return tuple(out)


def _tags(provider: str, team: str, app: str, env: str, draws: tuple[float, ...]) -> str | None:
    """Tags as people really write them: env spelled many ways, some keys capitalised, some missing."""
    u_missing, u_spelling, u_style, u_cost_center = draws
    if not team:
        return None
    spellings = ENV_SPELLINGS[env]
    spelled = spellings[_choice(u_spelling, [w for _, w in spellings])][0]
    if provider == "gcp":
        spelled = spelled.lower()  # GCP labels only allow lower case
    untagged = UNTAGGED_P[env]
    if u_missing < untagged:
        return None
    if u_missing < untagged + NO_TEAM_P:
        return json.dumps({"env": spelled, "created-by": "terraform"})
    if provider == "gcp":
        team_key, env_key = "team", ("env" if u_style < 0.8 else "environment")
    else:
        styles = (("team", "env"), ("Team", "Environment"), ("team", "Environment"))
        weights = (0.75, 0.15, 0.10) if provider == "aws" else (0.35, 0.45, 0.20)
        team_key, env_key = styles[_choice(u_style, weights)]
    tags = {team_key: team, env_key: spelled, "app": app}
    if u_cost_center < 0.9:
        tags["cost-center"] = COST_CENTER[team]
    return json.dumps(tags)


def _resource_id(
    o: Offering, account: Account, region: str, zone: str | None, name: str, app: str, env: str, h: str
) -> str | None:
    if not o.id_template:
        return None
    values = {
        "hex17": "0" + h[:16],
        "hex16": h[16:32],
        "hex32": h[:32],
        "hex8": h[32:40],
        "uuid": f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}",
        "alnum13": _code(13, h),
        "digits": str(int(h[:12], 16))[:12],
        "acct": account.id,
        "sub": account.id.removeprefix("/subscriptions/"),
        "region": region,
        "zone": zone,
        "name": name,
        "app": app,
        "env": ENV_SHORT[env],
        "compact": name.replace("-", "")[:20],
        "underscored": name.replace("-", "_"),
    }
    rid = o.id_template.format(**values)
    return rid.lower() if o.provider == "azure" else rid


def _zone(o: Offering, region: str | None, pick: int) -> str | None:
    """Zonal resources (machines, databases) sit in one availability zone; Azure leaves it empty."""
    if not region or o.grain != "hour" or o.provider == "azure":
        return None
    return region + "abc"[pick] if o.provider == "aws" else f"{region}-{'bcd'[pick]}"


def _sku_details(o: Offering) -> str | None:
    if not o.vcpu:
        return None
    series = o.sku.split(".")[0].split("-")[0].removeprefix("Standard_").removeprefix("db").upper()
    return json.dumps(
        {
            "CoreCount": o.vcpu,
            "MemorySize": o.memory_gb,
            "InstanceType": o.sku,
            "InstanceSeries": series,
            "OperatingSystem": "Linux",
        }
    )


def _describe(records: list[dict], window: Window, seed: int, rng: np.random.Generator) -> pd.DataFrame:
    """The resource table: planning numbers plus every FOCUS dimension a resource's rows carry."""
    names: dict[tuple[str, str, str, str], int] = {}
    rows = []
    for rid, rec in enumerate(records):
        o = OFFERINGS[rec["offering"]]
        provider = PROVIDERS[PROVIDER_INDEX[o.provider]]
        account = provider.account(rec["role"])
        region_id, region_name = (provider.regions[rec["region"]][:2]) if rec["region"] >= 0 else (None, None)
        key = (o.provider, rec["app"], rec["env"], o.service)
        names[key] = names.get(key, 0) + 1
        name = f"{rec['app']}-{ENV_SHORT[rec['env']]}-{names[key]:02d}"
        h = _digest(seed, rid, o.key)
        zone = _zone(o, region_id, int(h[40], 16) % 3)
        resource_id = _resource_id(o, account, region_id or "global", zone, name, rec["app"], rec["env"], h)
        sku_id = _sku_id(o.provider, o.key, region_id)
        publisher = o.publisher or provider.issuer
        rows.append(
            {
                "rid": rid,
                "provider_idx": PROVIDER_INDEX[o.provider],
                "offering": rec["offering"],
                "schedule": rec["schedule"],
                "spot": rec["spot"],
                "start": rec["start"],
                "end": rec["end"],
                "qty": rec["qty"],
                "team": rec["team"],
                "family": o.family,
                "vcpu": o.vcpu,
                "growth": o.growth,
                "weekly": o.weekly,
                "noise": o.noise,
                "third_party": bool(o.publisher),
                "ResourceId": resource_id,
                "ResourceName": name if resource_id else None,
                "ResourceType": o.resource_type if resource_id else None,
                "SubAccountId": account.id,
                "SubAccountName": account.name,
                "SubAccountType": provider.sub_account_type,
                "RegionId": region_id,
                "RegionName": region_name,
                "AvailabilityZone": zone,
                "ServiceName": o.service,
                "ServiceCategory": o.category,
                "ServiceSubcategory": o.subcategory,
                "SkuId": sku_id,
                "SkuMeter": o.sku,
                "SkuPriceId": f"{sku_id}.{_code(10, 'ondemand', o.provider)}",
                "SkuPriceDetails": _sku_details(o),
                "PricingUnit": o.unit,
                "ConsumedUnit": o.unit,
                "ChargeDescription": o.description,
                "ListUnitPrice": o.price,
                "Tags": _tags(o.provider, rec["team"], rec["app"], rec["env"], rec["tag_draws"]),
                "PublisherName": publisher,
                "ServiceProviderName": o.publisher or provider.name,
                "HostProviderName": o.publisher or provider.name,
            }
        )
    res = pd.DataFrame(rows)
    res["priority"] = rng.permutation(len(res))
    _assign_utilization(res, window, rng)
    return res


def _assign_utilization(res: pd.DataFrame, window: Window, rng: np.random.Generator) -> None:
    """About 20% of VMs over-provisioned, a few idle (max CPU <= 1%), the rest busy."""
    is_vm = (res["ServiceSubcategory"] == "Virtual Machines").to_numpy() & (res["schedule"] >= 0).to_numpy()
    u = rng.random(len(res))
    kind = np.where(u < 0.04, UTIL_IDLE, np.where(u < 0.24, UTIL_OVER, UTIL_NORMAL))
    util_start = window.hours - UTILIZATION_DAYS * 24
    alive = is_vm & (res["end"].to_numpy() >= window.hours) & (res["start"].to_numpy() <= max(util_start, 0))
    # Make sure rightsizing has something to find however small the fleet: a forgotten always-on
    # box doing nothing (two in larger fleets), and an oversized machine.
    always = np.flatnonzero(alive & (res["schedule"].to_numpy() == 0))
    missing = (1 if len(always) < 20 else 2) - int((kind[always] == UTIL_IDLE).sum())
    if missing > 0:
        kind[always[kind[always] != UTIL_IDLE][-missing:]] = UTIL_IDLE
    busy = np.flatnonzero(alive & (kind == UTIL_NORMAL))
    if len(busy) >= 2 and not (kind[alive] == UTIL_OVER).any():
        kind[busy[0]] = UTIL_OVER
    res["util_kind"] = np.where(is_vm, kind, -1)
    res["cpu_base"] = np.select(
        [kind == UTIL_IDLE, kind == UTIL_OVER],
        [rng.uniform(0.1, 0.4, len(res)), rng.uniform(3, 10, len(res))],
        rng.uniform(22, 55, len(res)),
    )
    res["mem_base"] = np.select(
        [kind == UTIL_IDLE, kind == UTIL_OVER],
        [rng.uniform(3, 8, len(res)), rng.uniform(10, 28, len(res))],
        rng.uniform(40, 78, len(res)),
    )


# ---------------------------------------------------------------------------------------------
# Commitments: sized from the planned fleet so coverage and utilisation come out realistic
# ---------------------------------------------------------------------------------------------


def coverable_vms(res: pd.DataFrame, provider: str) -> np.ndarray:
    """Per resource: a VM of the provider that a commitment could cover (spot capacity cannot be)."""
    vm = (res["ServiceSubcategory"] == "Virtual Machines").to_numpy() & (res["schedule"] >= 0).to_numpy()
    return vm & (res["provider_idx"].to_numpy() == PROVIDER_INDEX[provider]) & ~res["spot"].to_numpy(dtype=bool)


def commitment_eligibility(res: pd.DataFrame, spec: CommitmentSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per resource: whether the commitment can cover it, and the units one hour of it consumes."""
    ok = coverable_vms(res, spec.provider)
    if spec.family:
        ok &= (res["family"] == spec.family).to_numpy()
    if spec.region:
        ok &= (res["RegionId"] == spec.region).to_numpy()
    if spec.category == "Spend":
        units = res["ListUnitPrice"].to_numpy(dtype=float) * (1 - spec.discount)
    else:
        units = res["vcpu"].to_numpy(dtype=float) * spec.units_per_vcpu
    return ok, np.where(ok, units, 0.0)


def _term(window: Window, spec: CommitmentSpec) -> tuple[int, int]:
    if spec.starts_month is None:
        bought = (window.start - dt.timedelta(days=200)).date()
    else:
        index = max(0, len(window.periods) - 1 + spec.starts_month)
        bought = window.periods[index][0].date()
    ends = _add_months(bought.replace(day=1), spec.term_months).replace(day=bought.day)
    return window.hour(_midnight(bought)), window.hour(_midnight(ends))


@dataclass
class _VmHours:
    """A provider's coverable VM-hours at every k-th hour (k coprime with the week, so every hour of
    the week is represented), in the order the real rows are filled, and what is covered so far."""

    rid: np.ndarray
    hour: np.ndarray
    uncovered_cost: np.ndarray  # EffectiveCost of each row when no commitment covers it
    hours: int
    covered: np.ndarray
    covered_cost: float = 0.0  # EffectiveCost of the rows covered so far

    @classmethod
    def sample(cls, res: pd.DataFrame, masks: np.ndarray, provider: Provider) -> _VmHours:
        chosen_all = np.flatnonzero(coverable_vms(res, provider.key))
        start, end, schedule = (res[c].to_numpy() for c in ("start", "end", "schedule"))
        total = int((end[chosen_all] - start[chosen_all]).sum())
        stride = next(
            k for k in (1, 5, 11, 13, 17, 19, 23, 25, 29, 31, 37, 41, 43, 47) if total / k < 150_000 or k == 47
        )
        sampled = np.arange(masks.shape[1]) % stride == 0
        rids, slots = [], []
        for s in range(masks.shape[0]):
            chosen = chosen_all[schedule[chosen_all] == s]
            pos, slot = expand(start[chosen], end[chosen], np.flatnonzero(masks[s] & sampled))
            rids.append(chosen[pos])
            slots.append(slot)
        rid, hour = np.concatenate(rids), np.concatenate(slots)
        order = np.lexsort((res["priority"].to_numpy()[rid], hour))
        rid, hour = rid[order], hour[order]
        cost = res["ListUnitPrice"].to_numpy(dtype=float)[rid] * (1 - NEGOTIATED_DISCOUNT[provider.key])
        return cls(rid, hour, cost, masks.shape[1], np.zeros(len(rid), dtype=bool))

    def fill(self, eligible: np.ndarray, units: np.ndarray, capacity: float) -> tuple[np.ndarray, np.ndarray]:
        return fill_commitment(self.hour, units, eligible, np.full(self.hours, capacity))

    def coverage(self, hit: np.ndarray, units: np.ndarray, rate: float) -> float:
        """Share of the provider's VM EffectiveCost that commitments cover, if `hit` were covered too."""
        covered = self.covered_cost + float(units[hit].sum()) * rate
        rest = float(self.uncovered_cost[~self.covered & ~hit].sum())
        return covered / (covered + rest) if covered + rest > 0 else 0.0


def _size_commitments(res: pd.DataFrame, window: Window, masks: np.ndarray) -> tuple[Commitment, ...]:
    """Capacity of each commitment, found by running the real fill on a sample of hours."""
    out: list[Commitment] = []
    for provider in PROVIDERS:
        vm_hours = _VmHours.sample(res, masks, provider)
        for spec in (c for c in COMMITMENTS if c.provider == provider.key):
            ok, units = commitment_eligibility(res, spec)
            start, end = _term(window, spec)
            live = (vm_hours.hour >= start) & (vm_hours.hour < end)
            eligible, row_units = ok[vm_hours.rid] & live & ~vm_hours.covered, units[vm_hours.rid]
            rate = _unit_rate(spec)
            capacity = _capacity(spec, vm_hours, eligible, row_units, rate, live)
            hit = vm_hours.fill(eligible, row_units, capacity)[0]
            vm_hours.covered_cost += float(row_units[hit].sum()) * rate
            vm_hours.covered |= hit
            out.append(
                Commitment(
                    spec=spec,
                    index=len(out),
                    capacity=capacity,
                    rate=rate,
                    start_hour=start,
                    end_hour=end,
                    account=provider.account(spec.role),
                    sku_id=_sku_id(provider.key, spec.key),
                    price_code=_code(10, spec.key, "rate"),
                )
            )
    return tuple(out)


def _capacity(
    spec: CommitmentSpec, vm_hours: _VmHours, eligible: np.ndarray, units: np.ndarray, rate: float, live: np.ndarray
) -> float:
    """Reserved instances without a target were bought for half the steady fleet of their family;
    the others are sized so the provider's coverage comes near their target without much waste."""
    step = 0.01 if spec.category == "Spend" else 1.0  # dollars per hour, or whole units
    demand = np.bincount(vm_hours.hour[eligible], weights=units[eligible], minlength=vm_hours.hours)
    live_hours = np.unique(vm_hours.hour[live])
    busy = demand[live_hours] if len(live_hours) else np.zeros(1)
    if spec.target <= 0:
        return max(step, round(0.5 * float(np.quantile(busy, 0.3)) / step) * step)
    lo, hi = 0.0, float(np.quantile(busy, 0.9))
    for _ in range(30):
        mid = (lo + hi) / 2
        if vm_hours.coverage(vm_hours.fill(eligible, units, mid)[0], units, rate) < spec.target:
            lo = mid
        else:
            hi = mid
    # Whole units and big machines move coverage in steps: weigh the distance to the target against
    # the waste, also trying each option trimmed to what it can actually use.
    options = {max(step, math.floor(lo / step) * step), max(step, math.ceil(hi / step) * step)}
    options |= {max(step, math.ceil(float(vm_hours.fill(eligible, units, c)[1].max()) / step) * step) for c in options}

    def badness(capacity: float) -> float:
        hit = vm_hours.fill(eligible, units, capacity)[0]
        waste = 1 - float(units[hit].sum()) / (capacity * max(len(live_hours), 1))
        return abs(vm_hours.coverage(hit, units, rate) - spec.target) + 0.3 * waste

    return min(sorted(options), key=badness)


def _unit_list_price(spec: CommitmentSpec) -> float:
    """List price of what one commitment unit covers for an hour."""
    if spec.category == "Spend":
        return 1 / (1 - spec.discount)
    ref = OFFERINGS[OFFERING_INDEX[spec.reference]]
    return ref.price / (ref.vcpu * spec.units_per_vcpu)


def _unit_rate(spec: CommitmentSpec) -> float:
    """Effective (amortised) cost of one commitment unit for an hour."""
    return 1.0 if spec.category == "Spend" else _unit_list_price(spec) * (1 - spec.discount)


def fill_commitment(
    hour: np.ndarray, units: np.ndarray, eligible: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cover eligible rows hour by hour, in row order, while the hour's capacity lasts.
    Rows must be sorted by hour. Returns the covered mask and the units used per hour."""
    covered = np.zeros(len(hour), dtype=bool)
    used = np.zeros(len(capacity))
    for _ in range(4):  # later passes skip the rows too big for what is left, like first-fit
        left = capacity - used
        idx = np.flatnonzero(eligible & ~covered & (units <= left[hour] + 1e-9) & (units > 0))
        if len(idx) == 0:
            break
        h, u = hour[idx], units[idx]
        running = np.cumsum(u)
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        before = np.repeat((running - u)[starts], np.diff(np.r_[starts, len(h)]))
        ok = running - before <= left[h] + 1e-9
        covered[idx[ok]] = True
        used += np.bincount(h[ok], weights=u[ok], minlength=len(capacity))
    return covered, used


# ---------------------------------------------------------------------------------------------
# One provider-month: usage facts (numpy), then extra charges, staged in DuckDB and loaded
# ---------------------------------------------------------------------------------------------

ONE_HOUR = np.timedelta64(1, "h")
ONE_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Chunk:
    provider: Provider
    period: int  # index into window.periods
    h0: int  # first window hour with data
    h1: int  # exclusive
    rng: np.random.Generator

    @property
    def d0(self) -> int:
        return self.h0 // 24

    @property
    def d1(self) -> int:
        return self.h1 // 24


def expand(starts: np.ndarray, ends: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(resource position, slot) for every slot in the sorted `slots` inside [start, end)."""
    lo, hi = np.searchsorted(slots, starts), np.searchsorted(slots, ends)
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    pos = np.repeat(np.arange(len(starts)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return pos, slots[np.repeat(lo, counts) + offset]


class Arrays:
    """Per-resource numpy columns of the plan, looked up by row."""

    def __init__(self, plan: Plan) -> None:
        res = plan.res
        self.provider = res["provider_idx"].to_numpy()
        self.schedule = res["schedule"].to_numpy()
        self.start = res["start"].to_numpy()
        self.end = res["end"].to_numpy()
        self.spot = res["spot"].to_numpy(dtype=bool)
        self.price = res["ListUnitPrice"].to_numpy(dtype=float)
        self.priority = res["priority"].to_numpy()
        self.qty = res["qty"].to_numpy(dtype=float)
        self.growth = res["growth"].to_numpy(dtype=float)
        self.weekly = res["weekly"].to_numpy(dtype=float)
        self.noise = res["noise"].to_numpy(dtype=float)
        third_party = res["third_party"].to_numpy(dtype=bool)
        neg = np.array([NEGOTIATED_DISCOUNT[p.key] for p in PROVIDERS])[self.provider]
        self.contracted = np.where(third_party, 1.0, 1 - neg)
        self.util_kind = res["util_kind"].to_numpy()
        self.cpu_base = res["cpu_base"].to_numpy()
        self.mem_base = res["mem_base"].to_numpy()
        self.commit = {c.index: commitment_eligibility(res, c.spec) for c in plan.commitments}
        self.anomaly = np.full(len(res), -1)
        for i, a in enumerate(plan.anomalies):
            match = (
                (self.provider == PROVIDER_INDEX[a.spec.provider])
                & (res["ServiceName"] == a.spec.service).to_numpy()
                & (res["SubAccountId"] == a.account.id).to_numpy()
            )
            self.anomaly[match] = i


def _usage_table(
    rid: np.ndarray,
    start: np.ndarray,
    width: np.timedelta64,
    qty: np.ndarray,
    prices: tuple[np.ndarray, np.ndarray],  # list and contracted unit prices
    effective: np.ndarray,
    billed: np.ndarray,
    commitment: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,  # pricing code, index, quantity
) -> pa.Table:
    """Usage line items as numbers; INSERT_USAGE joins the resource, commitment and month columns."""
    none = np.zeros(len(rid), dtype=np.int8), np.full(len(rid), -1, dtype=np.int16), np.zeros(len(rid))
    pricing, cidx, cqty = commitment or none
    return pa.table(
        {
            "rid": rid.astype(np.int32),
            "ChargePeriodStart": start,
            "ChargePeriodEnd": start + width,
            "PricingQuantity": qty,
            "ListCost": prices[0] * qty,
            "ContractedCost": prices[1] * qty,
            "ContractedUnitPrice": prices[1],
            "EffectiveCost": effective,
            "BilledCost": billed,
            "pricing": pricing.astype(np.int8),  # 0 Standard, 1 Committed, 2 Dynamic
            "cidx": cidx.astype(np.int16),
            "CommitmentDiscountQuantity": cqty,
        }
    )


def hourly_usage(
    plan: Plan, arrays: Arrays, chunk: Chunk
) -> tuple[pa.Table, dict[int, np.ndarray], np.ndarray, np.ndarray]:
    """Hourly VM and database rows with commitments applied; also the unused units per hour of
    each commitment and the (resource, hour) pairs, for utilisation."""
    p = PROVIDER_INDEX[chunk.provider.key]
    sel = (arrays.provider == p) & (arrays.schedule >= 0) & (arrays.start < chunk.h1) & (arrays.end > chunk.h0)
    rids, hours = [], []
    for s in range(plan.masks.shape[0]):
        chosen = np.flatnonzero(sel & (arrays.schedule == s))
        on = chunk.h0 + np.flatnonzero(plan.masks[s, chunk.h0 : chunk.h1])
        pos, slot = expand(arrays.start[chosen], arrays.end[chosen], on)
        rids.append(chosen[pos])
        hours.append(slot)
    rid, hour = np.concatenate(rids), np.concatenate(hours)
    order = np.lexsort((arrays.priority[rid], hour))
    rid, hour = rid[order], hour[order]
    price = arrays.price[rid]
    spot = arrays.spot[rid]
    contracted_unit = np.where(spot, price * SPOT_PRICE, price * arrays.contracted[rid])
    effective = contracted_unit.copy()
    billed = contracted_unit.copy()
    pricing = np.where(spot, 2, 0)
    cidx = np.full(len(rid), -1)
    cqty = np.zeros(len(rid))
    unused: dict[int, np.ndarray] = {}
    for c in (c for c in plan.commitments if c.spec.provider == chunk.provider.key):
        ok, units = arrays.commit[c.index]
        capacity = c.units_per_hour(chunk.h0, chunk.h1)
        covered, used = fill_commitment(hour - chunk.h0, units[rid], ok[rid] & (cidx < 0), capacity)
        cidx[covered] = c.index
        cqty[covered] = units[rid][covered]
        effective[covered] = cqty[covered] * c.rate
        billed[covered] = 0.0
        pricing[covered] = 1
        unused[c.index] = np.maximum(capacity - used, 0.0)
    start = np.datetime64(plan.window.start, "us") + hour * ONE_HOUR
    prices = (price, contracted_unit)
    table = _usage_table(rid, start, ONE_HOUR, np.ones(len(rid)), prices, effective, billed, (pricing, cidx, cqty))
    return table, unused, rid, hour


def daily_usage(plan: Plan, arrays: Arrays, chunk: Chunk, anomaly_extra: np.ndarray) -> pa.Table:
    """Daily rows: quantity grows, dips at weekends, is noisy; anomalies multiply it for a few days.
    Adds each anomaly's extra cost per day into anomaly_extra[anomaly, day]."""
    p = PROVIDER_INDEX[chunk.provider.key]
    sel = np.flatnonzero(
        (arrays.provider == p) & (arrays.schedule < 0) & (arrays.start < chunk.d1) & (arrays.end > chunk.d0)
    )
    pos, day = expand(arrays.start[sel], arrays.end[sel], np.arange(chunk.d0, chunk.d1))
    rid = sel[pos]
    weekend = (plan.window.start.weekday() + day) % 7 >= 5
    noise = arrays.noise[rid]
    qty = (
        arrays.qty[rid]
        * np.power(1 + arrays.growth[rid], day / 30.44)
        * np.where(weekend, 1 - arrays.weekly[rid], 1.0)
        * np.exp(noise * chunk.rng.standard_normal(len(rid)) - noise**2 / 2)
    )
    contracted_unit = arrays.price[rid] * arrays.contracted[rid]
    factor = np.ones(len(rid))
    for i, a in enumerate(plan.anomalies):
        hit = (arrays.anomaly[rid] == i) & (day >= a.first_day) & (day <= a.last_day)
        factor[hit] = a.spec.factor
        extra = qty[hit] * contracted_unit[hit] * (a.spec.factor - 1)
        np.add.at(anomaly_extra[i], day[hit], extra)
    qty = qty * factor
    cost = qty * contracted_unit
    start = np.datetime64(plan.window.start, "us") + day * ONE_DAY
    return _usage_table(rid, start, ONE_DAY, qty, (arrays.price[rid], contracted_unit), cost, cost)


def _context(plan: Plan, chunk: Chunk) -> dict[str, object]:
    """Columns every row of a provider-month shares: the billing account and the invoice."""
    p = chunk.provider
    start, end = plan.window.periods[chunk.period]
    closed = end <= plan.window.end  # the current month is not invoiced yet
    number = int(_digest("invoice", p.key, start.date()), 16)
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


def _provider_columns(provider: Provider, host: str | None = None) -> dict[str, object]:
    return {
        "PublisherName": provider.issuer,
        "ServiceProviderName": provider.name,
        "HostProviderName": host or provider.name,
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
    category, subcategory = SERVICES[spec.service]
    return {
        **_account_columns(provider, c.account),
        **_provider_columns(provider),
        "ResourceId": spec.id,
        "ResourceName": spec.name,
        "ResourceType": spec.type,
        "ServiceName": spec.service,
        "ServiceCategory": category,
        "ServiceSubcategory": subcategory,
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


def _staged_sum(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[object]) -> float:
    rows = con.execute(f"SELECT coalesce(sum(BilledCost), 0) FROM _sample_staged WHERE {where}", params).fetchall()
    return float(rows[0][0])


def _costs(amount: float) -> dict[str, object]:
    # Charges without a discount of their own carry the same amount in all four metrics.
    return dict.fromkeys(("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"), amount)


def _service_columns(provider: Provider, account: Account, service: str, host: str | None = None) -> dict[str, object]:
    category, subcategory = SERVICES[service]
    return {
        **_account_columns(provider, account),
        **_provider_columns(provider, host),
        "ServiceName": service,
        "ServiceCategory": category,
        "ServiceSubcategory": subcategory,
    }


def support_row(con: duckdb.DuckDBPyConnection, plan: Plan, chunk: Chunk) -> dict[str, object] | None:
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
    sku = _sku_id("aws", "support-business")
    management = chunk.provider.account("management")
    return {
        **_service_columns(chunk.provider, management, "AWS Support (Business)", host="Not Applicable"),
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
        "SkuPriceId": f"{sku}.RECURRING",
        "ListUnitPrice": fee,
        "ContractedUnitPrice": fee,
        **_costs(fee),
    }


def credit_rows(con: duckdb.DuckDBPyConnection, plan: Plan, chunk: Chunk) -> list[dict[str, object]]:
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
    amount = round(2400 * plan.scale, 2)
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


def insert_tax(con: duckdb.DuckDBPyConnection, plan: Plan, chunk: Chunk) -> None:
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
               'Not Applicable' AS HostProviderName,
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


# ---------------------------------------------------------------------------------------------
# Utilisation of the VMs over the last days
# ---------------------------------------------------------------------------------------------

UTIL_SERIES = tuple((metric, stat) for metric in ("cpu_pct", "mem_pct") for stat in ("avg", "max", "p95"))


def utilization_table(
    plan: Plan, arrays: Arrays, rid: np.ndarray, hour: np.ndarray, rng: np.random.Generator
) -> pa.Table | None:
    """Hourly CPU and memory (avg, max, p95 in %) for every VM-hour of the last UTILIZATION_DAYS."""
    sel = (arrays.util_kind[rid] >= 0) & (hour >= plan.window.hours - UTILIZATION_DAYS * 24)
    if not sel.any():
        return None
    r, h = rid[sel], hour[sel]
    n = len(r)
    kind = arrays.util_kind[r]
    idle, over = kind == UTIL_IDLE, kind == UTIL_OVER
    weekend = (plan.window.start.weekday() + h // 24) % 7 >= 5
    daily = 1 + 0.35 * np.sin(2 * np.pi * ((h % 24) - 8) / 24)
    shape = np.where(idle, 1.0, daily * np.where(weekend, 0.8, 1.0))
    cpu = np.clip(arrays.cpu_base[r] * shape * rng.lognormal(0, 0.12, n), 0.05, 97)
    cpu_max = np.minimum(cpu * rng.uniform(1.3, 2.0, n) + rng.uniform(1, 8, n), 100)
    cpu_max = np.where(over, np.minimum(cpu_max, 30), cpu_max)
    cpu = np.where(idle, np.minimum(cpu, 0.6), cpu)
    cpu_max = np.where(idle, np.minimum(cpu * 1.6, 0.95), cpu_max)
    mem = np.clip(arrays.mem_base[r] + rng.normal(0, 1.5, n), 1, 97)
    mem_max = np.minimum(mem + rng.uniform(0.5, 5, n), 100)
    values = [cpu, cpu_max, cpu + 0.7 * (cpu_max - cpu), mem, mem_max, mem + 0.7 * (mem_max - mem)]
    stamp = np.datetime64(plan.window.start, "us") + h * ONE_HOUR
    return pa.table(
        {
            "rid": np.tile(r, len(values)).astype(np.int32),
            "timestamp": np.tile(stamp, len(values)),
            "series": np.repeat(np.arange(len(values), dtype=np.int8), n),
            "value": np.round(np.concatenate(values), 2),
        }
    )


# ---------------------------------------------------------------------------------------------
# Staging and loading
# ---------------------------------------------------------------------------------------------

_ARROW_TYPES = {MONEY: pa.float64(), QUANTITY: pa.float64(), TIME: pa.timestamp("us")}
STAGED_SCHEMA = pa.schema([(name, _ARROW_TYPES.get(sql, pa.string())) for name, sql in FOCUS_COLUMNS.items()])
_STAGED_DDL = ", ".join(f'"{name}" {"DOUBLE" if sql == MONEY else sql}' for name, sql in FOCUS_COLUMNS.items())
# The columns a resource's usage rows share, joined onto the numeric facts in SQL.
RESOURCE_DIMENSIONS = (
    "ResourceId", "ResourceName", "ResourceType", "SubAccountId", "SubAccountName", "SubAccountType", "RegionId",
    "RegionName", "AvailabilityZone", "ServiceName", "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceId", "SkuPriceDetails", "PricingUnit", "ConsumedUnit", "ChargeDescription", "ListUnitPrice", "Tags",
    "PublisherName", "ServiceProviderName", "HostProviderName",
)  # fmt: skip
INSERT_USAGE = """
INSERT INTO _sample_staged BY NAME
SELECT k.*, r.* EXCLUDE (rid, SkuPriceId),
       f.ChargePeriodStart, f.ChargePeriodEnd, 'Usage' AS ChargeCategory, 'Usage-Based' AS ChargeFrequency,
       f.PricingQuantity, f.PricingQuantity AS ConsumedQuantity, f.ListCost, f.ContractedCost,
       f.ContractedUnitPrice, f.EffectiveCost, f.BilledCost,
       CASE f.pricing WHEN 1 THEN 'Committed' WHEN 2 THEN 'Dynamic' ELSE 'Standard' END AS PricingCategory,
       CASE f.pricing WHEN 1 THEN r.SkuId || '.' || c.price_code WHEN 2 THEN r.SkuId || '.SPOT'
            ELSE r.SkuPriceId END AS SkuPriceId,
       c.CommitmentDiscountId, c.CommitmentDiscountName, c.CommitmentDiscountCategory,
       c.CommitmentDiscountType, c.CommitmentDiscountUnit,
       CASE WHEN f.cidx >= 0 THEN 'Used' END AS CommitmentDiscountStatus,
       CASE WHEN f.cidx >= 0 THEN f.CommitmentDiscountQuantity END AS CommitmentDiscountQuantity
FROM _sample_facts f
JOIN _sample_resources r ON r.rid = f.rid
CROSS JOIN _sample_context k
LEFT JOIN _sample_commitments c ON c.cidx = f.cidx
"""


def _register_plan(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    resources = plan.res[["rid", *RESOURCE_DIMENSIONS]]
    con.register("_sample_resources", pa.Table.from_pandas(resources, preserve_index=False))
    commitments = pd.DataFrame(
        {
            "cidx": [c.index for c in plan.commitments],
            "CommitmentDiscountId": [c.spec.id for c in plan.commitments],
            "CommitmentDiscountName": [c.spec.name for c in plan.commitments],
            "CommitmentDiscountCategory": [c.spec.category for c in plan.commitments],
            "CommitmentDiscountType": [c.spec.type for c in plan.commitments],
            "CommitmentDiscountUnit": [c.spec.unit for c in plan.commitments],
            "price_code": [c.price_code for c in plan.commitments],
        }
    )
    con.register("_sample_commitments", pa.Table.from_pandas(commitments, preserve_index=False))
    series = pd.DataFrame(
        {"series": range(len(UTIL_SERIES)), "metric": [m for m, _ in UTIL_SERIES], "stat": [s for _, s in UTIL_SERIES]}
    )
    con.register("_sample_series", pa.Table.from_pandas(series.astype({"series": "int8"}), preserve_index=False))


def _unregister_plan(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_sample_resources", "_sample_commitments", "_sample_series"):
        con.unregister(name)


def _insert_rows(con: duckdb.DuckDBPyConnection, context: dict[str, object], rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    records = [{**context, **row} for row in rows]
    keys = list(dict.fromkeys(k for r in records for k in r))
    schema = pa.schema([STAGED_SCHEMA.field(k) for k in keys])
    con.register("_sample_extra", pa.Table.from_pylist(records, schema=schema))
    con.execute("INSERT INTO _sample_staged BY NAME SELECT * FROM _sample_extra")
    con.unregister("_sample_extra")


def load_chunk(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    arrays: Arrays,
    chunk: Chunk,
    batch: str,
    rows: int,
    anomaly_extra: np.ndarray,
) -> int:
    """Generate and load one provider-month; returns the line items loaded."""
    context = _context(plan, chunk)
    hourly, unused, util_rid, util_hour = hourly_usage(plan, arrays, chunk)
    daily = daily_usage(plan, arrays, chunk, anomaly_extra)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sample_staged ({_STAGED_DDL})")
    con.register(
        "_sample_context", pa.Table.from_pylist([context], schema=pa.schema([STAGED_SCHEMA.field(k) for k in context]))
    )
    for facts in (hourly, daily):
        con.register("_sample_facts", facts)
        con.execute(INSERT_USAGE)
        con.unregister("_sample_facts")
    del hourly, daily
    _insert_rows(con, context, commitment_rows(plan, chunk, unused) + marketplace_rows(plan, chunk))
    _insert_rows(con, context, credit_rows(con, plan, chunk))
    support = support_row(con, plan, chunk)
    _insert_rows(con, context, [support] if support else [])
    insert_tax(con, plan, chunk)
    con.unregister("_sample_context")
    count = int(con.execute("SELECT count(*) FROM _sample_staged").fetchall()[0][0])
    period = plan.window.periods[chunk.period][0].strftime("%Y-%m")
    report = IngestReport(file=f"sample ({chunk.provider.name})", format=SOURCE_FORMAT, rows_read=count)
    file_hash = f"sample:seed={plan.seed}:as_of={plan.window.end.date()}:rows={rows}:{chunk.provider.key}:{period}"
    store_rows(con, "_sample_staged", report, file_hash=file_hash, batch=batch)
    con.execute("DROP TABLE _sample_staged")
    util_rng = np.random.default_rng([plan.seed, PROVIDER_INDEX[chunk.provider.key], chunk.period, 7])
    util = utilization_table(plan, arrays, util_rid, util_hour, util_rng)
    if util is not None:
        con.register("_sample_util", util)
        con.execute(
            "INSERT INTO utilization SELECT r.ResourceId, u.timestamp, s.metric, s.stat, u.value, 3600 "
            "FROM _sample_util u JOIN _sample_resources r ON r.rid = u.rid JOIN _sample_series s USING (series)"
        )
        con.unregister("_sample_util")
    return report.rows_loaded


# ---------------------------------------------------------------------------------------------
# Budgets and business metrics, derived from what was generated
# ---------------------------------------------------------------------------------------------

TEAM_OF_TAGS = "coalesce(json_extract_string(Tags, '$.team'), json_extract_string(Tags, '$.Team'))"


def _monthly_usd(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """EffectiveCost per team (NULL for untagged) and month of the sample, in USD."""
    frame = con.execute(
        f"""
        SELECT team, month, sum(usd) AS usd FROM (
            SELECT {TEAM_OF_TAGS} AS team, CAST(date_trunc('month', ChargePeriodStart) AS DATE) AS month,
                   CAST(EffectiveCost AS DOUBLE) * CASE BillingCurrency WHEN 'EUR' THEN ? ELSE 1 END AS usd
            FROM line_items WHERE x_SourceFormat = ?
        ) GROUP BY team, month
        """,
        [EUR_USD, SOURCE_FORMAT],
    ).df()
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.date)


def budget_frame(window: Window, monthly: pd.DataFrame) -> pd.DataFrame:
    """A budget per team for every month covered and the next three: last full month's spend on a
    2% monthly plan, with headroom, except OVER_BUDGET_TEAMS, planned below their trend."""
    months = [start.date() for start, _ in window.periods]
    months += [_add_months(months[-1], k) for k in (1, 2, 3)]
    full = [start.date() for start, end in window.periods if end <= window.end]
    anchor = full[-1] if full else months[0]
    stretch = 1.0 if full else (window.periods[-1][1] - window.periods[-1][0]).days / max(window.days, 1)
    rows = []
    for team in TEAMS:
        costs = monthly[monthly["team"] == team].set_index("month")["usd"]
        base = float(costs.get(anchor, 0.0)) * stretch or float(costs.max() if len(costs) else 0.0) or 1000.0
        factor = 0.93 if team in OVER_BUDGET_TEAMS else 1.12
        k_anchor = months.index(anchor)
        for k, month in enumerate(months):
            amount = base * (1 + BUDGET_GROWTH) ** (k - k_anchor) * factor
            rows.append(("tag:team", team, month, round(amount, -1 if amount < 10_000 else -2), "USD"))
    return pd.DataFrame(rows, columns=["owner_dimension", "owner", "month", "amount", "currency"])


def business_frame(window: Window, seed: int, first_month_usd: float) -> pd.DataFrame:
    """Daily orders and active users: growing faster than cost, weekend peaks, holiday season."""
    rng = np.random.default_rng([seed, 9])
    days = np.arange(window.days)
    dates = [window.start.date() + dt.timedelta(days=int(d)) for d in days]
    months = days / 30.44
    weekday = (window.start.weekday() + days) % 7
    weekly = np.array([0.95, 0.93, 0.95, 0.98, 1.05, 1.12, 1.10])[weekday]
    season = np.array([_season(d) for d in dates])
    cost_per_order = 0.30
    orders_base = max(first_month_usd / 30.44 / cost_per_order, 100.0)
    orders = orders_base * 1.035**months * weekly * season * rng.lognormal(0, 0.04, len(days))
    users = orders_base * 14 * 1.015**months * np.sqrt(weekly) * np.sqrt(season) * rng.lognormal(0, 0.02, len(days))
    frame = pd.DataFrame(
        {
            "date": dates * 2,
            "metric": ["orders"] * len(days) + ["active_users"] * len(days),
            "value": np.round(np.concatenate([orders, users])),
        }
    )
    frame["dimension"] = None
    frame["owner"] = None
    return frame


def _season(day: dt.date) -> float:
    """Retail calendar: Black Friday weekend and Cyber Monday, December rush, January lull."""
    november = dt.date(day.year, 11, 1)
    thanksgiving = november + dt.timedelta(days=(3 - november.weekday()) % 7 + 21)
    peak = {1: 2.6, 2: 1.8, 3: 1.5, 4: 2.1}.get((day - thanksgiving).days)
    if peak:
        return peak
    if day.month == 12:
        return 0.8 if 24 <= day.day <= 26 else 1.15 if day.day <= 20 else 1.0
    return 0.9 if day.month == 1 and day.day <= 15 else 1.0


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------


def remove_sample(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every earlier sample row and the tables only the sample fills, all or nothing."""
    with transaction(con):
        delete_sample(con)


def _chunks(plan: Plan) -> list[Chunk]:
    window = plan.window
    out = []
    for m, (start, end) in enumerate(window.periods):
        h0, h1 = window.hour(max(start, window.start)), window.hour(min(end, window.end))
        for provider in PROVIDERS:
            rng = np.random.default_rng([plan.seed, PROVIDER_INDEX[provider.key], m, 5])
            out.append(Chunk(provider, m, h0, h1, rng))
    return out


def _anomaly_meta(plan: Plan, extra: np.ndarray) -> str:
    items = []
    for i, a in enumerate(plan.anomalies):
        provider = PROVIDERS[PROVIDER_INDEX[a.spec.provider]]
        first = plan.window.start.date() + dt.timedelta(days=a.first_day)
        last = plan.window.start.date() + dt.timedelta(days=a.last_day)
        items.append(
            {
                "provider": provider.name,
                "service": a.spec.service,
                "account": a.account.name,
                "account_id": a.account.id,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "extra_cost_per_day": round(float(extra[i, a.first_day : a.last_day + 1].mean()), 2),
                "currency": provider.currency,
                "metric": "EffectiveCost",
                "factor": a.spec.factor,
                "cause": a.spec.cause,
            }
        )
    return json.dumps(items)


def build_sample(
    con: duckdb.DuckDBPyConnection,
    rows: int = DEFAULT_ROWS,
    months: int = 13,
    seed: int = 42,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> SampleSummary:
    """Replace the sample in the database with a fresh build of about `rows` line items covering
    `months` full months before as_of's month plus that month up to the day before as_of."""
    began = time.perf_counter()
    if rows < 1:
        raise ValueError("rows must be positive")
    if months < 0:
        raise ValueError("months cannot be negative")
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    say = progress or (lambda fraction, message: None)
    say(0.0, "planning the sample company")
    window = make_window(as_of, months)
    plan = make_plan(rows, window, seed)
    arrays = Arrays(plan)
    say(0.03, "removing the earlier sample")
    remove_sample(con)
    batch = f"sample-{seed}-{as_of.isoformat()}-{rows}-{time.time_ns()}"
    anomaly_extra = np.zeros((len(plan.anomalies), window.days))
    chunks = _chunks(plan)
    loaded = 0
    _register_plan(con, plan)
    # Each provider-month is its own commit; checkpointing rarely (and once at the end) instead of
    # every 16 MiB of WAL makes large builds a third faster.
    threshold = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute("SET checkpoint_threshold = '256MiB'")
    try:
        for i, chunk in enumerate(chunks):
            loaded += load_chunk(con, plan, arrays, chunk, batch, rows, anomaly_extra)
            period = window.periods[chunk.period][0].strftime("%Y-%m")
            say(0.05 + 0.85 * (i + 1) / len(chunks), f"{chunk.provider.name} {period}: {loaded:,} line items")
    finally:
        _unregister_plan(con)
        con.execute(f"SET checkpoint_threshold = '{threshold}'")
    say(0.92, "budgets, business metrics and metadata")
    _finish(con, plan, anomaly_extra, loaded)
    seconds = time.perf_counter() - began
    say(1.0, f"sample ready: {loaded:,} line items in {seconds:.1f} s")
    return SampleSummary(rows=loaded, months=months, as_of=as_of, seed=seed, seconds=seconds)


def _finish(con: duckdb.DuckDBPyConnection, plan: Plan, anomaly_extra: np.ndarray, loaded: int) -> None:
    monthly = _monthly_usd(con)
    first_month = plan.window.periods[0][0].date()
    first_usd = float(monthly.loc[monthly["month"] == first_month, "usd"].sum())
    budgets = budget_frame(plan.window, monthly)
    metrics = business_frame(plan.window, plan.seed, first_usd)
    with transaction(con):
        con.register("_sample_budgets", budgets)
        con.execute("INSERT INTO budgets SELECT * FROM _sample_budgets")
        con.unregister("_sample_budgets")
        con.register("_sample_metrics", metrics)
        con.execute("INSERT INTO business_metrics SELECT * FROM _sample_metrics")
        con.unregister("_sample_metrics")
        set_meta(con, "sample_as_of", plan.window.end.date().isoformat())
        set_meta(con, "sample_seed", str(plan.seed))
        set_meta(con, "sample_rows", str(loaded))
        set_meta(con, "sample_anomalies", _anomaly_meta(plan, anomaly_extra))
    with contextlib.suppress(duckdb.Error):  # only tidies the WAL; another open transaction may refuse it
        con.execute("CHECKPOINT")
