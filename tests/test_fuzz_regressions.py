"""Failures the ingest fuzz (tests/test_fuzz_ingest.py) found, each kept as a small named case: the
file is written here from scratch, and the docstring says which fuzz case found it."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.store import reader
from tests.focus_rows import row, write_csv
from tests.fuzz_checks import UNFORESEEN, Outcome, attempt, resident_store
from tests.fuzz_mutations import _oci as oci_table
from tests.fuzz_mutations import _snake as snake
from tests.realdata import REALDATA
from tests.store_state import copy_store

AZURE_MCA = Path(__file__).parent / "data" / "azure" / "v2-camel-mca.csv"


@pytest.fixture(scope="module")
def resident(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resident_store(tmp_path_factory.mktemp("fuzz-regressions"))


def _attempt(path: Path, resident: Path, folder: Path) -> Outcome:
    db = folder / "store.duckdb"
    copy_store(resident, db)
    return attempt(path, db)


def _csv_total(path: Path, column: str, encoding: str = "utf-8-sig") -> tuple[Decimal, int]:
    """Σ `column` and the row count, read with the csv module in strict mode."""
    with path.open(encoding=encoding, newline="") as handle:
        records = list(csv.DictReader(handle, strict=True))
    return sum((Decimal(r[column]) for r in records if r[column]), Decimal(0)), len(records)


def test_a_focus_csv_with_a_nul_character_in_a_text_field_loads_with_its_totals(resident: Path, tmp_path: Path) -> None:
    """Found by the fuzz (`FINOPS_FUZZ_CASES=1000 pytest tests/test_fuzz_ingest.py -n 0 -k seed921-`:
    real-gcp, odd_text put '\\x00' into a text field, CRLF endings; also gen-focus-csv and gen-cur2-csv
    cases): refused as "not a CSV or Parquet file (binary content)" although Python's csv module reads
    it with strict=True, which issue 13 item 5 says must load."""
    path = write_csv(tmp_path / "nul.csv", [row(ChargeDescription="before\x00after"), row(BilledCost="3")])
    total, rows = _csv_total(path, "BilledCost")
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "loaded", outcome.message
    assert (outcome.total, outcome.rows) == (total, rows)


def test_an_azure_mca_export_with_cr_only_line_endings_loads_with_its_totals(resident: Path, tmp_path: Path) -> None:
    """Found by the fuzz once (seed2: gen-azure-mca, CR-only line endings) while the ingest path was
    being changed; kept because issue 13 item 5 names CR-only files among those that must load."""
    path = tmp_path / "mca-cr.csv"
    text = AZURE_MCA.read_bytes().decode("utf-8-sig")
    path.write_bytes("\r".join(text.splitlines()).encode() + b"\r")
    total, rows = _csv_total(AZURE_MCA, "costInBillingCurrency")
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "loaded", outcome.message
    assert (outcome.total.quantize(Decimal("0.01")), outcome.rows) == (total.quantize(Decimal("0.01")), rows)


def test_a_focus_json_lines_file_with_tags_as_an_object_keeps_its_tags(resident: Path, tmp_path: Path) -> None:
    """Found while building the fuzz's JSON-lines oracle (gen-focus-jsonl writes Tags as a JSON
    object, as a JSON export would): the rows load, but the object is flattened into `Tags.team`
    and `Tags.env` columns that the FOCUS reader ignores ("ignored columns that are neither FOCUS
    nor x_-prefixed"), so every tag is silently dropped."""
    records = [dict(row(BilledCost="4"), Tags={"team": "web", "env": "prod"}), dict(row(BilledCost="6"), Tags={})]
    path = tmp_path / "tags.jsonl"
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if v is not None}) for r in records) + "\n")
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "loaded", outcome.message
    assert (outcome.total, outcome.rows) == (Decimal(10), 2)
    con = reader(tmp_path / "store.duckdb")
    try:
        tags = con.execute(
            "SELECT t.TagKey, t.TagValue FROM line_items r JOIN tag_sets t ON t.x_TagSetId = r.x_TagSetId "
            "WHERE r.x_SourceFile = ? ORDER BY 1",
            [str(path)],
        ).fetchall()
    finally:
        con.close()
    assert tags == [("env", "prod"), ("team", "web")]


GCP_EXPORT = REALDATA / "gcp" / "billing-export-resource-2022-08.csv"


def _gcp_with(folder: Path, column: str, value: str) -> Path:
    with GCP_EXPORT.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    records[0][column] = value
    path = folder / "gcp-export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


BIG_NUMBER = '{"n": ' + "9" * 5000 + "}"
DEEP = '{"a": ' * 5000 + '"deep"' + "}" * 5000


@pytest.mark.parametrize("column", ["labels", "system_labels", "project.labels", "credits"])
@pytest.mark.parametrize("value", [BIG_NUMBER, DEEP], ids=["a-5000-digit-number", "nested-5000-deep"])
def test_a_gcp_array_column_that_cannot_be_read_refuses_the_file_naming_the_column(
    resident: Path, tmp_path: Path, column: str, value: str
) -> None:
    """Found by the fuzz (`FINOPS_FUZZ_CASES=1600 pytest tests/test_fuzz_ingest.py -n 0 -k "seed593- or
    seed1536-"`: real-gcp with a 5000-digit number in `credits`; real-gcp with `system_labels` nested
    100,000 deep); every GCP array column fails the same way. Ingest's last-resort message "could not be
    loaded (ValueError: Exceeds the limit (4300 digits) ...)" / "(RecursionError: ...)" names neither
    row nor column. Issue 13 item 4: a per-file refusal naming the file and the column, as the FOCUS
    and Azure readers already do for Tags. Labels read as plain text would do as well, when the
    totals hold; credits are money, so those must be refused."""
    path = _gcp_with(tmp_path, column, value)
    outcome = _attempt(path, resident, tmp_path)
    if outcome.status == "loaded" and column != "credits":
        with path.open(encoding="utf-8", newline="") as handle:
            expected = sum((Decimal(r["cost"]) for r in csv.DictReader(handle)), Decimal(0))
        assert outcome.total.quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))
        return
    assert outcome.status == "refused" and not outcome.store_changed
    assert str(path) in outcome.message and "\n" not in outcome.message
    assert UNFORESEEN not in outcome.message, outcome.message
    assert column in outcome.message


def _parquet(folder: Path, name: str, source: Path, money: str, first: float | None = None, limit: int = 60) -> Path:
    """`source`'s rows as Parquet: `money` typed DOUBLE (its first value replaced by `first` if given),
    every other column text, as a typed export writes them."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))[:limit]
    columns = {}
    for key in records[0]:
        values = [r[key] or None for r in records]
        if key == money:
            amounts = [None if v is None else float(v) for v in values]
            if first is not None:
                amounts[0] = first
            columns[key] = pa.array(amounts, pa.float64())
        else:
            columns[key] = pa.array(values, pa.string())
    path = folder / name
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize(
    ("source", "money"),
    [
        pytest.param(REALDATA / "azure" / "ea-actual-small.csv", "Cost", id="azure-actual"),
        pytest.param(REALDATA / "azure" / "ea-actual-anonymous-cad.csv", "CostInBillingCurrency", id="azure-ea-cad"),
    ],
)
def test_an_azure_export_in_parquet_with_a_typed_cost_column_loads_with_its_totals(
    resident: Path, tmp_path: Path, source: Path, money: str
) -> None:
    """Found by the fuzz's Parquet twins of the Azure and OCI bases (the same rows, the money column
    typed DOUBLE as a typed export writes it; default cases seed32, seed49 for Azure, seed10, seed33
    for OCI, and the unmutated base files): refused with the last-resort message "could
    not be loaded (BinderException: ... 'trim(DOUBLE)' ...)". The all-text Parquet loads; FOCUS, CUR
    and GCP Parquet with typed money load too."""
    path = _parquet(tmp_path, "azure.parquet", source, money)
    with source.open(encoding="utf-8-sig", newline="") as handle:
        expected = sum((Decimal(r[money]) for r in list(csv.DictReader(handle))[:60] if r[money]), Decimal(0))
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "loaded", outcome.message
    assert outcome.total.quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


def test_an_oci_cost_report_in_parquet_with_a_typed_cost_column_loads_with_its_totals(
    resident: Path, tmp_path: Path
) -> None:
    """As above, for OCI (cost/myCost typed DOUBLE): refused with the same BinderException."""
    source = tmp_path / "oci.csv"
    table = oci_table()
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.header)
        writer.writerows(table.rows)
    path = _parquet(tmp_path, "reports_cost-parquet_0000000001.parquet", source, "cost/myCost")
    expected = sum((Decimal(str(r[table.header.index("cost/myCost")])) for r in table.rows), Decimal(0))
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "loaded", outcome.message
    assert outcome.total.quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), 1e300, 1.2345678901234568e29], ids=str)
@pytest.mark.parametrize("layout", ["legacy", "cur2"])
def test_a_cur_parquet_cost_that_is_no_storable_amount_is_refused_naming_row_and_column(
    resident: Path, tmp_path: Path, amount: float, layout: str
) -> None:
    """Found by the fuzz (`FINOPS_FUZZ_CASES=1400 pytest tests/test_fuzz_ingest.py -n 0 -k "seed624- or
    seed717- or seed856- or seed1368-"`: gen-cur2-parquet with NaN, 1e26, 1e300 and 1.2e29 in
    line_item_unblended_cost): "could not be loaded (ConversionException: Conversion Error: Could not
    cast value nan to DECIMAL(38,12) ...)", ingest's last-resort wording with no row. Issue 13 item
    4 asks for a refusal naming file, column and row, as FOCUS Parquet already gives ("row 2,
    BilledCost: 'nan' is not a finite number")."""
    cur = REALDATA / "aws-cur" / "cur-legacy-anonymous.csv"
    source = cur
    money = "lineItem/UnblendedCost"
    if layout == "cur2":
        source, money = _snake_copy(tmp_path, cur), "line_item_unblended_cost"
    path = _parquet(tmp_path, f"{layout}.parquet", source, money, first=amount)
    outcome = _attempt(path, resident, tmp_path)
    assert outcome.status == "refused" and not outcome.store_changed, outcome
    assert str(path) in outcome.message and "\n" not in outcome.message
    assert UNFORESEEN not in outcome.message, outcome.message
    assert (money in outcome.message or "BilledCost" in outcome.message) and "row 1" in outcome.message


def _snake_copy(folder: Path, cur: Path) -> Path:
    with cur.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    path = folder / "cur2.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[snake(h) for h in rows[0]], *rows[1:61]])
    return path
