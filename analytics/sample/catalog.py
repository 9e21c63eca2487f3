"""The catalogue: services and what they bill (list prices of 2025 in the billing currency), and the
shared resources every company size has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# FOCUS: every ServiceName maps to exactly one ServiceCategory and ServiceSubcategory.
# fmt: off
SERVICES: dict[str, tuple[str, str]] = {
    "Amazon Elastic Compute Cloud": ("Compute", "Virtual Machines"),
    "Amazon Relational Database Service": ("Databases", "Relational Databases"),
    "Amazon ElastiCache": ("Databases", "Caching"),
    "Amazon Simple Storage Service": ("Storage", "Object Storage"),
    "Amazon Elastic Block Store": ("Storage", "Block Storage"),
    "AWS Lambda": ("Compute", "Serverless Compute"),
    "AWS Fargate": ("Compute", "Containers"),
    "Amazon Elastic Kubernetes Service": ("Compute", "Containers"),
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
    _vm("aws", "m6i.large", 0.096, 2, 8, "m6i", 0.5),
    _vm("aws", "m6i.xlarge", 0.192, 4, 16, "m6i", 1),
    _vm("aws", "m6i.2xlarge", 0.384, 8, 32, "m6i", 2),
    _vm("aws", "m6i.4xlarge", 0.768, 16, 64, "m6i", 4),
    _vm("aws", "m6i.8xlarge", 1.536, 32, 128, "m6i", 4),
    _vm("aws", "m6i.12xlarge", 2.304, 48, 192, "m6i", 2),
    _vm("aws", "c6i.4xlarge", 0.68, 16, 32, "c6i", 1.5),
    _vm("aws", "c6i.8xlarge", 1.36, 32, 64, "c6i", 2),
    _vm("aws", "r6i.4xlarge", 1.008, 16, 128, "r6i", 1.5),
    _vm("aws", "r6i.8xlarge", 2.016, 32, 256, "r6i", 1.5),
    _vm("aws", "m7g.4xlarge", 0.6528, 16, 64, "m7g", 2),
    _vm("aws", "t3.large", 0.0832, 2, 8, "t3", 0.5),
    _vm("aws", "g5.2xlarge", 1.212, 8, 32, "g5", 0.6, teams=("ml", "recommendations")),
    _vm("aws", "g5.12xlarge", 5.672, 48, 192, "g5", 0.3, teams=("ml",)),
    _db("aws:db.r6g.4xlarge", "Amazon Relational Database Service", "db.r6g.4xlarge Multi-AZ", 3.594, "DB Instance",
        _arn("rds") + "db:{name}", 1.5, 16, 128,
        "RDS db.r6g.4xlarge Multi-AZ PostgreSQL instance hour"),
    _db("aws:db.r6g.2xlarge", "Amazon Relational Database Service", "db.r6g.2xlarge", 0.898, "DB Instance",
        _arn("rds") + "db:{name}", 1.5, 8, 64,
        "RDS db.r6g.2xlarge PostgreSQL instance hour"),
    _db("aws:db.r6g.xlarge", "Amazon Relational Database Service", "db.r6g.xlarge", 0.449, "DB Instance",
        _arn("rds") + "db:{name}", 1.5, 4, 32,
        "RDS db.r6g.xlarge PostgreSQL instance hour"),
    _db("aws:db.m6g.large", "Amazon Relational Database Service", "db.m6g.large", 0.152, "DB Instance",
        _arn("rds") + "db:{name}", 1, 2, 8,
        "RDS db.m6g.large PostgreSQL instance hour"),
    _db("aws:cache.r6g.2xlarge", "Amazon ElastiCache", "cache.r6g.2xlarge", 0.821, "Cache Node",
        _arn("elasticache") + "cluster:{name}", 1, 8, 52.82,
        "ElastiCache cache.r6g.2xlarge node hour"),
    _db("aws:cache.r6g.large", "Amazon ElastiCache", "cache.r6g.large", 0.206, "Cache Node",
        _arn("elasticache") + "cluster:{name}", 1, 2, 13,
        "ElastiCache cache.r6g.large node hour"),
    _daily("aws:s3", "Amazon Simple Storage Service", "Standard Storage", "GB-Months", 0.023, "Bucket",
           "kestrel-{name}", 900, 6, "$0.023 per GB-Month of Standard storage", growth=0.015, noise=0.01),
    _daily("aws:ebs", "Amazon Elastic Block Store", "gp3", "GB-Months", 0.08, "Volume", "vol-{hex17}", 40, 6,
           "$0.08 per GB-month of General Purpose (gp3) provisioned storage", noise=0.0, growth=0.003),
    _daily("aws:lambda", "AWS Lambda", "Lambda-GB-Second", "GB-Seconds", 0.0000166667, "Function",
           _arn("lambda") + "function:{name}", 1_200_000, 4, "AWS Lambda - Total Compute",
           weekly=0.35, noise=0.15),
    _daily("aws:cloudfront", "Amazon CloudFront", "DataTransfer-Out-Bytes", "GB", 0.085, "Distribution",
           "arn:aws:cloudfront::{acct}:distribution/E{alnum13}", 1_200, 1.5,
           "$0.085 per GB data transfer out (North America and Europe)", weekly=-0.15, noise=0.12, regional=False,
           teams=("checkout", "catalog", "search")),
    _daily("aws:dynamodb", "Amazon DynamoDB", "ReadRequestUnits", "Requests", 0.00000025, "Table",
           _arn("dynamodb") + "table/{name}", 150_000_000, 2,
           "$0.25 per million read request units", weekly=0.2, noise=0.12),
    _daily("aws:cloudwatch", "Amazon CloudWatch", "DataProcessing-Bytes", "GB", 0.50, "Log Group",
           _arn("logs") + "log-group:/aws/{name}", 40, 3, "$0.50 per GB custom log data ingested",
           weekly=0.2, noise=0.1),
    _daily("aws:nat", "Amazon Virtual Private Cloud", "NatGateway-Bytes", "GB", 0.045, "NAT Gateway",
           _arn("ec2") + "natgateway/nat-{hex17}", 600, 1.5,
           "$0.045 per GB Data Processed by NAT Gateways", weekly=0.3, noise=0.1),
    _daily("aws:elb", "Elastic Load Balancing", "LCUUsage", "LCU-Hours", 0.008, "Load Balancer",
           _arn("elasticloadbalancing") + "loadbalancer/app/{name}/{hex16}", 1_200, 2,
           "$0.008 per used Application load balancer capacity unit-hour", weekly=0.3, noise=0.1),
    _daily("aws:datatransfer", "AWS Data Transfer", "DataTransfer-Regional-Bytes", "GB", 0.01, "", "", 8_000, 1.5,
           "$0.01 per GB - regional data transfer - in/out/between EC2 AZs or using elastic IPs or ELB",
           weekly=0.3, noise=0.12),
    _daily("aws:sagemaker", "Amazon SageMaker", "ml.g5.2xlarge-Hosting", "Hours", 1.515, "Endpoint",
           _arn("sagemaker") + "endpoint/{name}", 48, 1, "$1.515 per Hosting ml.g5.2xlarge hour",
           noise=0.02, teams=("ml", "recommendations")),
    _daily("aws:opensearch", "Amazon OpenSearch Service", "r6g.2xlarge.search", "Hours", 0.669, "Domain",
           _arn("es") + "domain/{name}", 72, 0.8, "$0.669 per r6g.2xlarge.search instance hour",
           noise=0.0, teams=("search",)),
    _daily("aws:eks", "Amazon Elastic Kubernetes Service", "AmazonEKS-Hours:perCluster", "Hours", 0.10, "Cluster",
           _arn("eks") + "cluster/{name}", 24, 1, "$0.10 per hour per Amazon EKS cluster", noise=0.0),
    _daily("aws:fargate", "AWS Fargate", "Fargate-vCPU-Hours:perCPU", "vCPU-Hours", 0.04048, "Task",
           _arn("ecs") + "service/{name}", 3_000, 3, "$0.04048 per vCPU-hour for Linux/x86 Fargate tasks",
           weekly=0.25, noise=0.08, growth=0.01),
    _daily("aws:kms", "AWS Key Management Service", "KMS-Requests", "Requests", 0.000003, "Key",
           _arn("kms") + "key/{uuid}", 3_000_000, 1, "$0.03 per 10,000 requests",
           weekly=0.2, noise=0.1),
    _daily("aws:tgw-attach", "Amazon Virtual Private Cloud", "TransitGateway-Hours", "Hours", 0.05,
           "Transit Gateway Attachment",
           _arn("ec2") + "transit-gateway-attachment/tgw-attach-{hex17}", 96, 0,
           "$0.05 per Transit Gateway attachment hour", noise=0.0),
    _daily("aws:tgw-data", "Amazon Virtual Private Cloud", "TransitGateway-Bytes", "GB", 0.02, "Transit Gateway",
           _arn("ec2") + "transit-gateway/tgw-{hex17}", 6_000, 0,
           "$0.02 per GB Data Processed by Transit Gateway", weekly=0.3, noise=0.1, growth=0.01),
    _daily("aws:vpn", "Amazon Virtual Private Cloud", "VPN-Usage-Hours:ipsec.1", "Hours", 0.05, "VPN Connection",
           _arn("ec2") + "vpn-connection/vpn-{hex17}", 48, 0, "$0.05 per VPN Connection-Hour",
           noise=0.0),
    _daily("aws:guardduty", "Amazon GuardDuty", "PaidEventsAnalyzed", "GB", 1.0, "Detector",
           _arn("guardduty") + "detector/{hex32}", 12, 0,
           "$1.00 per GB of VPC flow and DNS logs analyzed", noise=0.15, growth=0.01),
    _daily("aws:securityhub", "AWS Security Hub", "PaidComplianceCheck", "Checks", 0.001, "Hub",
           _arn("securityhub") + "hub/default", 20_000, 0, "$0.0010 per security check",
           noise=0.05, growth=0.01),
    _daily("aws:marketplace", "Houndly Observability Pro", "host-hour", "Hours", 0.031, "SaaS Subscription",
           "houndly-{hex16}", 4_800, 0, "Houndly Observability Pro, per monitored host-hour (AWS Marketplace)",
           noise=0.04, growth=0.015, regional=False, publisher="Houndly, Inc."),
    _vm("azure", "Standard_D2s_v5", 0.099, 2, 8, "dsv5", 0.5),
    _vm("azure", "Standard_D4s_v5", 0.198, 4, 16, "dsv5", 1.5),
    _vm("azure", "Standard_D8s_v5", 0.396, 8, 32, "dsv5", 3),
    _vm("azure", "Standard_D16s_v5", 0.792, 16, 64, "dsv5", 4),
    _vm("azure", "Standard_D32s_v5", 1.584, 32, 128, "dsv5", 3),
    _vm("azure", "Standard_D48s_v5", 2.376, 48, 192, "dsv5", 1),
    _vm("azure", "Standard_E8s_v5", 0.52, 8, 64, "esv5", 0.8),
    _vm("azure", "Standard_E16s_v5", 1.04, 16, 128, "esv5", 1.2),
    _vm("azure", "Standard_B2ms", 0.083, 2, 8, "bs", 0.5),
    _vm("azure", "Standard_F16s_v2", 0.74, 16, 32, "fsv2", 0.6),
    _db("azure:sql", "Azure SQL Database", "GP_Gen5_8", 1.84, "SQL database",
        AZ + "sql/servers/sql-{name}/databases/{app}", 0.8, 8, 41.5, "SQL Database General Purpose Gen5 8 vCore hour"),
    _db("azure:sql-bc", "Azure SQL Database", "BC_Gen5_8", 4.96, "SQL database",
        AZ + "sql/servers/sql-{name}/databases/{app}", 0.3, 8, 41.5,
        "SQL Database Business Critical Gen5 8 vCore hour"),
    _db("azure:postgres", "Azure Database for PostgreSQL", "Standard_D8ds_v5", 0.66, "PostgreSQL flexible server",
        AZ + "dbforpostgresql/flexibleservers/psql-{name}", 0.6, 8, 32,
        "Azure Database for PostgreSQL flexible server D8ds v5 hour"),
    _daily("azure:storage", "Storage Accounts", "Hot LRS Data Stored", "GB/Month", 0.0184, "Storage account",
           AZ + "storage/storageaccounts/st{compact}", 900, 5, "Blob Storage Hot LRS data stored", growth=0.015,
           noise=0.01),
    _daily("azure:monitor", "Azure Monitor", "Pay-as-you-go Data Ingestion", "GB", 2.30, "Log Analytics workspace",
           AZ + "operationalinsights/workspaces/log-{name}", 25, 2.5, "Log Analytics data ingestion", weekly=0.2,
           noise=0.1),
    _daily("azure:aks", "Azure Kubernetes Service", "Standard Uptime SLA", "Hours", 0.09, "Kubernetes service",
           AZ + "containerservice/managedclusters/aks-{name}", 24, 1, "AKS Standard tier cluster hour", noise=0.0),
    _daily("azure:appservice", "Azure App Service", "P2 v3 App", "Hours", 0.38, "App Service plan",
           AZ + "web/serverfarms/asp-{name}", 72, 1.2, "Premium v3 P2 v3 app service plan instance hour", noise=0.05),
    _daily("azure:redis", "Azure Cache for Redis", "P2 Premium Cache", "Hours", 0.83, "Redis cache",
           AZ + "cache/redis/redis-{name}", 48, 0.6, "Azure Cache for Redis Premium P2 cache instance hour", noise=0.0),
    _daily("azure:vnet", "Virtual Network", "Intra-Region Peering Egress", "GB", 0.01, "Virtual network",
           AZ + "network/virtualnetworks/vnet-{name}", 4_000, 1.5, "VNet peering intra-region egress", weekly=0.3,
           noise=0.1),
    _daily("azure:keyvault", "Key Vault", "Standard Operations", "10000 Operations", 0.028, "Key vault",
           AZ + "keyvault/vaults/kv-{name}", 400, 1, "Key Vault standard operations", weekly=0.2, noise=0.1),
    _daily("azure:vpngw", "VPN Gateway", "VpnGw2", "Hours", 0.45, "Virtual network gateway",
           AZ_HUB + "virtualnetworkgateways/vgw-hub-{region}", 24, 0, "VPN Gateway VpnGw2 gateway hour", noise=0.0),
    _daily("azure:firewall", "Azure Firewall", "Standard Deployment", "Hours", 1.16, "Firewall",
           AZ_HUB + "azurefirewalls/afw-hub-{region}", 24, 0, "Azure Firewall Standard deployment hour", noise=0.0),
    _daily("azure:defender", "Microsoft Defender for Cloud", "Defender for Servers Plan 2", "Hours", 0.0185,
           "Defender plan", "/subscriptions/{sub}/providers/microsoft.security/pricings/virtualmachines", 480, 0,
           "Microsoft Defender for Servers Plan 2 node hour", noise=0.05, growth=0.015, regional=False),
    _vm("gcp", "n2-standard-4", 0.1942, 4, 16, "n2", 1),
    _vm("gcp", "n2-standard-8", 0.3885, 8, 32, "n2", 2.5),
    _vm("gcp", "n2-standard-16", 0.777, 16, 64, "n2", 4),
    _vm("gcp", "n2-standard-32", 1.554, 32, 128, "n2", 3),
    _vm("gcp", "n2-standard-48", 2.331, 48, 192, "n2", 1),
    _vm("gcp", "e2-standard-4", 0.134, 4, 16, "e2", 1),
    _vm("gcp", "n2-highmem-16", 1.048, 16, 128, "n2-highmem", 1.2),
    _vm("gcp", "c2-standard-16", 0.8352, 16, 64, "c2", 0.8),
    _vm("gcp", "a2-highgpu-1g", 3.673, 12, 85, "a2", 0.3, teams=("ml",)),
    _db("gcp:cloudsql", "Cloud SQL", "db-custom-16-65536", 1.544, "Instance",
        _gcp("cloudsql") + "instances/{name}", 1.5, 16, 64,
        "Cloud SQL for PostgreSQL: 16 vCPU + 64 GB RAM, regional (HA)"),
    _daily("gcp:gcs", "Cloud Storage", "Standard Storage Europe Multi-region", "GiB-Months", 0.026, "Bucket",
           "//storage.googleapis.com/projects/_/buckets/kestrel-{name}", 1_000, 5,
           "Standard storage, Europe multi-region",
           growth=0.02, noise=0.01),
    _daily("gcp:bigquery", "BigQuery", "Analysis", "TiB", 6.25, "Dataset",
           _gcp("bigquery") + "datasets/{underscored}", 9, 3, "BigQuery on-demand analysis",
           weekly=0.45, noise=0.3, growth=0.01, teams=("data-platform", "analytics", "recommendations", "ml")),
    _daily("gcp:gke", "Kubernetes Engine", "Regional Kubernetes Clusters", "Hours", 0.10, "Cluster",
           _gcp("container") + "locations/{region}/clusters/{name}", 24, 1,
           "GKE cluster management fee", noise=0.0),
    _daily("gcp:autopilot", "Kubernetes Engine", "Autopilot Pod vCPU Requests", "vCPU-Hours", 0.0445, "Cluster",
           _gcp("container") + "locations/{region}/clusters/{name}-autopilot", 2_500, 2.5,
           "Autopilot pod vCPU requests", weekly=0.25, noise=0.08, growth=0.01),
    _daily("gcp:vertex", "Vertex AI", "Online Prediction n1-standard-4", "Hours", 0.219, "Endpoint",
           _gcp("aiplatform") + "locations/{region}/endpoints/{digits}", 96, 1.2,
           "Vertex AI online prediction node hour", noise=0.05, teams=("ml", "recommendations")),
    _daily("gcp:pubsub", "Cloud Pub/Sub", "Message Delivery Basic", "TiB", 40.0, "Topic",
           _gcp("pubsub") + "topics/{name}", 1.2, 1.5, "Pub/Sub message delivery", weekly=0.3,
           noise=0.12),
    _daily("gcp:dataflow", "Dataflow", "vCPU Time Batch", "vCPU-Hours", 0.056, "Job",
           _gcp("dataflow") + "locations/{region}/jobs/{name}", 2_500, 1.5, "Dataflow batch vCPU time",
           weekly=0.4, noise=0.2, teams=("data-platform", "analytics")),
    _daily("gcp:logging", "Cloud Logging", "Log Volume", "GiB", 0.50, "Log bucket",
           _gcp("logging") + "locations/global/buckets/{name}", 50, 1.5, "Log storage volume",
           weekly=0.2, noise=0.1, regional=False),
    _daily("gcp:egress", "Networking", "Network Internet Egress", "GiB", 0.12, "", "", 800, 1.5,
           "Network internet egress from Europe to Europe", weekly=0.3, noise=0.12),
    _daily("gcp:interconnect", "Networking", "Partner Interconnect VLAN attachment 1 Gbps", "Hours", 0.10,
           "Interconnect attachment",
           _gcp("compute") + "regions/{region}/interconnectAttachments/ica-hub-{hex8}", 48, 0,
           "Partner Interconnect 1 Gbps VLAN attachment hour", noise=0.0),
    _daily("gcp:vpn", "Networking", "Cloud VPN tunnel", "Hours", 0.05, "VPN tunnel",
           _gcp("compute") + "regions/{region}/vpnTunnels/vpn-hub-{hex8}", 48, 0,
           "Cloud VPN tunnel hour", noise=0.0),
    _daily("gcp:scc", "Security Command Center", "Premium tier resource", "Hours", 0.0031, "Organization",
           "//cloudresourcemanager.googleapis.com/organizations/482719305561", 12_000, 0,
           "Security Command Center Premium, per protected resource-hour", noise=0.03, growth=0.015, regional=False),
)
# fmt: on
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
