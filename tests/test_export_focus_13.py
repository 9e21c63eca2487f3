"""`export-focus --focus-version 1.3`: lines of shared-cost pools split per owner into the 1.3
Allocated* columns. Every total here is summed independently from the raw `line_items` rows
(fetched with plain SQL, added with Decimal), never with the export's own SQL."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import load_rules, parse_rules
from analytics.export import export_focus
from analytics.export_split import SPLIT_AMOUNTS, SPLIT_QUANTITIES
from analytics.schema import FOCUS_12_COLUMNS
from tests.test_focus_conformance import SAMPLE_ARGS, SAMPLE_CRITERIA, assert_only_documented_failures, cli, validate
from tests.tools import require_validator

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_RULES = ROOT / "data" / "allocation.yaml"  # its Support pool is proportional
SPEC_13 = ROOT / "docs" / "reference" / "focus-spec" / "1.3" / "cost_and_usage_columns.csv"
ALLOCATED = [
    "AllocatedMethodId",
    "AllocatedMethodDetails",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
]
SPLIT = [*SPLIT_AMOUNTS, *SPLIT_QUANTITIES]
# What identifies an origin line: every stored column but the split metrics (dimensions, unit prices, Tags).
KEY = [c for c in FOCUS_12_COLUMNS if c not in SPLIT]
SUPPORT = "AWS Support (Business)"
THREE_POOLS = """
dimensions:
  business_unit:
    rules:
      - value: Commerce
        when: {"tag:team": [payments, checkout, catalog, search]}
      - value: Data
        when: {"tag:team": [data-platform, analytics, ml, recommendations]}
    default: Unallocated
shared_costs:
  - name: Support
    when: {ServiceName: [AWS Support (Business)]}
    to: alloc:business_unit
    split: proportional
  - name: Network
    when: {ServiceName: [Virtual Network, VPN Gateway]}
    to: tag:team
    split: even
  - name: Security
    when: {ServiceName: [AWS Security Hub, Security Command Center]}
    to: alloc:business_unit
    split: fixed
    weights: {Commerce: 50, Data: 30, Unallocated: 20}
"""


@pytest.fixture
def shipped(sample: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The sample with the shipped rules applied (the test session runs without rules)."""
    apply_rules(sample, load_rules(SHIPPED_RULES))
    return sample


def export13(con: duckdb.DuckDBPyConnection, out: Path) -> list[dict[str, Any]]:
    summary = export_focus(con, out, version="1.3")
    rows: list[dict[str, Any]] = pq.read_table(out).to_pylist()
    assert summary.rows == len(rows)
    return rows


def raw_rows(
    con: duckdb.DuckDBPyConnection, where: str = "", params: list[object] | None = None
) -> list[dict[str, Any]]:
    columns = [*KEY, *SPLIT]
    quoted = ", ".join(f'"{c}"' for c in columns)
    cur = con.execute(f"SELECT {quoted} FROM line_items {where}", params or [])
    return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]


def key_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        row[c].replace(tzinfo=None) if c.startswith(("ChargePeriod", "BillingPeriod")) and row[c] else row[c]
        for c in KEY
    )


def totals(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per origin key: each amount summed exactly (Decimal) and each quantity summed as a float."""
    out: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {c: None for c in SPLIT})
    for row in rows:
        sums = out[key_of(row)]
        for c in SPLIT:
            if row[c] is not None:
                value = Decimal(row[c]) if c in SPLIT_AMOUNTS else float(row[c])
                sums[c] = value if sums[c] is None else sums[c] + value
    return out


def assert_ties_out(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], *where: Any) -> None:
    raw, exported = totals(raw_rows(con, *where)), totals(rows)
    assert exported.keys() == raw.keys()
    for key, want in raw.items():
        got = exported[key]
        for c in SPLIT_AMOUNTS:
            assert got[c] == want[c], (c, key)  # exactly, at the stored 12 decimals, so to the cent a fortiori
        for c in SPLIT_QUANTITIES:
            assert (got[c] is None) == (want[c] is None) and (
                got[c] is None or math.isclose(got[c], want[c], rel_tol=1e-9, abs_tol=1e-9)
            ), (c, key)


def split_rows(rows: list[dict[str, Any]], method: str | None = None) -> list[dict[str, Any]]:
    return [r for r in rows if r["AllocatedMethodId"] is not None and method in (None, r["AllocatedMethodId"])]


def test_a_split_support_line_becomes_one_row_per_receiving_owner_on_the_sample(
    shipped: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = export13(shipped, tmp_path / "out.parquet")
    owners: dict[str, set[str]] = defaultdict(set)
    weights = shipped.execute("SELECT month, owner FROM alloc_weights WHERE x_Pool = 'Support' AND w_EffectiveCost > 0")
    for month, owner in weights.fetchall():
        owners[month.strftime("%Y-%m")].add(owner)
    assert owners, "the shipped rules split Support"
    lines = shipped.execute("SELECT ChargePeriodStart FROM line_items WHERE ServiceName = ?", [SUPPORT]).fetchall()
    support = [r for r in rows if r["ServiceName"] == SUPPORT]
    assert len(support) == sum(len(owners[start.strftime("%Y-%m")]) for (start,) in lines) > len(lines) >= 2
    for row in support:
        month = row["ChargePeriodStart"].strftime("%Y-%m")
        assert row["AllocatedMethodId"] == "Support"
        assert row["AllocatedResourceName"] in owners[month]
        assert row["AllocatedResourceId"] == f"alloc:business_unit={row['AllocatedResourceName']}"
        assert json.loads(row["AllocatedTags"]) == {"finopslens/business_unit": row["AllocatedResourceName"]}
    per_line: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for row in support:
        per_line[key_of(row)].append(row["AllocatedResourceName"])
    assert len(per_line) == len(lines)
    assert all(sorted(names) == sorted(owners[key[KEY.index("ChargePeriodStart")].strftime("%Y-%m")])
               for key, names in per_line.items())  # fmt: skip


def test_split_rows_sum_to_the_origin_line_for_every_metric_on_the_sample(
    shipped: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = export13(shipped, tmp_path / "out.parquet")
    assert split_rows(rows, "Support")
    assert_ties_out(shipped, rows)
    raw = shipped.execute("SELECT sum(BilledCost) FROM line_items WHERE ServiceName = ?", [SUPPORT]).fetchall()[0][0]
    assert sum(Decimal(r["BilledCost"]) for r in split_rows(rows, "Support")) == Decimal(raw)


def test_split_rows_tie_out_with_proportional_even_and_fixed_pools(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    apply_rules(sample, parse_rules(THREE_POOLS))
    rows = export13(sample, tmp_path / "out.parquet")
    assert_ties_out(sample, rows)
    for method, split in (("Support", "proportional"), ("Network", "even"), ("Security", "fixed")):
        shares = split_rows(rows, method)
        assert shares, method
        details = [json.loads(r["AllocatedMethodDetails"])["Elements"][0] for r in shares]
        assert {d["x_Split"] for d in details} == {split}
    fixed = {r["AllocatedResourceName"]: json.loads(r["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"]
             for r in split_rows(rows, "Security")}  # fmt: skip
    assert fixed == {"Commerce": 0.5, "Data": 0.3, "Unallocated": 0.2}
    by_line = defaultdict(list)
    for r in split_rows(rows, "Network"):
        by_line[key_of(r)].append(json.loads(r["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"])
    assert all(len(set(ratios)) == 1 and math.isclose(ratios[0], 1 / len(ratios)) for ratios in by_line.values())
    assert json.loads(split_rows(rows, "Network")[0]["AllocatedTags"]).keys() == {"finopslens/team"}


def test_a_period_export_in_13_ties_out_to_the_lines_of_that_period(
    shipped: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2026, 4, 30)
    summary = export_focus(shipped, tmp_path / "april.parquet", start, end, version="1.3")
    rows = pq.read_table(tmp_path / "april.parquet").to_pylist()
    assert summary.rows == len(rows) and split_rows(rows, "Support")
    assert {r["ChargePeriodStart"].strftime("%Y-%m") for r in rows} == {"2026-04"}
    assert_ties_out(
        shipped, rows, "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?", [start, dt.date(2026, 5, 1)]
    )


def test_allocated_method_details_ratios_of_one_origin_line_sum_to_one(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    apply_rules(sample, parse_rules(THREE_POOLS))
    ratios: dict[tuple[Any, ...], float] = defaultdict(float)
    for row in split_rows(export13(sample, tmp_path / "out.parquet")):
        details = json.loads(row["AllocatedMethodDetails"])
        assert list(details) == ["Elements", "x_RulesFingerprint"] and len(details["Elements"]) == 1
        element = details["Elements"][0]
        assert all(k == "AllocatedRatio" or k.startswith("x_") for k in element)  # spec: custom keys start x_
        ratios[key_of(row)] += element["AllocatedRatio"]
    assert len(ratios) > 10 and all(math.isclose(total, 1.0, rel_tol=1e-12) for total in ratios.values())


def test_split_rows_keep_the_origin_tags_and_dimensions_and_allocated_tags_never_repeat_a_tags_key(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    apply_rules(sample, parse_rules(THREE_POOLS))
    rows = export13(sample, tmp_path / "out.parquet")
    raw_keys = {key_of(r) for r in raw_rows(sample)}
    shares = split_rows(rows)
    assert shares and all(key_of(r) in raw_keys for r in shares)  # every dimension and Tags as stored
    tagged = [r for r in shares if r["Tags"]]
    assert tagged
    for row in tagged:
        assert not set(json.loads(row["AllocatedTags"])) & set(json.loads(row["Tags"]))


def test_each_split_row_keeps_list_cost_equal_to_unit_price_times_quantity(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    apply_rules(sample, parse_rules(THREE_POOLS))
    rows = export13(sample, tmp_path / "out.parquet")
    priced = [r for r in split_rows(rows) if r["ListUnitPrice"] is not None and r["PricingQuantity"] is not None]
    assert len(priced) > 10
    for row in priced:
        product = row["ListUnitPrice"] * row["PricingQuantity"]
        assert math.isclose(float(row["ListCost"]), product, rel_tol=1e-9, abs_tol=1e-9), row


def test_unsplit_rows_are_written_once_with_the_allocated_columns_null(
    shipped: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = export13(shipped, tmp_path / "out.parquet")
    stored = shipped.execute("SELECT count(*) FROM line_items WHERE ServiceName <> ?", [SUPPORT]).fetchall()[0][0]
    others = [r for r in rows if r["ServiceName"] != SUPPORT]
    assert len(others) == stored > 10_000
    assert all(r[c] is None for r in others for c in ALLOCATED)


def test_a_pool_with_no_owner_in_its_month_is_written_once_unsplit(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    nobody = THREE_POOLS.replace("to: tag:team", "to: tag:no-such-key")
    apply_rules(sample, parse_rules(nobody))
    rows = export13(sample, tmp_path / "out.parquet")
    network = [r for r in rows if r["ServiceName"] in ("Virtual Network", "VPN Gateway")]
    stored = sample.execute(
        "SELECT count(*) FROM line_items WHERE ServiceName IN ('Virtual Network', 'VPN Gateway')"
    ).fetchall()[0][0]
    assert len(network) == stored > 0 and all(r["AllocatedMethodId"] is None for r in network)
    assert split_rows(rows, "Security")


def test_service_and_host_provider_are_written_and_provider_and_publisher_stay(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A 1.2 source stores no ServiceProviderName: it and the host are mapped from ProviderName.
    sample.execute(
        "UPDATE line_items SET ServiceProviderName = NULL, HostProviderName = NULL WHERE ProviderName = 'Microsoft'"
    )
    rows = export13(sample, tmp_path / "out.parquet")
    microsoft = [r for r in rows if r["ProviderName"] == "Microsoft"]
    hosted = [r for r in microsoft if r["ChargeCategory"] not in ("Tax", "Adjustment")]
    assert hosted and all(r["ServiceProviderName"] == r["HostProviderName"] == "Microsoft" for r in hosted)
    assert all(r["ServiceProviderName"] == "Microsoft" for r in microsoft)
    unhosted = [r for r in microsoft if r["ChargeCategory"] in ("Tax", "Adjustment")]
    assert unhosted and all(r["HostProviderName"] is None for r in unhosted)  # 1.3: undeterminable, may be null
    marketplace = [r for r in rows if r["ServiceProviderName"] == "Houndly, Inc."]
    assert marketplace and all(
        r["ProviderName"] == "AWS" and r["PublisherName"] == "Houndly, Inc." for r in marketplace
    )
    assert all(r["ServiceProviderName"] and r["ProviderName"] and r["PublisherName"] for r in rows)
    assert "Not Applicable" not in {r["HostProviderName"] for r in rows}


def test_the_focus_13_export_has_the_65_columns_in_spec_order_typed(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export_focus(sample, tmp_path / "out.parquet", version="1.3")
    schema = pq.read_schema(tmp_path / "out.parquet")
    with SPEC_13.open(newline="") as f:
        spec = [r["ColumnId"] for r in csv.DictReader(f)]
    assert schema.names == spec and len(spec) == 65
    assert pa.types.is_decimal(schema.field("BilledCost").type)
    assert schema.field("PricingQuantity").type == pa.float64()
    assert schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    assert schema.field("AllocatedMethodDetails").type == pa.string()


def test_export_focus_version_12_is_the_default_and_unchanged(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export_focus(sample, tmp_path / "default.parquet")
    export_focus(sample, tmp_path / "v12.parquet", version="1.2")
    default, v12 = pq.read_table(tmp_path / "default.parquet"), pq.read_table(tmp_path / "v12.parquet")
    assert default.column_names == list(FOCUS_12_COLUMNS) and default.equals(v12)
    assert default.num_rows == sample.execute("SELECT count(*) FROM line_items").fetchall()[0][0]


def test_an_unknown_focus_version_is_refused_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    command = ["export-focus", "--out", str(out), "--db", str(tmp_path / "x"), "--focus-version", "1.4"]
    run = subprocess.run([sys.executable, "-m", "analytics", *command], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("error: ") and len(run.stderr.strip().splitlines()) == 1
    assert "--focus-version 1.4" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


@pytest.mark.slow
@pytest.mark.validator
def test_the_sample_focus_13_export_validates_with_only_documented_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validator = require_validator()
    monkeypatch.setenv("FINOPS_RULES", str(SHIPPED_RULES))  # the commands run with the shipped Support pool
    db, out = tmp_path / "sample.duckdb", tmp_path / "sample13.parquet"
    cli("sample", *SAMPLE_ARGS, "--db", db)
    cli("export-focus", "--out", out, "--db", db, "--focus-version", "1.3")
    table = pq.read_table(out, columns=["AllocatedMethodId"])
    assert table.column("AllocatedMethodId").null_count < table.num_rows  # split rows are in the file
    result = validate(validator, out, SAMPLE_CRITERIA)
    assert result["rows"] == table.num_rows > 10_000
    assert_only_documented_failures(result, "sample (1.3)")


VALIDATE = ROOT / "tools" / "validate_focus.py"


def run_validate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [str(require_validator()), str(VALIDATE), *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.validator
def test_validating_as_focus_13_without_a_model_stops_in_one_line_naming_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "x.parquet"
    pq.write_table(pa.table({"BilledCost": [1.0]}), data)
    run = run_validate(data, "--focus-version", "1.3", "--model-dir", tmp_path)
    assert run.returncode == 2 and run.stderr.strip() == f"error: {tmp_path}: no model-1.3*.json (FOCUS 1.3 model)"


@pytest.mark.slow
@pytest.mark.validator
def test_a_model_dropped_into_the_model_folder_is_used_offline(
    sample: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Mechanism only: the bundled 1.2 model under a 1.3 file name stands in for the official one.
    bundled = sorted(
        (ROOT / ".venv-validator").glob("lib/python3*/site-packages/focus_validator/rules/model-1.2*.json")
    )
    assert bundled
    models = tmp_path / "models"
    models.mkdir()
    (models / "model-1.3.0.9.json").write_bytes(bundled[-1].read_bytes())
    out = tmp_path / "out.parquet"
    export_focus(sample, out, version="1.3")
    run = run_validate(out, "--focus-version", "1.3", "--model-dir", models, "--criteria", "NONE", "--json")
    assert run.returncode in (0, 1), run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["focus_version"] == "1.3" and result["summary"]["rules"] > 500
    assert result["rows"] == pq.ParquetFile(out).metadata.num_rows
