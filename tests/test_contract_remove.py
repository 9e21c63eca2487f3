"""A loaded Contract Commitment file is a source like the cost files: `sources` and the Data page
list it with its dataset, and `remove` and the Data page remove it, whole and audited; a scoped
reader lists it only when it sees some of its terms."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from analytics import audit, store
from analytics.cli import main
from analytics.engine import DuckDBEngine
from analytics.sources import list_sources
from tests.app_fixtures import new_app
from tests.test_contract_applied import COSTS, TERMS, ingested


@pytest.fixture
def loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return ingested(tmp_path, capsys)


def commitments_in(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return len(list(csv.DictReader(handle)))


def stored(db: Path, sql: str) -> int:
    con = store.reader(db)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_sources_lists_a_contract_commitment_file_with_its_dataset_and_commitment_count(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sources", "--db", str(loaded)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"contract-1: {TERMS} [contract-commitment] {commitments_in(TERMS)} contract commitments" in lines[-1]
    assert main(["sources", "--db", str(loaded), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["dataset"]) for e in entries] == [(1, "cost-and-usage"), ("contract-1", "contract-commitment")]
    loaded_at = dt.datetime.fromisoformat(entries[1]["ingested_at"])
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - loaded_at) < dt.timedelta(minutes=5)


@pytest.mark.parametrize("reference", ["contract-1", "contract_commitment.csv"])
def test_remove_deletes_the_contract_files_commitments_keeps_the_cost_rows_and_is_audited(
    loaded: Path, capsys: pytest.CaptureFixture[str], audit_log: Path, reference: str
) -> None:
    line_items = stored(loaded, "SELECT count(*) FROM line_items")
    assert stored(loaded, "SELECT count(*) FROM contract_commitments") == commitments_in(TERMS)
    assert main(["remove", "--db", str(loaded), reference, "--yes"]) == 0
    assert capsys.readouterr().out.strip() == f"removed source contract-1: {TERMS}"
    assert stored(loaded, "SELECT count(*) FROM contract_commitments") == 0
    assert stored(loaded, "SELECT count(*) FROM line_items") == line_items
    [entry] = [e for e in audit.read(path=audit_log).entries if e.action == "remove"]
    assert entry.action == "remove" and entry.detail == {
        "source_id": "contract-1",
        "source": str(TERMS),
        "files": [str(TERMS)],
    }


def test_removing_a_contract_load_that_is_gone_says_so_and_changes_nothing(
    loaded: Path, capsys: pytest.CaptureFixture[str], audit_log: Path
) -> None:
    assert main(["remove", "--db", str(loaded), "contract-7", "--yes"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: no source with id contract-7; `python -m analytics sources` lists what is loaded"
    )
    assert stored(loaded, "SELECT count(*) FROM contract_commitments") == commitments_in(TERMS)
    assert [e for e in audit.read(path=audit_log).entries if e.action == "remove"] == []


def test_a_scoped_reader_lists_a_contract_file_only_when_it_sees_some_of_its_terms(loaded: Path) -> None:
    def listed(scope: list[tuple[str, tuple[str, ...]]]) -> list[object]:
        con = store.scoped_reader(loaded, store.generation(loaded), [scope])
        try:
            return [(e["id"], e["rows"]) for e in list_sources(DuckDBEngine(con)) if e["dataset"] != "cost-and-usage"]
        finally:
            con.close()

    assert listed([("ProviderName", ("Microsoft",))]) == [("contract-1", 1)]  # EDP-1, the one its row applies to
    assert listed([("SubAccountName", ("nobody",))]) == []


def test_the_data_page_lists_the_contract_file_and_removes_it_when_confirmed(
    loaded: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(loaded))
    at = new_app(page="app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    frame = next(d.value for d in at.dataframe if "Source" in d.value.columns).set_index("Source")
    assert frame.loc[str(TERMS), "Format"] == "FOCUS 1.3 Contract Commitment"
    assert frame.loc[str(TERMS), "Rows"] == commitments_in(TERMS)
    assert any(f"{commitments_in(COSTS)} line items" in m.value for m in at.markdown)  # commitments are not line items
    label = f"{TERMS}: {commitments_in(TERMS)} contract commitments"
    at.selectbox(key="data_remove_source").select(label).run()
    at.button(key="data_remove").click().run()
    assert any("its contract commitments" in w.value for w in at.warning)
    at.button(key="data_remove_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert stored(loaded, "SELECT count(*) FROM contract_commitments") == 0
    assert label not in at.selectbox(key="data_remove_source").options
    assert [e.detail["source_id"] for e in audit.read(path=audit_log).entries if e.action == "remove"] == ["contract-1"]
