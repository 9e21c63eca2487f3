"""FOCUS columns and types, the dimensions users may group by, and the Filters value object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

MONEY = "DECIMAL(38,12)"
CENT = Decimal("0.01")
# The days any series or rate table is built over. Ingest refuses charges outside these years; a
# value stored before that check (or written around it) must not make a series span millennia.
FIRST_SANE_DAY = dt.date(2000, 1, 1)
END_SANE_DAY = dt.date(2100, 1, 1)  # exclusive
QUANTITY = "DOUBLE"
TIME = "TIMESTAMP"  # naive, always UTC: FOCUS timestamps are UTC and ends are exclusive
TEXT = "VARCHAR"

# Every FOCUS 1.2 Cost and Usage column, then the eight 1.3 additions (all nullable here).
FOCUS_12_COLUMNS: dict[str, str] = {
    "AvailabilityZone": TEXT,
    "BilledCost": MONEY,
    "BillingAccountId": TEXT,
    "BillingAccountName": TEXT,
    "BillingAccountType": TEXT,
    "BillingCurrency": TEXT,
    "BillingPeriodEnd": TIME,
    "BillingPeriodStart": TIME,
    "CapacityReservationId": TEXT,
    "CapacityReservationStatus": TEXT,
    "ChargeCategory": TEXT,
    "ChargeClass": TEXT,
    "ChargeDescription": TEXT,
    "ChargeFrequency": TEXT,
    "ChargePeriodEnd": TIME,
    "ChargePeriodStart": TIME,
    "CommitmentDiscountCategory": TEXT,
    "CommitmentDiscountId": TEXT,
    "CommitmentDiscountName": TEXT,
    "CommitmentDiscountQuantity": QUANTITY,
    "CommitmentDiscountStatus": TEXT,
    "CommitmentDiscountType": TEXT,
    "CommitmentDiscountUnit": TEXT,
    "ConsumedQuantity": QUANTITY,
    "ConsumedUnit": TEXT,
    "ContractedCost": MONEY,
    "ContractedUnitPrice": QUANTITY,
    "EffectiveCost": MONEY,
    "InvoiceId": TEXT,
    "InvoiceIssuerName": TEXT,
    "ListCost": MONEY,
    "ListUnitPrice": QUANTITY,
    "PricingCategory": TEXT,
    "PricingCurrency": TEXT,
    "PricingCurrencyContractedUnitPrice": QUANTITY,
    "PricingCurrencyEffectiveCost": MONEY,
    "PricingCurrencyListUnitPrice": QUANTITY,
    "PricingQuantity": QUANTITY,
    "PricingUnit": TEXT,
    "ProviderName": TEXT,
    "PublisherName": TEXT,
    "RegionId": TEXT,
    "RegionName": TEXT,
    "ResourceId": TEXT,
    "ResourceName": TEXT,
    "ResourceType": TEXT,
    "ServiceCategory": TEXT,
    "ServiceName": TEXT,
    "ServiceSubcategory": TEXT,
    "SkuId": TEXT,
    "SkuMeter": TEXT,
    "SkuPriceDetails": TEXT,
    "SkuPriceId": TEXT,
    "SubAccountId": TEXT,
    "SubAccountName": TEXT,
    "SubAccountType": TEXT,
    "Tags": TEXT,
}
FOCUS_13_ADDITIONS: dict[str, str] = {
    "AllocatedMethodDetails": TEXT,
    "AllocatedMethodId": TEXT,
    "AllocatedResourceId": TEXT,
    "AllocatedResourceName": TEXT,
    "AllocatedTags": TEXT,
    "ContractApplied": TEXT,
    "HostProviderName": TEXT,
    "ServiceProviderName": TEXT,
}
FOCUS_COLUMNS: dict[str, str] = {**FOCUS_12_COLUMNS, **FOCUS_13_ADDITIONS}

# Provenance, added by the loader: where each row came from and the tag set it carries.
PROVENANCE_COLUMNS: dict[str, str] = {
    "x_SourceId": "BIGINT",
    "x_SourceFile": TEXT,
    "x_SourceFormat": TEXT,
    "x_IngestedAt": TIME,
    "x_TagSetId": "BIGINT",
}
LINE_ITEM_COLUMNS: dict[str, str] = {**FOCUS_COLUMNS, **PROVENANCE_COLUMNS}

# A file missing any of these cannot be costed or placed in time, so it is refused.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "BilledCost",
    "EffectiveCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
)

ENUMS: dict[str, tuple[str, ...]] = {
    "ChargeCategory": ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
    "ChargeClass": ("Correction",),
    "ChargeFrequency": ("One-Time", "Recurring", "Usage-Based"),
    "CommitmentDiscountCategory": ("Spend", "Usage"),
    "CommitmentDiscountStatus": ("Used", "Unused"),
    "CapacityReservationStatus": ("Used", "Unused"),
    "PricingCategory": ("Standard", "Dynamic", "Committed", "Other"),
}


class Metric(StrEnum):
    """The four FOCUS cost metrics; EffectiveCost (amortised) is the default."""

    EFFECTIVE = "EffectiveCost"
    BILLED = "BilledCost"
    LIST = "ListCost"
    CONTRACTED = "ContractedCost"

    @property
    def label(self) -> str:
        return METRIC_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Metric:
        """Accept `effective`, `EffectiveCost`, `billed`, ... case-insensitively."""
        wanted = text.strip().lower().removesuffix("cost")
        for metric in cls:
            if metric.value.lower().removesuffix("cost") == wanted:
                return metric
        choices = ", ".join(m.value.lower().removesuffix("cost") for m in cls)
        raise ValueError(f"unknown metric {text!r}; choose one of {choices}")


METRIC_LABELS = {
    Metric.EFFECTIVE: "Effective cost (amortised)",
    Metric.BILLED: "Billed cost (invoice)",
    Metric.LIST: "List cost (public prices)",
    Metric.CONTRACTED: "Contracted cost (negotiated, before commitments)",
}


class Grain(StrEnum):
    NONE = "none"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# Column dimensions held in the daily rollup; anything else is read from the line items.
ROLLUP_DIMENSIONS: tuple[str, ...] = (
    "ProviderName",
    # FOCUS 1.3's seller and host (a marketplace SaaS: its vendor, and the cloud it runs on); in the
    # rollup so that access scopes and allocation rules can use them, like the provider.
    "ServiceProviderName",
    "HostProviderName",
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "ServiceCategory",
    "ServiceName",
    "RegionId",
    "ChargeCategory",
    "PricingCategory",
    "CommitmentDiscountStatus",
    "BillingCurrency",
)
DETAIL_DIMENSIONS: tuple[str, ...] = (
    "RegionName",
    "AvailabilityZone",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "SkuId",
    "ChargeDescription",
    "CommitmentDiscountId",
    "CommitmentDiscountType",
    "PricingUnit",
    "InvoiceId",
    "x_SourceFile",
)
COLUMN_DIMENSIONS: tuple[str, ...] = ROLLUP_DIMENSIONS + DETAIL_DIMENSIONS
TAG_PREFIX = "tag:"


def is_tag(dimension: str) -> bool:
    return dimension.startswith(TAG_PREFIX)


def tag_key(dimension: str) -> str:
    return dimension[len(TAG_PREFIX) :]


# A virtual dimension defined by allocation rules (`alloc:team`). Named here, beside tags, so the
# queries can recognise one without importing the allocation package (which reads through them).
ALLOC_PREFIX = "alloc:"
SHARED_POOL = "alloc:shared_pool"  # the pool a row belongs to; not set on direct spend


def is_alloc(dimension: str) -> bool:
    return dimension.startswith(ALLOC_PREFIX)


def alloc_name(dimension: str) -> str:
    return dimension[len(ALLOC_PREFIX) :]


@dataclass(frozen=True)
class Filters:
    """What a view covers: whole UTC days [start, end] inclusive, and dimension -> allowed values.

    Values of one dimension are OR-ed, dimensions AND-ed. `None` among the values means
    "not set" (untagged for a tag dimension). Frozen and hashable so it can key a cache.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    where: tuple[tuple[str, tuple[str | None, ...]], ...] = field(default_factory=tuple)

    @classmethod
    def of(
        cls,
        start: dt.date | None = None,
        end: dt.date | None = None,
        where: dict[str, list[str | None]] | None = None,
    ) -> Filters:
        items = tuple((dim, tuple(values)) for dim, values in sorted((where or {}).items()) if values)
        return cls(start=start, end=end, where=items)

    def with_values(self, dimension: str, values: list[str | None]) -> Filters:
        where = dict(self.where)
        where[dimension] = tuple(values)
        return Filters.of(self.start, self.end, {k: list(v) for k, v in where.items()})

    def shifted_back(self) -> Filters | None:
        """The period of the same length just before this one (for 'change vs previous')."""
        if self.start is None or self.end is None:
            return None
        days = (self.end - self.start).days + 1
        return Filters(
            start=self.start - dt.timedelta(days=days),
            end=self.start - dt.timedelta(days=1),
            where=self.where,
        )

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(dim for dim, _ in self.where)


EVERYTHING = Filters()
