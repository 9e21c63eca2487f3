"""The store's generations in one process: snapshots, all-or-nothing writes, conversion of a
single-file database, and the `store` and `convert` commands. Concurrency across processes and
killed writers are in test_store_concurrency.py and test_store_kill.py."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main
from analytics.ingest.run import ingest_paths
from analytics.store import GenerationGone, StoreError, generation, generations, reader, snapshots, writing
from tests.focus_rows import row, write_csv

PROJECT = Path(__file__).resolve().parents[1]


def billed(db: Path) -> Decimal:
    con = reader(db)
    try:
        value = con.execute("SELECT coalesce(sum(BilledCost), 0) FROM line_items").fetchone()
    finally:
        con.close()
    assert value is not None
    return Decimal(value[0])


def loaded(db: Path, tmp_path: Path, cost: str, name: str) -> None:
    with writing(db) as con:
        [report] = ingest_paths(
            con, [str(write_csv(tmp_path / name, [row(BilledCost=cost, BillingAccountId=name)] * 2))]
        )
        assert report.status == "loaded", report.error


def test_a_reader_keeps_seeing_its_generation_while_later_writes_are_published(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    early = reader(db)
    try:
        loaded(db, tmp_path, "2.25", "b.csv")
        loaded(db, tmp_path, "4.00", "c.csv")
        assert early.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("2.20"),)
    finally:
        early.close()
    assert billed(db) == Decimal("2.20") + Decimal("4.50") + Decimal("8.00")
    assert generation(db) == 3


def test_a_write_that_fails_publishes_nothing_and_leaves_no_work_behind(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    with pytest.raises(RuntimeError, match="midway"), writing(db) as con:
        con.execute("DELETE FROM line_items")
        raise RuntimeError("midway")
    assert billed(db) == Decimal("2.20") and generation(db) == 1
    assert not any((db / "work").iterdir())
    assert sorted(p.name for p in db.glob("gen-*")) == [snapshots.generation_name(1)]


def test_a_what_if_is_thrown_away(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    with writing(db, publish=False) as con:
        con.execute("DELETE FROM line_items")
        assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)
    assert billed(db) == Decimal("2.20") and generation(db) == 1


def test_only_the_current_and_the_previous_generation_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "store"
    for index in range(4):
        loaded(db, tmp_path, f"{index + 1}.00", f"f{index}.csv")
    assert sorted(p.name for p in db.glob("gen-*")) == [snapshots.generation_name(3), snapshots.generation_name(4)]


def single_file_database(path: Path, tmp_path: Path) -> Decimal:
    """A database as versions before the store's generations wrote it; its billed total, by SQL on the CSV."""
    store = tmp_path / "built"
    loaded(store, tmp_path, "3.33", "old.csv")
    current = snapshots.current(store)
    assert current is not None
    current.file.rename(path)
    probe = duckdb.connect()
    try:
        total = probe.execute("SELECT sum(BilledCost::DECIMAL(18,2)) FROM read_csv(?)", [str(tmp_path / "old.csv")])
        value = total.fetchone()
    finally:
        probe.close()
    assert value is not None
    return Decimal(value[0])


def test_a_single_file_database_becomes_a_store_on_first_open_with_every_row(tmp_path: Path) -> None:
    db = tmp_path / "finops.duckdb"
    expected = single_file_database(db, tmp_path)
    assert db.is_file()
    assert billed(db) == expected == Decimal("6.66")
    assert db.is_dir() and generation(db) == 1


def test_the_convert_command_prints_the_totals_before_and_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "finops.duckdb"
    single_file_database(db, tmp_path)
    assert main(["convert", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "billed USD: 6.66 before, 6.66 after" in out and "every total the same" in out
    assert main(["convert", "--db", str(db)]) == 0
    assert "already a store" in capsys.readouterr().out


def test_a_folder_that_is_not_a_store_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match=r"documents: not a FinOps Lens store \(a folder without manifest.json\)"):
        reader(folder)
    with pytest.raises(StoreError, match="not a FinOps Lens store"), writing(folder):
        pass
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_bad_lock_timeout_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_LOCK_TIMEOUT", "soon")
    with (
        pytest.raises(StoreError, match="FINOPS_LOCK_TIMEOUT='soon': expected a number of seconds"),
        writing(tmp_path / "store"),
    ):
        pass


def test_the_store_command_names_the_generation_and_the_writer_holding_it(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from analytics.store import writing\n"
            f"with writing({str(db)!r}, note='holder'):\n    print('held', flush=True); sys.stdin.read()",
        ],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        shown = subprocess.run(
            [sys.executable, "-m", "analytics", "store", "--db", str(db), "--json"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        status = json.loads(shown.stdout)
        assert status["generation"] == 1 and f"pid {holder.pid} " in status["writer"]
    finally:
        holder.communicate("", timeout=30)
    assert generation(db) == 2  # the holder's (empty) write was published when it let go


def test_a_generation_asked_for_by_number_opens_while_kept_and_is_named_when_gone(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    loaded(db, tmp_path, "2.25", "b.csv")
    first = reader(db, generation=1)
    try:
        assert first.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("2.20"),)
    finally:
        first.close()
    loaded(db, tmp_path, "4.00", "c.csv")
    with pytest.raises(GenerationGone, match="generation 1 is no longer kept"):
        reader(db, generation=1)


def test_a_record_beside_the_data_keeps_the_data_generation_that_caches_are_keyed_on(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    with writing(db, data_changed=False) as con:
        con.execute("INSERT INTO meta VALUES ('noted', 'beside the data')")
    assert generations(db) == (2, 1)
    loaded(db, tmp_path, "2.25", "b.csv")
    assert generations(db) == (3, 3)


def test_a_damaged_manifest_is_one_store_error_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    (db / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match=r"manifest\.json: not a FinOps Lens store manifest"):
        generation(db)
    with pytest.raises(StoreError, match=r"manifest\.json: not a FinOps Lens store manifest"):
        reader(db)


def test_the_app_on_a_damaged_manifest_says_so_on_every_page_and_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.app_fixtures import new_app

    db = tmp_path / "store"
    loaded(db, tmp_path, "1.10", "a.csv")
    (db / "manifest.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("FINOPS_DB", str(db))
    for page in ("app_pages/overview.py", "app_pages/data.py"):
        at = new_app(page=page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("manifest.json: not a FinOps Lens store manifest" in e.value for e in at.error)


def test_reading_a_store_before_its_first_load_leaves_nothing_that_stops_the_first_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a fresh clone, `sources` before the app's first start used to leave spill/ behind, and the app
    then refused the folder as not a store, so the sample company was never built."""
    db = tmp_path / "finops.duckdb"
    assert main(["sources", "--db", str(db)]) == 2
    assert "no data here yet" in capsys.readouterr().err
    assert not db.exists() or not any(db.iterdir())
    (db / snapshots.SPILL).mkdir(parents=True)  # as an earlier version left it
    (db / snapshots.WORK).mkdir()
    loaded(db, tmp_path, "5.25", "first")
    assert billed(db) == Decimal("10.50")
