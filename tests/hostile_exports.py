"""Small hostile inputs for the ingest tests: one file per source format, built from the real
exports in tests/data/real or from FOCUS rows, with one value changed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.ingest.report import IngestReport
from analytics.ingest.run import ingest_paths
from tests.focus_rows import BASE, row, write_csv
from tests.realdata import REALDATA, read_rows, write_rows

CUR = REALDATA / "aws-cur" / "cur-legacy-anonymous.csv"
AZURE = REALDATA / "azure" / "ea-actual-small.csv"
GCP = REALDATA / "gcp" / "billing-export-resource-2022-08.csv"
OCI_HEADER = [
    "lineItem/referenceNo",
    "lineItem/tenantId",
    "lineItem/intervalUsageStart",
    "lineItem/intervalUsageEnd",
    "product/service",
    "product/resourceId",
    "usage/billedQuantity",
    "cost/myCost",
    "cost/currencyCode",
    "lineItem/isCorrection",
]


def snake(legacy: str) -> str:
    category, _, name = legacy.partition("/")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", category + "_" + name).lower()


def oci_rows() -> list[dict[str, str]]:
    def line(reference: str, start: str, end: str, cost: str) -> dict[str, str]:
        values = [reference, "ocid1.tenancy.oc1..aaaa", start, end, "COMPUTE", f"ocid1.x.{reference}", "1", cost]
        return dict(zip(OCI_HEADER, [*values, "EUR", "false"], strict=True))

    return [
        line("r1", "2024-03-01T00:00Z", "2024-03-01T01:00:00Z", "0.5"),
        line("r2", "2024-03-01T01:00Z", "2024-03-01T02:00:00Z", "1.25"),
        line("r3", "2024-03-02T01:00Z", "2024-03-02T02:00:00Z", "2"),
    ]


def with_year(value: str, year: str | None) -> str:
    """The same timestamp text with its (first) four-digit year replaced (None: unchanged)."""
    return value if year is None else re.sub(r"\d{4}", year, value, count=1)


def json_lines(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def focus_parquet(path: Path, columns: dict[str, pa.Array]) -> Path:
    """A FOCUS Parquet file of len(first column) rows: BASE's text values, overridden by `columns`."""
    rows = len(next(iter(columns.values())))
    arrays = {k: pa.array([v] * rows, pa.string()) for k, v in BASE.items() if k not in columns and v is not None}
    pq.write_table(pa.table({**arrays, **columns}), path)
    return path


# A time column of each format set to `year` on one row: (file builder, that row's number, FOCUS column).
DateCase = Callable[[Path, str | None], Path]


def focus_csv_date(path: Path, year: str | None) -> Path:
    return write_csv(path, [row(), row(ChargePeriodStart=with_year(BASE["ChargePeriodStart"], year)), row()])


def cur_date(path: Path, year: str | None) -> Path:
    rows = read_rows(CUR)[:6]
    rows[1]["lineItem/UsageStartDate"] = with_year(rows[1]["lineItem/UsageStartDate"], year)
    return write_rows(path, rows)


def cur2_date(path: Path, year: str | None) -> Path:
    rows = [{snake(k): v for k, v in r.items()} for r in read_rows(CUR)[:6]]
    rows[1]["line_item_usage_start_date"] = with_year(rows[1]["line_item_usage_start_date"], year)
    return write_rows(path, rows)


def azure_date(path: Path, year: str | None) -> Path:
    rows = read_rows(AZURE)[:4]
    rows[1]["Date"] = with_year(rows[1]["Date"], year)
    return write_rows(path, rows)


def gcp_date(path: Path, year: str | None) -> Path:
    rows = read_rows(GCP)[:4]
    rows[1]["usage_start_time"] = with_year(rows[1]["usage_start_time"], year)
    return write_rows(path, rows)


def oci_date(path: Path, year: str | None) -> Path:
    rows = oci_rows()
    rows[1]["lineItem/intervalUsageStart"] = with_year(rows[1]["lineItem/intervalUsageStart"], year)
    return write_rows(path, rows)


def jsonl_date(path: Path, year: str | None) -> Path:
    rows: list[dict[str, object]] = [row(), row(ChargePeriodStart=with_year(BASE["ChargePeriodStart"], year)), row()]
    return json_lines(path.with_suffix(".jsonl"), rows)


def parquet_date(path: Path, year: str | None) -> Path:
    good = with_year("2026-05-03T00:00:00", "2026")
    starts = [good, with_year(good, year), good]
    return focus_parquet(
        path.with_suffix(".parquet"),
        {"ChargePeriodStart": pa.array([s for s in starts], pa.string()).cast(pa.timestamp("us"))},
    )


DATE_CASES: dict[str, DateCase] = {
    "focus-csv": focus_csv_date,
    "aws-cur": cur_date,
    "aws-cur2": cur2_date,
    "azure": azure_date,
    "gcp": gcp_date,
    "oci": oci_date,
    "json-lines": jsonl_date,
    "parquet": parquet_date,
}


def load(con: duckdb.DuckDBPyConnection, *paths: Path) -> list[IngestReport]:
    """Ingest the paths as one batch, the rest loading when one is refused (the CLI's way)."""
    return ingest_paths(con, [str(p) for p in paths], keep_going=True)
