"""The FOCUS 1.3 ContractApplied column read in SQL: one row per element of a line item's
`{"Elements": [...]}`, with the contract commitment it names and the cost and quantity applied to it
(docs/reference/focus-spec/1.3/text/contractapplied.md). Keys are matched case-insensitively: the
specification spells them `ContractCommitmentID` and `ContractCommitmentId` in different places.

Text that is not JSON, a root without an `Elements` array and elements that are not objects yield
no row, so a value stored before ingest checked the column cannot break a query. JSON numbers are
read as doubles by the engine: amounts are exact up to 15 significant digits."""

from __future__ import annotations

from collections.abc import Sequence

# FOCUS property -> output column; the key is compared in lower case.
PROPERTIES = {
    "contractcommitmentid": "commitment_id",
    "contractcommitmentappliedcost": "applied_cost",
    "contractcommitmentappliedquantity": "applied_quantity",
    "contractcommitmentappliedunit": "applied_unit",
}
_AMOUNTS = ("applied_cost", "applied_quantity")
AMOUNT = "DECIMAL(38,12)"


def _value(key: str) -> str:
    # The matched key lower-cases to one of PROPERTIES' letters-only names, so quoting it in the
    # path is safe whatever else the object holds.
    return f"""json_extract(body, '$."' || list_filter(keys, lambda k: lower(k) = '{key}')[1] || '"')"""


def elements_sql(source: str, carry: Sequence[str] = ()) -> str:
    """SELECT over `source` (a table or view with a ContractApplied column, named by the caller,
    never by a user): one row per object element, with `carry` columns of its line item, the text
    columns `commitment_id` and `applied_unit`, the amounts `applied_cost` and
    `applied_quantity` (NULL when absent or not a number), and `raw_cost` / `raw_quantity` (the
    JSON values, for checks)."""
    kept = "".join(f'"{c}", ' for c in carry)
    picked = ", ".join(
        f"{_value(key)} AS raw_{name.removeprefix('applied_')}"
        if name in _AMOUNTS
        else f"{_value(key)} ->> '$' AS {name}"
        for key, name in PROPERTIES.items()
    )
    return f"""
    WITH roots AS (
        -- Nested CASE: the engine evaluates the inner test only where the outer one held.
        SELECT {kept}CASE WHEN json_valid(ContractApplied) THEN
                   CASE WHEN json_type(ContractApplied, '$.Elements') = 'ARRAY'
                        THEN json_extract(ContractApplied, '$.Elements[*]') END END AS elements
        FROM {source} WHERE ContractApplied IS NOT NULL
    ), items AS (
        SELECT {kept}unnest(elements) AS body FROM roots
    ), objects AS (
        SELECT {kept}body, json_keys(body) AS keys FROM items WHERE json_type(body) = 'OBJECT'
    ), picked AS (
        SELECT {kept}{picked} FROM objects
    )
    SELECT *, TRY_CAST(raw_cost ->> '$' AS {AMOUNT}) AS applied_cost,
           TRY_CAST(raw_quantity ->> '$' AS {AMOUNT}) AS applied_quantity
    FROM picked
    """
