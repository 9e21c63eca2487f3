"""FOCUS 1.2 export, judged by the FinOps Foundation's focus-validator 2.2.1.

The sample company, every real FOCUS file in tests/data/real/focus and each real provider export
(AWS legacy CUR, Azure EA actual / actual + amortized, Google Cloud resource-level) go through the
command line (`sample` / `ingest`, then `export-focus`); the validator runs offline in its Python 3.12
virtualenv (.venv-validator), once per dataset, and may report only the failures listed, with their
reason, in docs/formats/conformance.md. (No real Oracle Cloud file is available.)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.export import export_focus
from analytics.schema import FOCUS_12_COLUMNS
from analytics.store import reader
from tests.realdata import REALDATA
from tests.tools import require_validator

# Every test here runs the command line in new processes; the validator runs take tens of seconds.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
VALIDATE = ROOT / "tools" / "validate_focus.py"
CONFORMANCE = ROOT / "docs" / "formats" / "conformance.md"
REAL_FOCUS_FILES = sorted(p for p in (REALDATA / "focus").iterdir() if re.search(r"\.(csv|csv\.gz|parquet)$", p.name))
SAMPLE_ARGS = ["--rows", "20000", "--months", "2", "--seed", "42", "--as-of", "2026-06-15"]
# What the sample company models (see docs/formats/conformance.md for why the other four are not claimed).
SAMPLE_CRITERIA = ",".join(
    f"{feature}_SUPPORTED"
    for feature in (
        "ACCOUNT_NAMING",
        "AVAILABILITY_ZONE",
        "BILLING_BASED_ON_PROVISIONED_RESOURCES",
        "COMMITMENT_DISCOUNT",
        "MULTIPLE_PRICING_CATEGORIES",
        "MULTIPLE_SUB_ACCOUNT_TYPES",
        "NEGOTIATED_PRICING",
        "PUBLIC_PRICE_LIST",
        "REGION",
        "RESOURCE_TYPE_ASSIGNMENT",
        "SUB_ACCOUNT",
        "TAGGING",
        "UNIT_PRICING",
        "USAGE_MEASUREMENT",
    )
)


def _criteria(*features: str) -> str:
    return ",".join(f"{feature}_SUPPORTED" for feature in features)


# Both Azure EA datasets carry the same features (an EA export, with or without its amortized twin).
AZURE_EA_CRITERIA = _criteria(
    "ACCOUNT_NAMING",
    "AVAILABILITY_ZONE",
    "BILLING_BASED_ON_PROVISIONED_RESOURCES",
    "COMMITMENT_DISCOUNT",
    "MULTIPLE_BILLING_ACCOUNT_TYPES",
    "MULTIPLE_PRICING_CATEGORIES",
    "NEGOTIATED_PRICING",
    "PUBLIC_PRICE_LIST",
    "REGION",
    "RESOURCE_TYPE_ASSIGNMENT",
    "SUB_ACCOUNT",
    "TAGGING",
    "UNIT_PRICING",
    "USAGE_MEASUREMENT",
)

# Each real provider export, loaded through the real ingest (files given together are one
# dataset), with the features its source format carries (docs/formats/conformance.md says why).
REAL_EXPORTS: dict[str, tuple[tuple[str, ...], str]] = {
    "cur-legacy-anonymous.csv": (
        ("aws-cur/cur-legacy-anonymous.csv",),
        _criteria(
            "AVAILABILITY_ZONE",
            "BILLING_BASED_ON_PROVISIONED_RESOURCES",
            "COMMITMENT_DISCOUNT",
            "MULTIPLE_PRICING_CATEGORIES",
            "NEGOTIATED_PRICING",
            "PRICING_BILLING_CURRENCY_DIFFERENCES",
            "PUBLIC_PRICE_LIST",
            "REGION",
            "SUB_ACCOUNT",
            "TAGGING",
            "UNIT_PRICING",
            "USAGE_MEASUREMENT",
        ),
    ),
    "ea-actual-anonymous-cad.csv": (
        ("azure/ea-actual-anonymous-cad.csv",),
        AZURE_EA_CRITERIA,
    ),
    "ea-actual+amortized-small.csv": (
        ("azure/ea-actual-small.csv", "azure/ea-amortized-small.csv"),
        AZURE_EA_CRITERIA,
    ),
    "billing-export-resource-2022-08.csv": (
        ("gcp/billing-export-resource-2022-08.csv",),
        _criteria(
            "ACCOUNT_NAMING",
            "AVAILABILITY_ZONE",
            "BILLING_BASED_ON_PROVISIONED_RESOURCES",
            "COMMITMENT_DISCOUNT",
            "MULTIPLE_PRICING_CATEGORIES",
            "NEGOTIATED_PRICING",
            "PRICING_BILLING_CURRENCY_DIFFERENCES",
            "PUBLIC_PRICE_LIST",
            "REGION",
            "SUB_ACCOUNT",
            "TAGGING",
            "UNIT_PRICING",
            "USAGE_MEASUREMENT",
        ),
    ),
}


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "analytics", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def validator() -> Path:
    """The validator's virtualenv: skipped without it on a developer's machine, required under CI."""
    return require_validator()


def validate(validator: Path, parquet: Path, criteria: str) -> dict[str, Any]:
    run = subprocess.run(
        [str(validator), str(VALIDATE), str(parquet), "--criteria", criteria, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), f"the validator did not run: {run.stderr.strip()[-2000:]}"
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def expected_failures(dataset: str) -> set[str]:
    """Rule ids listed for `dataset` in the Expected failures table of docs/formats/conformance.md."""
    rows = re.findall(r"^\|\s*([^|]+?)\s*\|\s*([A-Za-z]+-[A-Z]-\d{3}-[A-Z])\s*\|", CONFORMANCE.read_text(), re.M)
    return {rule for name, rule in rows if name == dataset}


def assert_only_documented_failures(result: dict[str, Any], dataset: str) -> None:
    summary = result["summary"]
    assert summary["rules"] > 500 and summary["passed"] > 300, summary
    failures = {f["rule_id"]: f for f in result["failures"]}
    found = set(result["root_failures"])
    expected = expected_failures(dataset)
    unexpected = [
        f"{rule} ({failures[rule]['violations']} rows): {failures[rule]['must_satisfy']}"
        for rule in sorted(found - expected)
    ]
    assert not unexpected, f"{dataset}: FOCUS conformance failures not in {CONFORMANCE.name}:\n" + "\n".join(unexpected)
    stale = sorted(expected - found)
    assert not stale, f"{dataset}: listed in {CONFORMANCE.name} but no longer failing (remove them): {stale}"


@pytest.mark.validator
def test_the_sample_company_exports_as_focus_12_with_only_documented_failures(validator: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "sample.duckdb", tmp_path / "sample.parquet"
    cli("sample", *SAMPLE_ARGS, "--db", db)
    cli("export-focus", "--out", out, "--db", db)
    result = validate(validator, out, SAMPLE_CRITERIA)
    assert result["rows"] == pq.ParquetFile(out).metadata.num_rows > 10_000
    assert_only_documented_failures(result, "sample")


@pytest.mark.validator
@pytest.mark.parametrize("source", REAL_FOCUS_FILES, ids=[p.name for p in REAL_FOCUS_FILES])
def test_a_real_focus_file_exports_as_focus_12_with_only_documented_failures(
    source: Path, validator: Path, tmp_path: Path
) -> None:
    db, out = tmp_path / "real.duckdb", tmp_path / "real.parquet"
    cli("ingest", source, "--db", db)
    cli("export-focus", "--out", out, "--db", db)
    result = validate(validator, out, "ALL")
    assert_only_documented_failures(result, source.name)


@pytest.fixture(scope="module")
def real_exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each real provider export ingested and exported once for the module: name -> FOCUS 1.2 Parquet."""
    work = tmp_path_factory.mktemp("real-exports")
    exports: dict[str, Path] = {}
    for index, (name, (files, _)) in enumerate(REAL_EXPORTS.items()):
        db, out = work / f"{index}.duckdb", work / f"{index}.parquet"
        cli("ingest", *(REALDATA / f for f in files), "--db", db)
        cli("export-focus", "--out", out, "--db", db)
        exports[name] = out
    return exports


@pytest.mark.validator
@pytest.mark.parametrize("dataset", list(REAL_EXPORTS))
def test_a_real_provider_export_converts_to_focus_12_with_only_documented_failures(
    dataset: str, validator: Path, real_exports: dict[str, Path]
) -> None:
    out = real_exports[dataset]
    result = validate(validator, out, REAL_EXPORTS[dataset][1])
    assert result["rows"] == pq.ParquetFile(out).metadata.num_rows > 0
    assert_only_documented_failures(result, dataset)


def test_there_is_a_real_focus_file_to_check() -> None:
    assert REAL_FOCUS_FILES, f"no FOCUS files in {REALDATA / 'focus'}"


def test_the_export_has_exactly_the_focus_12_columns_typed_and_ties_out_to_the_cent(tmp_path: Path) -> None:
    db, out = tmp_path / "real.duckdb", tmp_path / "real.parquet"
    cli("ingest", REAL_FOCUS_FILES[0], "--db", db)
    con = reader(db)
    try:
        summary = export_focus(con, out)
        stored = dict(
            con.execute("SELECT BillingCurrency, sum(BilledCost) FROM line_items GROUP BY BillingCurrency").fetchall()
        )
    finally:
        con.close()
    table = pq.read_table(out)
    assert table.column_names == list(FOCUS_12_COLUMNS) and len(FOCUS_12_COLUMNS) == 57
    assert summary.rows == table.num_rows
    assert pa.types.is_decimal(table.schema.field("BilledCost").type)
    assert table.schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    tags = [t for t in table.column("Tags").to_pylist() if t is not None]
    assert tags and all(isinstance(json.loads(t), dict) for t in tags)
    exported: dict[str, Decimal] = {}
    for row in table.select(["BillingCurrency", "BilledCost"]).to_pylist():
        exported[row["BillingCurrency"]] = exported.get(row["BillingCurrency"], Decimal(0)) + row["BilledCost"]
    assert {c: round(v, 2) for c, v in exported.items()} == {c: round(Decimal(v), 2) for c, v in stored.items()}


def test_export_focus_refuses_a_file_that_is_not_parquet_in_one_line(tmp_path: Path) -> None:
    command = ["export-focus", "--out", str(tmp_path / "x.csv"), "--db", str(tmp_path / "x.duckdb")]
    run = subprocess.run([sys.executable, "-m", "analytics", *command], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("error: ") and len(run.stderr.strip().splitlines()) == 1
