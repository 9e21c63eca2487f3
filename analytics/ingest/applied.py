"""ContractApplied values no page could read, refused at ingest with the file, the row and the
column: text that is not JSON, a root without an `Elements` array, an element that is not an
object with properties, an element naming no ContractCommitmentId, an applied cost or quantity that
is not a number (FOCUS 1.3, docs/reference/focus-spec/1.3/text/contractapplied.md)."""

from __future__ import annotations

from pathlib import Path

from analytics.contract_applied import elements_sql
from analytics.engine import Connection
from analytics.ingest.report import IngestError

_ROOTS = """
SELECT min(_row) FILTER (WHERE NOT json_valid(ContractApplied)),
       min(_row) FILTER (WHERE CASE WHEN json_valid(ContractApplied)
                                    THEN json_type(ContractApplied, '$.Elements') IS DISTINCT FROM 'ARRAY' END)
FROM {table} WHERE ContractApplied IS NOT NULL
"""
_ITEMS = """
WITH roots AS (
    SELECT _row, CASE WHEN json_valid(ContractApplied) THEN
                   CASE WHEN json_type(ContractApplied, '$.Elements') = 'ARRAY'
                        THEN json_extract(ContractApplied, '$.Elements') END END AS elements
    FROM {table} WHERE ContractApplied IS NOT NULL
)
SELECT min(_row) FROM roots, json_each(roots.elements) e
WHERE json_type(e.value) IS DISTINCT FROM 'OBJECT' OR e.value = '{{}}'
"""
_NOT_A_NUMBER = "raw_{0} IS NOT NULL AND json_type(raw_{0}) <> 'NULL' AND applied_{0} IS NULL"
_ELEMENTS = f"""
SELECT min(_row) FILTER (WHERE commitment_id IS NULL OR trim(commitment_id) = ''),
       min(_row) FILTER (WHERE {_NOT_A_NUMBER.format("cost")}),
       min(_row) FILTER (WHERE {_NOT_A_NUMBER.format("quantity")})
FROM ({{elements}})
"""
_PROBLEMS = (
    "is not JSON",
    'is not a JSON object with an "Elements" array',
    'has an "Elements" item that is not an object with properties',
    "has an element without a ContractCommitmentId",
    "has a ContractCommitmentAppliedCost that is not a number",
    "has a ContractCommitmentAppliedQuantity that is not a number",
)


def refuse_bad_contract_applied(con: Connection, path: Path, table: str) -> None:
    """The first row of the first kind of broken ContractApplied in `table` (staged FOCUS columns
    and `_row`, named by the loader), as an IngestError."""
    found = [
        *(con.execute(_ROOTS.format(table=table)).fetchone() or (None, None)),
        *(con.execute(_ITEMS.format(table=table)).fetchone() or (None,)),
        *(con.execute(_ELEMENTS.format(elements=elements_sql(table, ("_row",)))).fetchone() or (None,) * 3),
    ]
    for row, problem in zip(found, _PROBLEMS, strict=True):
        if row is not None:
            raise IngestError(f"{path}: row {row}, ContractApplied: {problem}")
