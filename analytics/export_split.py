"""The FOCUS 1.3 export's rows: the line items as stored, except that a line of a shared-cost pool
that found owners in its month becomes one row per receiving owner, described by the 1.3 Allocated*
columns ("Data Generator-Calculated Split Cost Allocation Handling", docs/formats.md).

One ratio per (line, owner) scales every amount and quantity: FOCUS requires ListCost =
ListUnitPrice × PricingQuantity (and the same for ContractedCost) on each row, so the per-metric
weights the app's own showback uses for proportional pools cannot be written. The ratio is the
owner's EffectiveCost weight (`alloc_weights.w_EffectiveCost`); owners in name order get
`amount × ratio` at the stored precision and the last one gets what is left, so the rows of a line
sum exactly to it. Origin dimensions, unit prices and Tags stay as stored."""

from __future__ import annotations

from analytics.allocation.refresh import last_applied
from analytics.allocation.rules import Rules, alloc_name, is_alloc
from analytics.engine import Connection
from analytics.schema import FOCUS_12_COLUMNS, MONEY, is_tag, tag_key

# The 65 Cost and Usage columns in the order of the 1.3 specification's column list.
FOCUS_13_ORDER: tuple[str, ...] = (
    "AllocatedMethodId", "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedResourceName",
    "AllocatedTags", "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName",
    "BillingAccountType", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractApplied", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "HostProviderName", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceProviderName", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
)  # fmt: skip
# Aggregatable metrics (split); unit prices are not aggregatable and stay the origin's.
SPLIT_AMOUNTS = tuple(c for c, t in FOCUS_12_COLUMNS.items() if t == MONEY)
SPLIT_QUANTITIES = ("PricingQuantity", "ConsumedQuantity", "CommitmentDiscountQuantity")
ALLOCATED = (
    "AllocatedMethodId",
    "AllocatedMethodDetails",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
)
DRIVER = "EffectiveCost"  # the metric whose per-owner weight scales every amount of a split row
TAG_PREFIX_OUT = "finopslens/"  # our AllocatedTags keys: a generator prefix never found in Tags
# Columns computed in both parts of the export.
_PROVIDERS = {
    # 1.0-1.2 data has no ServiceProviderName: FOCUS introduced it as ProviderName's replacement.
    "ServiceProviderName": "coalesce(ServiceProviderName, ProviderName)",
    # With a stored ServiceProviderName the source was 1.3 (its host may be null). Otherwise the host
    # is the service provider ("MUST equal ServiceProviderName in all other cases"), except on tax and
    # adjustments, where 1.3 lets it be null as it cannot be determined. 'Not Applicable' was an
    # earlier draft's spelling of what 1.3 writes as null.
    "HostProviderName": (
        "CASE WHEN ServiceProviderName IS NOT NULL THEN nullif(HostProviderName, 'Not Applicable') "
        "WHEN ChargeCategory NOT IN ('Tax', 'Adjustment') THEN ProviderName END"
    ),
}


def allocation_tables_present(con: Connection) -> bool:
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"alloc_keys", "alloc_weights"} <= names


def split_sql(con: Connection, where: str, params: list[object]) -> tuple[str, list[object]]:
    """The SELECT of the 1.3 export (columns in FOCUS_13_ORDER) over line_items filtered by `where`
    (a WHERE clause on line_items' columns, with `params`), and its parameters."""
    rules = last_applied(con)  # what the stored allocation tables were built with
    plain = ", ".join(_PROVIDERS.get(c, f'"{c}"') + f' AS "{c}"' for c in FOCUS_13_ORDER)
    if not rules.pools or not allocation_tables_present(con):
        order = "ORDER BY ChargePeriodStart, BillingAccountId"
        return f"SELECT {plain} FROM line_items {where} {order}", list(params)
    pools, pool_params = _pools(rules)
    split_columns = ", ".join(_split_expr(c) + f' AS "{c}"' for c in FOCUS_13_ORDER)
    parts = ", ".join(f'CAST(p."{c}" * o.ratio AS {MONEY}) AS "_part_{c}"' for c in SPLIT_AMOUNTS)
    parts += "".join(f', p."{c}" * o.ratio AS "_part_{c}"' for c in SPLIT_QUANTITIES)
    sql = f"""
        WITH pools(x_Pool, split, target, tag_key) AS ({pools}),
        lines AS (
            SELECT r.*, k.x_Pool AS _pool, CAST(date_trunc('month', r.ChargePeriodStart) AS DATE) AS _month
            FROM (SELECT * FROM line_items {where}) r LEFT JOIN alloc_keys k ON {_join(rules)}
        ),
        owners AS (
            SELECT x_Pool, month, owner, w_{DRIVER} AS ratio FROM alloc_weights WHERE w_{DRIVER} > 0
        ),
        pooled AS (
            SELECT l.*, row_number() OVER () AS _line FROM lines l
            WHERE EXISTS (SELECT 1 FROM owners o WHERE o.x_Pool = l._pool AND o.month = l._month)
        ),
        shares AS (
            SELECT p.*, o.owner AS _owner, o.ratio AS _ratio, pl.split AS _split, pl.target AS _target,
                   pl.tag_key AS _tag_key,
                   row_number() OVER (PARTITION BY p._line ORDER BY o.owner) AS _rank,
                   count(*) OVER (PARTITION BY p._line) AS _owners, {parts}
            FROM pooled p JOIN owners o ON o.x_Pool = p._pool AND o.month = p._month
            JOIN pools pl ON pl.x_Pool = p._pool
        )
        SELECT * EXCLUDE (_line, _rank) FROM (
            SELECT {plain}, NULL AS _line, NULL AS _rank FROM lines l
            WHERE NOT EXISTS (SELECT 1 FROM owners o WHERE o.x_Pool = l._pool AND o.month = l._month)
            UNION ALL BY NAME
            SELECT {split_columns}, _line, _rank FROM shares
        )
        ORDER BY ChargePeriodStart, BillingAccountId, _line, _rank
    """
    return sql, [*pool_params, *params, rules.fingerprint()]


def _pools(rules: Rules) -> tuple[str, list[object]]:
    """The rule set's pools as a VALUES list: its text is markers only, the names are parameters."""
    rows: list[object] = []
    for pool in rules.pools:
        rows += [pool.name, pool.split, pool.to, TAG_PREFIX_OUT + _target_key(pool.to)]
    markers = ", ".join("(?, ?, ?, ?)" for _ in rules.pools)
    return f"SELECT * FROM (VALUES {markers})", rows


def _target_key(target: str) -> str:
    if is_tag(target):
        return tag_key(target)
    return alloc_name(target) if is_alloc(target) else target


def _join(rules: Rules) -> str:
    """How a line item finds its row of alloc_keys: the same columns the allocation keyed on."""
    columns = dict.fromkeys(d for d in rules.referenced() if not is_tag(d) and not is_alloc(d))
    on = ["k.x_TagSetId IS NOT DISTINCT FROM r.x_TagSetId"]
    on += [f'k."{c}" IS NOT DISTINCT FROM r."{c}"' for c in columns]
    return " AND ".join(on)


def _split_expr(column: str) -> str:
    if column in SPLIT_AMOUNTS or column in SPLIT_QUANTITIES:
        part = f'"_part_{column}"'
        # The last owner takes the remainder, so the shares add up to the stored amount exactly.
        rest = f'"{column}" - (sum({part}) OVER (PARTITION BY _line) - {part})'
        return f"CASE WHEN _rank < _owners THEN {part} ELSE {rest} END"
    if column in ALLOCATED:
        return _ALLOCATED_EXPR[column]
    return _PROVIDERS.get(column, f'"{column}"')


_DETAILS = (
    "CAST(json_object('Elements', json_array(json_object("
    "'AllocatedRatio', _ratio, 'x_Split', _split, 'x_Driver', CASE WHEN _split = 'proportional' THEN "
    f"'{DRIVER}' END, 'x_Pool', _pool, 'x_Target', _target, 'x_Month', strftime(_month, '%Y-%m'))), "
    "'x_RulesFingerprint', CAST(? AS VARCHAR)) AS VARCHAR)"
)
_ALLOCATED_EXPR = {
    "AllocatedMethodId": "_pool",
    "AllocatedMethodDetails": _DETAILS,
    "AllocatedResourceId": "_target || '=' || _owner",
    "AllocatedResourceName": "_owner",
    "AllocatedTags": "CAST(json_object(_tag_key, _owner) AS VARCHAR)",
}
