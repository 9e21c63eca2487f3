"""The FOCUS 1.3 Contract Commitment dataset: loaded by flag or by its columns, exact, idempotent,
refused with one line when broken, scoped like the cost rows, and used by the Commitments inventory
in place of the estimates from purchase rows."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics import store
from analytics.cli import main
from analytics.commitments.inventory import inventory
from analytics.engine import DuckDBEngine
from tests.app_fixtures import new_app, pristine_sample
from ui.commitments import inventory_table

SAVINGS_PLAN = "arn:aws:savingsplans::400011112222:savingsplan/3c9f7a2e-5b1d-4e8a-9f0c-2d6b8e1a4c70"
CUD = "projects/kestrel-platform/regions/europe-west1/commitments/cud-n2-europe-west1-3y"
ELSEWHERE = "arn:aws:savingsplans::400011112222:savingsplan/not-in-the-cost-data"
HEADER = [
    "BillingCurrency", "ContractCommitmentCategory", "ContractCommitmentCost", "ContractCommitmentDescription",
    "ContractCommitmentId", "ContractCommitmentPeriodEnd", "ContractCommitmentPeriodStart",
    "ContractCommitmentQuantity", "ContractCommitmentType", "ContractCommitmentUnit", "ContractId",
    "ContractPeriodEnd", "ContractPeriodStart",
]  # fmt: skip
ROWS = [
    ["USD", "Spend", "131400.123456789012", "Compute Savings Plan, 3 years, no upfront", SAVINGS_PLAN,
     "2028-02-01T00:00:00Z", "2025-02-01T00:00:00Z", "", "Savings Plan", "", "contract-aws-1",
     "2028-02-01T00:00:00Z", "2025-02-01T00:00:00Z"],
    ["EUR", "Usage", "52560.5", "N2 vCPU commitment, 3 years", CUD,
     "2027-10-15T00:00:00Z", "2024-10-15T00:00:00Z", "26280", "Committed Use Discount", "vCPU-Hours",
     "contract-gcp-7", "2027-10-15T00:00:00Z", "2024-10-15T00:00:00Z"],
    ["USD", "Spend", "999.99", "A plan of another account", ELSEWHERE,
     "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "", "Savings Plan", "", "contract-aws-2",
     "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
]  # fmt: skip
STORED = (
    "SELECT ContractCommitmentId, ContractId, ContractCommitmentCategory, ContractCommitmentType, "
    "ContractCommitmentDescription, ContractCommitmentCost, ContractCommitmentQuantity, ContractCommitmentUnit, "
    "BillingCurrency, ContractCommitmentPeriodStart, ContractCommitmentPeriodEnd, ContractPeriodStart, "
    "ContractPeriodEnd FROM contract_commitments ORDER BY ContractCommitmentId"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return pristine_sample(tmp_path / "store.duckdb")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def expected(path: Path) -> list[tuple[object, ...]]:
    """The rows of a CSV file typed independently of the loader: csv module, Decimal, fromisoformat."""

    def amount(text: str) -> Decimal | None:
        return Decimal(text) if text else None

    def when(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    return sorted(
        (
            r["ContractCommitmentId"],
            r["ContractId"],
            r["ContractCommitmentCategory"],
            r["ContractCommitmentType"],
            r["ContractCommitmentDescription"],
            amount(r["ContractCommitmentCost"]),
            amount(r["ContractCommitmentQuantity"]),
            r["ContractCommitmentUnit"] or None,
            r["BillingCurrency"],
            when(r["ContractCommitmentPeriodStart"]),
            when(r["ContractCommitmentPeriodEnd"]),
            when(r["ContractPeriodStart"]),
            when(r["ContractPeriodEnd"]),
        )  # fmt: skip
        for r in records
    )


def stored(db: Path) -> list[tuple[object, ...]]:
    con = store.reader(db)
    try:
        return con.execute(STORED).fetchall()
    finally:
        con.close()


@pytest.fixture
def loaded(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    file = write_csv(tmp_path / "contract_commitment.csv", ROWS)
    assert main(["ingest", "--db", str(db), "--dataset", "contract-commitment", str(file)]) == 0
    capsys.readouterr()
    yield db


def test_a_contract_commitment_csv_given_by_flag_is_stored_with_its_exact_amounts_and_dates(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_csv(tmp_path / "terms.csv", ROWS)
    assert main(["ingest", "--db", str(db), "--dataset", "contract-commitment", str(file)]) == 0
    assert "3 of 3 rows loaded as contract-commitment" in capsys.readouterr().out
    assert stored(db) == expected(file)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_a_file_with_the_contract_commitment_columns_is_recognised_without_the_flag(
    db: Path, tmp_path: Path, suffix: str
) -> None:
    source = write_csv(tmp_path / "source.csv", ROWS)
    file = tmp_path / f"detected{suffix}"
    if suffix == ".parquet":
        pq.write_table(_typed_table(source), file)
    else:
        write_csv(file, ROWS)
    assert main(["ingest", "--db", str(db), str(file)]) == 0
    assert stored(db) == expected(source)


def _typed_table(source: Path) -> pa.Table:
    """The CSV's rows as a Parquet exporter would type them: decimals and UTC timestamps."""
    with source.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    columns: dict[str, pa.Array] = {}
    for name in HEADER:
        values = [r[name] or None for r in records]
        if name in ("ContractCommitmentCost", "ContractCommitmentQuantity"):
            columns[name] = pa.array([Decimal(v) if v else None for v in values], pa.decimal128(30, 12))
        elif name.endswith(("Start", "End")):
            stamps = [dt.datetime.fromisoformat(v) for v in values if v]
            columns[name] = pa.array(stamps, pa.timestamp("us", tz="UTC"))
        else:
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def test_loading_the_same_file_twice_stores_each_commitment_once(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "contract_commitment.csv"
    before = store.generation(loaded)
    assert main(["ingest", "--db", str(loaded), str(file)]) == 0
    assert "already loaded, unchanged" in capsys.readouterr().out
    assert stored(loaded) == expected(file)
    assert store.generation(loaded) >= before


def test_a_newer_delivery_replaces_the_stored_terms_of_its_commitments_and_keeps_the_others(
    loaded: Path, tmp_path: Path
) -> None:
    newer = [list(ROWS[0])]
    newer[0][2] = "140000.01"
    file = write_csv(tmp_path / "newer.csv", newer)
    assert main(["ingest", "--db", str(loaded), str(file)]) == 0
    want = {row[0]: row for row in expected(tmp_path / "contract_commitment.csv")} | {
        row[0]: row for row in expected(file)
    }
    assert stored(loaded) == sorted(want.values())
    assert dict((r[0], r[5]) for r in stored(loaded))[SAVINGS_PLAN] == Decimal("140000.01")


def _broken(rows: list[list[str]], line: int, column: str, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[line - 2][HEADER.index(column)] = value
    return out


@pytest.mark.parametrize(
    ("line", "column", "value", "problem"),
    [
        (3, "ContractCommitmentPeriodEnd", "2027-13-45", "is not a date/time"),
        (3, "ContractCommitmentQuantity", "-5", "is negative"),
        (3, "ContractCommitmentQuantity", "", "empty on a Usage commitment"),
        (2, "ContractCommitmentCost", "lots", "is not a decimal number"),
        (4, "ContractCommitmentId", "", "must not be null"),
        (4, "ContractCommitmentCategory", "Spending", "is not one of Spend, Usage"),
        (2, "ContractCommitmentPeriodEnd", "2025-01-01T00:00:00Z", "is not after ContractCommitmentPeriodStart"),
    ],
)
def test_a_broken_row_is_refused_with_one_line_naming_file_line_and_column_and_nothing_is_stored(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: int, column: str, value: str, problem: str
) -> None:
    before, generation = stored(loaded), store.generation(loaded)
    changed = [list(r) for r in ROWS]
    changed[0][2] = "1.00"  # a good change on line 2 that must not be stored either
    file = write_csv(tmp_path / "broken.csv", _broken(changed, line, column, value))
    assert main(["ingest", "--db", str(loaded), "--dataset", "contract-commitment", str(file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {file}, line {line}, {column}: ") and problem in err[0]
    assert "Traceback" not in err[0]
    assert stored(loaded) == before
    assert store.generation(loaded) >= generation


def test_a_file_missing_a_mandatory_column_is_refused_by_flag_and_not_taken_for_the_dataset_without_it(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored(loaded)
    header = [c for c in HEADER if c != "ContractPeriodEnd"]
    rows = [[v for c, v in zip(HEADER, r, strict=True) if c != "ContractPeriodEnd"] for r in ROWS]
    file = write_csv(tmp_path / "short.csv", rows, header)
    assert main(["ingest", "--db", str(loaded), "--dataset", "contract-commitment", str(file)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {file}: Contract Commitment column ContractPeriodEnd missing; nothing was stored"
    )
    assert main(["ingest", "--db", str(loaded), str(file)]) == 2  # not detected: read as cost data, refused
    assert "not a cost export" in capsys.readouterr().err
    assert stored(loaded) == before


def test_the_inventory_takes_a_listed_commitments_dates_and_amounts_from_the_dataset_and_estimates_the_others(
    db: Path, tmp_path: Path
) -> None:
    def items() -> dict[str, dict[str, object]]:
        con = store.reader(db)
        try:
            frame = inventory(DuckDBEngine(con))
        finally:
            con.close()
        # An empty cell of an object column reads as NaN or None: both are "not stated".
        return {str(r["id"]): {k: None if _missing(v) else v for k, v in r.items()} for r in frame.to_dict("records")}

    estimated = items()
    file = write_csv(tmp_path / "terms.csv", ROWS[:2])
    assert main(["ingest", "--db", str(db), str(file)]) == 0
    stated = items()
    by_id = {row[0]: row for row in expected(file)}
    for key in (SAVINGS_PLAN, CUD):
        row, want = stated[key], by_id[key]
        assert (row["start"], row["estimated_end"]) == (want[9], want[10])
        assert row["end_basis"] == row["terms_from"] == "contract dataset"
        assert (row["contract_cost"], row["contract_currency"]) == (want[5], want[8])
        assert (row["contract_quantity"], row["contract_unit"]) == (want[6], want[7])
        assert row["term_months"] == 36
        assert estimated[key]["estimated_end"] != want[10]  # the estimate was something else
    others = set(stated) - {SAVINGS_PLAN, CUD}
    assert others and ELSEWHERE not in stated
    for key in others:
        assert stated[key]["terms_from"] != "contract dataset" and stated[key]["contract_cost"] is None
        for column in ("start", "estimated_end", "term_months", "end_basis"):
            assert stated[key][column] == estimated[key][column]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def test_the_commitments_table_says_where_each_commitments_terms_came_from(loaded: Path) -> None:
    con = store.reader(loaded)
    try:
        table = inventory_table(inventory(DuckDBEngine(con)), "USD").set_index("Id")
    finally:
        con.close()
    assert table.loc[SAVINGS_PLAN, "Terms from"] == "contract dataset"
    assert table.loc[SAVINGS_PLAN, "Committed (contract)"] == "$131,400.12"
    assert table.loc[CUD, "Committed (contract)"] == "€52,560.50; 26,280 vCPU-Hours"
    assert table.loc[SAVINGS_PLAN, "Start"] == dt.date(2025, 2, 1)
    others = table.drop(index=[SAVINGS_PLAN, CUD])
    assert set(others["Terms from"]) <= {"estimated from purchases", "estimated from the name", "unknown"}
    assert set(others["Committed (contract)"]) == {""}


def test_a_scoped_reader_sees_only_the_contract_terms_of_commitments_its_rows_use(loaded: Path) -> None:
    plain = store.reader(loaded)
    try:
        aws_ids = {
            r[0]
            for r in plain.execute(
                "SELECT DISTINCT CommitmentDiscountId FROM line_items WHERE ProviderName = 'AWS' "
                "AND CommitmentDiscountId IS NOT NULL"
            ).fetchall()
        }
        everything = {r[0] for r in plain.execute("SELECT ContractCommitmentId FROM contract_commitments").fetchall()}
    finally:
        plain.close()
    assert SAVINGS_PLAN in aws_ids and CUD not in aws_ids
    con = store.scoped_reader(loaded, store.generation(loaded), [[("ProviderName", ("AWS",))]])
    try:
        seen = {r[0] for r in con.execute("SELECT ContractCommitmentId FROM contract_commitments").fetchall()}
    finally:
        con.close()
    assert seen == everything & aws_ids == {SAVINGS_PLAN}


def test_a_store_without_the_table_still_shows_its_commitments_and_gets_the_table_on_its_next_write(
    db: Path,
) -> None:
    with store.writing(db) as con:
        con.execute("DROP TABLE contract_commitments")
    con = store.reader(db)
    try:
        assert not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'contract_commitments'"
        ).fetchone()[0]
        assert set(inventory(DuckDBEngine(con))["terms_from"]) != {"contract dataset"}
    finally:
        con.close()
    scoped = store.scoped_reader(db, store.generation(db), [[("ProviderName", ("AWS",))]])
    try:
        assert scoped.execute("SELECT count(*) FROM line_items").fetchone()[0] > 0
    finally:
        scoped.close()
    with store.writing(db):
        pass
    assert stored(db) == []


def test_the_commitments_page_shows_the_stated_terms_next_to_the_estimated_ones(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(loaded))
    at = new_app({"period": "last_90_days"}, page="app_pages/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [d.value.set_index("Id") for d in at.dataframe if "Terms from" in d.value.columns]
    [shown] = [t for t in tables if SAVINGS_PLAN in t.index]  # Today's inventory; none expires in the horizon
    assert shown.loc[SAVINGS_PLAN, "Terms from"] == shown.loc[CUD, "Terms from"] == "contract dataset"
    assert shown.loc[SAVINGS_PLAN, "Estimated end"] == dt.date(2028, 2, 1)
    assert shown.loc[CUD, "Committed (contract)"] == "€52,560.50; 26,280 vCPU-Hours"
    others = shown.drop(index=[SAVINGS_PLAN, CUD])
    assert len(others) == 2 and "contract dataset" not in set(others["Terms from"])
