"""AWS product codes (`lineItem/ProductCode`) -> FOCUS 1.2 ServiceCategory; 'Other' for the rest.

One category per product code, so each ServiceName maps to exactly one category as FOCUS 1.2
requires (EBS volumes are billed under AmazonEC2 and so count as Compute)."""

from __future__ import annotations

from analytics.ingest.aws_columns import quote_text

_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "AI and Machine Learning": (
        "AmazonBedrock",
        "AmazonSageMaker",
        "AmazonRekognition",
        "AmazonTextract",
        "AmazonPolly",
        "AmazonLex",
        "AmazonKendra",
        "AmazonPersonalize",
        "AmazonForecast",
        "comprehend",
        "transcribe",
        "translate",
    ),
    "Analytics": (
        "AWSGlue",
        "AmazonAthena",
        "AmazonES",
        "AmazonKinesis",
        "AmazonKinesisFirehose",
        "AmazonKinesisAnalytics",
        "AmazonMSK",
        "AmazonQuickSight",
        "ElasticMapReduce",
        "AWSLakeFormation",
        "AWSDataExchange",
    ),
    "Compute": (
        "AmazonEC2",
        "AWSLambda",
        "AmazonECS",
        "AmazonEKS",
        "AmazonECR",
        "AmazonLightsail",
        "AWSAppRunner",
        "AWSOutposts",
        "AmazonAppStream",
        "AmazonWorkSpaces",
        "AWSCloudShell",
    ),
    "Databases": (
        "AmazonRDS",
        "AmazonDynamoDB",
        "AmazonElastiCache",
        "AmazonRedshift",
        "AmazonDocDB",
        "AmazonNeptune",
        "AmazonMemoryDB",
        "AmazonTimestream",
        "AmazonMCS",
    ),
    "Developer Tools": ("AWSCodeCommit", "AWSCodePipeline", "CodeBuild", "AWSCodeArtifact", "AWSAmplify", "AWSXRay"),
    "Integration": (
        "AWSQueueService",
        "AmazonSNS",
        "AmazonMQ",
        "AmazonStates",
        "AWSEvents",
        "AmazonApiGateway",
        "AmazonMWAA",
        "AWSAppSync",
        "AWSMigrationHubRefactorSpaces",
    ),
    "Internet of Things": ("AWSIoT", "AWSGreengrass", "AWSIoTAnalytics", "AWSIoTSiteWise", "AWSIoTEvents"),
    "Management and Governance": (
        "AmazonCloudWatch",
        "AWSCloudTrail",
        "AWSConfig",
        "AWSCloudFormation",
        "AWSSystemsManager",
        "AWSServiceCatalog",
        "AWSCostExplorer",
        "AWSBudgets",
        "AmazonGrafana",
        "AmazonPrometheus",
        "AWSSupportBusiness",
        "AWSSupportEnterprise",
        "AWSDeveloperSupport",
        "OCBPremiumSupport",
    ),
    "Media": ("AWSElementalMediaConvert", "AWSElementalMediaLive", "AmazonIVS", "AmazonKinesisVideo"),
    "Migration": ("AWSDatabaseMigrationSvc", "AWSDataSync", "AWSTransfer", "AWSApplicationMigrationSvc"),
    "Networking": (
        "AmazonVPC",
        "AWSELB",
        "AmazonCloudFront",
        "AmazonRoute53",
        "AWSDataTransfer",
        "AWSDirectConnect",
        "AWSGlobalAccelerator",
        "AWSNetworkFirewall",
        "AWSCloudMap",
    ),
    "Security": (
        "awskms",
        "AWSSecretsManager",
        "AmazonGuardDuty",
        "AWSSecurityHub",
        "AmazonInspectorV2",
        "AmazonMacie",
        "awswaf",
        "AWSShield",
        "AWSCertificateManager",
        "AmazonDetective",
        "CloudHSM",
        "AWSFMS",
    ),
    "Identity": ("AmazonCognito", "AWSDirectoryService"),
    "Storage": ("AmazonS3", "AmazonEFS", "AmazonFSx", "AWSBackup", "AmazonGlacier", "AWSStorageGateway", "AmazonEBS"),
    "Business Applications": ("AmazonSES", "AmazonConnect", "AmazonChime", "AmazonWorkMail", "AmazonPinpoint"),
}
SERVICE_CATEGORIES: dict[str, str] = {code: category for category, codes in _BY_CATEGORY.items() for code in codes}


def category_sql(product_code: str) -> str:
    """A CASE expression over the product code; the codes are this module's constants, not data."""
    whens = " ".join(f"WHEN {quote_text(code)} THEN {quote_text(cat)}" for code, cat in SERVICE_CATEGORIES.items())
    return f"CASE {product_code} {whens} ELSE 'Other' END"
