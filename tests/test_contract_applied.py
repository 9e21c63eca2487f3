"""FOCUS 1.3's ContractApplied links cost rows to the Contract Commitment dataset: the Commitments
page shows each commitment's amount next to what was applied to it so far, and the link it used
(CommitmentDiscountId for commitments no ContractApplied names). Broken ContractApplied is refused
at ingest and, stored before that check, breaks no page."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from analytics import store
from analytics.cli import main
from analytics.commitments.contract_progress import progress
from analytics.engine import DuckDBEngine
from analytics.store import snapshots
from tests.app_fixtures import new_app
from tests.store_state import db_fingerprint

DATA = Path(__file__).parent / "data" / "contract_applied"
COSTS = DATA / "cost_and_usage.csv"
TERMS = DATA / "contract_commitment.csv"


def raw_rows() -> list[dict[str, str]]:
    with COSTS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_applied() -> tuple[dict[str, dict[str, Decimal]], dict[str, dict[str, Decimal]]]:
    """(cost by id and currency, quantity by id and unit) summed from the raw file with the csv and
    json modules and Decimal: keys in any case, Purchase rows (which state the commitment) left out."""
    cost: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    quantity: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in raw_rows():
        if not r["ContractApplied"] or r["ChargeCategory"] == "Purchase":
            continue
        for element in json.loads(r["ContractApplied"], parse_float=Decimal)["Elements"]:
            e = {k.lower(): v for k, v in element.items()}
            ident = e["contractcommitmentid"]
            if e.get("contractcommitmentappliedcost") is not None:
                cost[ident][r["BillingCurrency"]] += Decimal(e["contractcommitmentappliedcost"])
            if e.get("contractcommitmentappliedquantity") is not None:
                quantity[ident][e["contractcommitmentappliedunit"]] += Decimal(e["contractcommitmentappliedquantity"])
    return cost, quantity


def named_by_contract_applied() -> set[str]:
    return {
        {k.lower(): v for k, v in e.items()}["contractcommitmentid"]
        for r in raw_rows()
        if r["ContractApplied"]
        for e in json.loads(r["ContractApplied"])["Elements"]
    }


def ingested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store holding the cost file and the contract commitment file, loaded by the command."""
    db = tmp_path / "store.duckdb"
    assert main(["ingest", "--db", str(db), str(COSTS), str(TERMS)]) == 0
    capsys.readouterr()
    return db


@pytest.fixture
def loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return ingested(tmp_path, capsys)


def shown(db: Path) -> dict[str, dict[str, object]]:
    con = store.reader(db)
    try:
        return {str(r["commitment_id"]): r for r in progress(DuckDBEngine(con)).to_dict("records")}
    finally:
        con.close()


def test_each_contract_commitment_shows_the_sum_of_the_contract_applied_elements_naming_it(loaded: Path) -> None:
    rows = shown(loaded)
    cost, quantity = expected_applied()
    for ident in ("EDP-1", "EDP-SVC", "HOURS-1"):
        assert rows[ident]["link"] == "ContractApplied"
        assert rows[ident]["applied_cost"] == dict(cost.get(ident, {}))
        assert rows[ident]["applied_quantity"] == dict(quantity.get(ident, {}))
    assert set(rows["EDP-1"]["applied_cost"]) == {"USD", "EUR"}  # a currency is never added to another
    assert rows["EDP-1"]["share"] == pytest.approx(float(cost["EDP-1"]["USD"] / Decimal("500000")))
    assert rows["HOURS-1"]["share"] == pytest.approx(float(quantity["HOURS-1"]["compute_hours"] / Decimal(100000)))


def test_the_purchase_row_stating_a_commitments_value_is_not_counted_as_progress(loaded: Path) -> None:
    purchase = next(r for r in raw_rows() if r["ChargeCategory"] == "Purchase")
    stated = {e["ContractCommitmentId"]: e for e in json.loads(purchase["ContractApplied"])["Elements"]}
    assert stated["EDP-1"]["ContractCommitmentAppliedCost"] == 500000  # FOCUS Scenario 1: the whole value
    applied = shown(loaded)["EDP-1"]["applied_cost"]
    assert isinstance(applied, dict) and applied["USD"] < Decimal(100)


def test_a_commitment_no_contract_applied_names_is_linked_by_its_commitment_discount_id(loaded: Path) -> None:
    rows = shown(loaded)
    assert "SP-1" not in named_by_contract_applied()
    expected = sum(
        (
            Decimal(r["EffectiveCost"])
            for r in raw_rows()
            if r["CommitmentDiscountId"] == "SP-1" and r["ChargeCategory"] == "Usage"
        ),
        Decimal(0),
    )
    assert rows["SP-1"]["link"] == "CommitmentDiscountId"
    assert rows["SP-1"]["applied_cost"] == {"USD": expected}
    assert rows["IDLE-1"]["link"] == "not linked" and rows["IDLE-1"]["applied_cost"] == {}
    assert "GHOST" not in rows  # named by a row, but not a term of the loaded dataset


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{not json", "is not JSON"),
        ('{"Elements": 5}', 'is not a JSON object with an "Elements" array'),
        ('[{"ContractCommitmentId": "EDP-1"}]', 'is not a JSON object with an "Elements" array'),
        ('{"Elements": [7]}', 'has an "Elements" item that is not an object with properties'),
        ('{"Elements": [{"ContractId": "C-1", "ContractCommitmentAppliedCost": 1}]}', "without a ContractCommitmentId"),
        ('{"Elements": [{"ContractCommitmentId": "EDP-1", "ContractCommitmentAppliedCost": "lots"}]}', "not a number"),
    ],
)
def test_a_file_with_broken_contract_applied_is_refused_naming_file_row_and_column_and_nothing_changes(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, problem: str
) -> None:
    rows = raw_rows()
    rows[4]["ContractApplied"] = value  # data row 5 (line 6 of the file)
    bad = tmp_path / "broken.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = db_fingerprint(loaded)
    assert main(["ingest", "--db", str(loaded), str(bad)]) != 0
    err = capsys.readouterr().err
    assert f"{bad}: row 5, ContractApplied: " in err and problem in err
    assert "Traceback" not in err
    assert db_fingerprint(loaded) == before


def test_contract_applied_stored_before_ingest_checked_it_breaks_neither_the_figures_nor_the_page(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def figures() -> dict[str, tuple[object, ...]]:
        return {k: (r["applied_cost"], r["applied_quantity"], r["link"]) for k, r in shown(loaded).items()}

    good = figures()
    with store.writing(loaded) as con:
        for resource, text in (("i-5", "{not json"), ("i-6", '{"Elements": {"a": 1}}')):
            con.execute("UPDATE line_items SET ContractApplied = ? WHERE ResourceId = ?", [text, resource])
    assert figures() == good
    monkeypatch.setenv("FINOPS_DB", str(loaded))
    at = new_app({"from": "2026-05-01", "to": "2026-05-31"}, page="app_pages/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Linked by" in d.value.columns for d in at.dataframe)


def test_the_commitments_page_shows_each_terms_amount_next_to_what_was_applied_and_which_link(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(loaded))
    at = new_app({"from": "2026-05-01", "to": "2026-05-31"}, page="app_pages/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    [table] = [d.value.set_index("Commitment") for d in at.dataframe if "Linked by" in d.value.columns]
    cost, _ = expected_applied()
    edp = table.loc["EDP-1"]
    assert edp["Committed"] == "$500,000.00"
    assert edp["Applied so far"] == f"${cost['EDP-1']['USD']:,.2f}; €{cost['EDP-1']['EUR']:,.2f}"
    assert edp["Term (months)"] == 12 and str(edp["End (exclusive)"]) == "2027-05-01"
    assert edp["Applied %"] == pytest.approx(float(cost["EDP-1"]["USD"] / 500000 * 100))
    assert table.loc["HOURS-1", "Committed"] == "100,000 compute_hours"
    assert table.loc["HOURS-1", "Applied so far"] == "0.5 compute_hours"
    assert table.loc["SP-1", "Linked by"].startswith("CommitmentDiscountId")
    assert table.loc["EDP-SVC", "Linked by"] == "ContractApplied"
    half_up = cost["EDP-SVC"]["USD"].quantize(Decimal("0.01"), ROUND_HALF_UP)  # 15.125 is 15.13, to the cent
    assert table.loc["EDP-SVC", "Applied so far"] == f"${half_up:,.2f}"
    assert table.loc["IDLE-1", "Applied so far"] == "nothing yet"
    caption = " ".join(c.value for c in at.caption)
    assert "3 through ContractApplied; 1 through CommitmentDiscountId" in caption


def test_a_scoped_reader_sees_the_contract_terms_its_rows_apply_to_and_only_their_part_of_the_progress(
    loaded: Path,
) -> None:
    euro = [r for r in raw_rows() if r["BillingCurrency"] == "EUR"]
    [element] = json.loads(euro[0]["ContractApplied"], parse_float=Decimal)["Elements"]
    con = store.scoped_reader(loaded, store.generation(loaded), [[("ProviderName", ("Microsoft",))]])
    try:
        rows = {str(r["commitment_id"]): r for r in progress(DuckDBEngine(con)).to_dict("records")}
    finally:
        con.close()
    assert set(rows) == {"EDP-1"}
    assert rows["EDP-1"]["applied_cost"] == {"EUR": element["ContractCommitmentAppliedCost"]}


def test_a_scoped_reader_counts_no_contract_applied_of_a_shared_pool_split_onto_it(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pooled row's ContractApplied states the whole row's use of a commitment; each owner's share
    carries it too, so counting it would give every team the whole of it."""
    rules = tmp_path / "allocation.yaml"
    rules.write_text(
        "shared_costs:\n  - name: Azure\n    when: {ServiceProviderName: [Microsoft]}\n"
        "    to: SubAccountName\n    split: even\n",
        encoding="utf-8",
    )
    assert main(["allocate", "--db", str(loaded), "--rules", str(rules)]) == 0
    capsys.readouterr()
    expected = defaultdict(Decimal)
    for r in raw_rows():
        if r["SubAccountName"] == "data" and r["ContractApplied"] and r["ChargeCategory"] != "Purchase":
            for element in json.loads(r["ContractApplied"], parse_float=Decimal)["Elements"]:
                e = {k.lower(): v for k, v in element.items()}
                if e.get("contractcommitmentappliedcost") is not None:
                    expected[e["contractcommitmentid"]] += Decimal(e["contractcommitmentappliedcost"])
    con = store.scoped_reader(loaded, store.generation(loaded), [[("SubAccountName", ("data",))]])
    try:
        pooled = con.execute("SELECT count(*) FROM alloc_line_items WHERE x_Shared").fetchone()
        rows = {str(r["commitment_id"]): r for r in progress(DuckDBEngine(con)).to_dict("records")}
    finally:
        con.close()
    assert pooled and pooled[0] == 1  # data's share of the Microsoft row
    assert expected and all(set(rows[i]["applied_cost"]) == {"USD"} for i in expected)
    assert {i: rows[i]["applied_cost"]["USD"] for i in expected} == dict(expected)
    assert all("EUR" not in r["applied_cost"] for r in rows.values())
    assert shown(loaded)["EDP-1"]["applied_cost"]["EUR"] == sum(
        Decimal(e["ContractCommitmentAppliedCost"])
        for r in raw_rows()
        if r["BillingCurrency"] == "EUR"
        for e in json.loads(r["ContractApplied"], parse_float=Decimal)["Elements"]
    )


def test_a_redelivered_period_replaces_its_applied_amounts_and_removing_it_takes_them_away(
    loaded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The applied amounts are summed once per source when it is stored; a later delivery of the same
    period replaces them, as it replaces the line items, and a removal takes them with the rows."""
    rows = raw_rows()
    for r in rows:
        if r["ContractApplied"]:
            body = json.loads(r["ContractApplied"], parse_float=Decimal)
            for element in body["Elements"]:
                for key in [k for k in element if k.lower() == "contractcommitmentappliedcost"]:
                    element[key] = Decimal(element[key]) * 2
            r["ContractApplied"] = json.dumps(body, default=str)
    again = tmp_path / "cost_and_usage_restated.csv"
    with again.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["ingest", "--db", str(loaded), str(again)]) == 0
    cost, _ = expected_applied()
    got = shown(loaded)
    assert got["EDP-1"]["applied_cost"] == {c: 2 * v for c, v in cost["EDP-1"].items()}
    assert main(["remove", "--db", str(loaded), str(again), "--yes"]) == 0
    capsys.readouterr()
    assert shown(loaded)["EDP-1"]["applied_cost"] == {}
    con = store.reader(loaded)
    try:
        assert con.execute("SELECT count(*) FROM contract_applied").fetchone() == (0,)
    finally:
        con.close()


def test_a_store_written_before_the_applied_sums_gets_them_when_it_is_upgraded(loaded: Path) -> None:
    current = snapshots.current(loaded)
    assert current is not None
    old = duckdb.connect(str(current.file))  # made to look as schema 1 left it
    try:
        old.execute("DROP TABLE contract_applied")
        old.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        old.execute("CHECKPOINT")
    finally:
        old.close()
    cost, quantity = expected_applied()
    got = shown(loaded)  # the reader upgrades the store first
    assert store.generation(loaded) == current.generation + 1
    for ident, by_currency in cost.items():
        if ident in got:
            assert got[ident]["applied_cost"] == dict(by_currency)
    assert got["HOURS-1"]["applied_quantity"] == dict(quantity["HOURS-1"])
