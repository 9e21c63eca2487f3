"""Microsoft's open mapping tables (finops-toolkit, MIT) as temp tables for the Azure mapping:
consumed service / resource type -> FOCUS service, location spelling -> region, unit -> pricing unit."""

from __future__ import annotations

from pathlib import Path

from analytics.engine import Connection

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"

# Temp table names; the SQL in azure.py joins on them.
SERVICES_BY_TYPE = "_az_services_by_type"
SERVICES_BY_CONSUMED = "_az_services_by_consumed"
REGIONS = "_az_regions"
UNITS = "_az_units"


def create(con: Connection) -> None:
    """Load the three tables, keyed the way the mapping looks them up (lower-case keys)."""
    read = "read_csv(?, header = true, all_varchar = true)"
    # A resource type names one service; a consumed service (microsoft.compute) spans several, so
    # it only decides when the type is unknown, and then by the service most of its types belong to.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {SERVICES_BY_TYPE} AS
        SELECT lower(ResourceType) AS key, ServiceName, ServiceCategory, ServiceSubcategory FROM {read}
        WHERE coalesce(ResourceType, '') <> ''
        QUALIFY row_number() OVER (PARTITION BY lower(ResourceType) ORDER BY ConsumedService NULLS LAST) = 1""",
        [str(REFERENCE / "Services.csv")],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {SERVICES_BY_CONSUMED} AS
        SELECT key, ServiceName, ServiceCategory, ServiceSubcategory FROM (
            SELECT lower(ConsumedService) AS key, ServiceName, ServiceCategory, ServiceSubcategory, count(*) AS n
            FROM {read} WHERE coalesce(ConsumedService, '') <> '' GROUP BY ALL)
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY n DESC, ServiceName) = 1""",
        [str(REFERENCE / "Services.csv")],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {REGIONS} AS
        SELECT DISTINCT ON (lower(OriginalValue)) lower(OriginalValue) AS key, RegionId, RegionName FROM {read}""",
        [str(REFERENCE / "Regions.csv")],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {UNITS} AS
        SELECT DISTINCT ON (UnitOfMeasure) UnitOfMeasure AS key, CAST(PricingBlockSize AS DOUBLE) AS block,
               DistinctUnits AS unit FROM {read}""",
        [str(REFERENCE / "PricingUnits.csv")],
    )


def drop(con: Connection) -> None:
    for table in (SERVICES_BY_TYPE, SERVICES_BY_CONSUMED, REGIONS, UNITS):
        con.execute(f"DROP TABLE IF EXISTS {table}")
