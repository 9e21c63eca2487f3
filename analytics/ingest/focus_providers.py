"""FOCUS 1.3 and 1.4 in a Cost and Usage file: the version its columns say, what the app calls the
provider when a file has ServiceProviderName, HostProviderName and the deprecated ProviderName and
PublisherName in any combination (docs/formats.md), and 1.4's columns the store does not keep."""

from __future__ import annotations

from collections.abc import Iterable

from analytics.engine import Connection
from analytics.ingest.report import IngestReport

# FOCUS 1.4 Cost and Usage columns the store has no place for: named in the report, not stored.
FOCUS_14_UNSTORED = ("CommitmentProgramEligibilityDetails", "InvoiceDetailId", "TagDetails")
# Columns FOCUS 1.3 introduced: a file with any of them is 1.3 or later.
_FOCUS_13_MARKERS = (
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "ContractApplied",
    "HostProviderName",
    "ServiceProviderName",
)


def version(columns: Iterable[str]) -> str:
    """The FOCUS version a Cost and Usage file's column names say: "1.4", "1.3" or "1.0-1.2".
    1.4 dropped the deprecated ProviderName, so ServiceProviderName without it is 1.4 as well."""
    names = {c.strip().lower() for c in columns}
    if names & {c.lower() for c in FOCUS_14_UNSTORED} or (
        "serviceprovidername" in names and not names & {"providername", "provider"}
    ):
        return "1.4"
    return "1.3" if names & {c.lower() for c in _FOCUS_13_MARKERS} else "1.0-1.2"


def unstored(names: Iterable[str]) -> list[str]:
    """The FOCUS 1.4 columns among a file's column `names`, as the file spells them."""
    wanted = {c.lower() for c in FOCUS_14_UNSTORED}
    return [name for name in names if name.strip().lower() in wanted]


def provider(exprs: dict[str, str], report: IngestReport) -> str:
    """What the app calls the provider: the file's ProviderName where it has one (1.0-1.3: what
    1.2 meant by it, so a source keeps its provider across its 1.2 and 1.3 deliveries), else
    ServiceProviderName (1.4 dropped ProviderName; FOCUS calls it its replacement). HostProviderName
    and PublisherName never decide it: they are kept as they arrive, as dimensions of their own."""
    given, service = exprs.get("ProviderName"), exprs.get("ServiceProviderName")
    if given is not None and service is not None:
        return f"coalesce({given}, {service})"
    if service is not None:
        report.fix("ProviderName taken from ServiceProviderName (FOCUS 1.4 has no ProviderName)")
        return service
    return exprs["ProviderName"]  # focus._match_columns refuses a file with neither


def report_other_providers(con: Connection, table: str, columns: dict[str, str], report: IngestReport) -> None:
    """Say how many rows a 1.3 file attributes to a service provider other than its ProviderName
    (marketplace and reseller charges), since the provider dimension shows ProviderName there."""
    if "ProviderName" not in columns or "ServiceProviderName" not in columns:
        return
    found = con.execute(
        f'SELECT count(*) FROM {table} WHERE "ServiceProviderName" IS DISTINCT FROM "ProviderName" '
        'AND "ServiceProviderName" IS NOT NULL'
    ).fetchone()
    if found and found[0]:
        report.warn(
            f"ServiceProviderName differs from ProviderName on {found[0]:,} rows (marketplace or reseller "
            "charges): ProviderName stays their provider; group by ServiceProviderName to see the seller"
        )
