"""The Data page and the app's first start, through AppTest."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.ingest.report import IngestReport
from analytics.store import connect, get_meta
from tests.app_fixtures import new_app, pristine_sample
from tests.realdata import FOCUS_SAMPLE, csv_sum
from ui import data as ui_data
from ui import data_loads, data_tables


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has `column`."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_the_data_page_lists_what_is_loaded_its_freshness_and_the_rates_in_use(app: AppTest) -> None:
    app.switch_page("app_pages/data.py").run()
    assert not app.exception
    sources = frame_with(app, "Loaded at (UTC)")
    assert list(sources.columns) == [
        "Provider",
        "Format",
        "Source",
        "Billing periods",
        "Rows",
        "BilledCost",
        "Loaded at (UTC)",
        "Fixes and warnings",
    ]
    assert set(sources["Format"]) == {"Sample company"}
    assert {"AWS", "Microsoft", "Google Cloud"} <= set(sources["Provider"])
    assert sources["Rows"].sum() > 10_000
    assert sources["BilledCost"].str.contains("USD").any() and sources["BilledCost"].str.contains("EUR").any()
    fresh = frame_with(app, "Latest charge day (UTC)")
    assert set(fresh["Provider"]) == set(sources["Provider"])
    assert set(fresh["Latest charge day (UTC)"]) <= {"2026-06-14", "2026-06-15"}
    assert set(fresh["Status"]) == {"stale"}  # the sample ends on 15 Jun 2026; today is later
    assert any("No recent charges" in w.value for w in app.warning)
    rates = frame_with(app, "USD per unit")
    assert {"Valid from", "Currency"} <= set(rates.columns)
    assert any("fx_rates.csv" in c.value for c in app.caption)
    assert any("python -m analytics ingest" in c.value for c in app.code)
    assert any("while the app serves" in c.value and "next run" in c.value for c in app.caption)
    assert app.button(key="data_load_uploads").disabled  # nothing uploaded yet
    assert app.selectbox(key="data_remove_source").options[0].startswith("Sample company: all")


def test_the_sidebar_filters_stay_when_moving_between_pages(app: AppTest) -> None:
    app.multiselect(key="filters_provider").set_value(["AWS"]).run()
    app.switch_page("app_pages/data.py").run()
    assert app.multiselect(key="filters_provider").value == ["AWS"]
    app.switch_page("app_pages/explore.py").run()
    assert not app.exception
    assert app.multiselect(key="filters_provider").value == ["AWS"]


def test_explore_comes_back_as_it_was_left(app: AppTest) -> None:
    app.selectbox(key="explore_group_by").set_value("RegionId").run()
    app.switch_page("app_pages/data.py").run()
    app.switch_page("app_pages/explore.py").run()
    assert app.selectbox(key="explore_group_by").value == "RegionId"


@pytest.mark.slow
def test_first_start_builds_the_sample_with_progress_then_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "fresh" / "finops.duckdb"
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setattr("ui.data.FIRST_START_ROWS", 3_000)
    monkeypatch.setattr("ui.data.FIRST_START_MONTHS", 1)
    at = new_app().run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    status = at.get("status")[0]  # the build showed its progress, and says when it is done
    assert status.label == "Sample dataset ready"
    assert [p.value for p in at.get("progress")] == [100]
    assert any("sample data" in i.value for i in at.info)
    assert at.metric[0].value.startswith("$")
    con = connect(db)  # the app's settings: the app's own connection is still open in this process
    try:
        assert get_meta(con, "sample_as_of") is not None
    finally:
        con.close()


def test_a_database_that_is_not_ours_is_refused_not_written_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.close()
    monkeypatch.setenv("FINOPS_DB", str(db))
    at = new_app().run()
    assert not at.exception
    assert "not a FinOps Lens database" in at.error[0].value
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == [
            "invoices"
        ]
    finally:
        con.close()


@pytest.mark.slow
def test_a_sample_build_that_was_cut_short_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analytics.sample import build_sample

    db = tmp_path / "cut.duckdb"
    con = connect(db)
    build_sample(con, rows=2_000, months=1, seed=3)
    con.execute("DELETE FROM meta WHERE key = 'sample_as_of'")  # as if the build stopped before its end
    con.close()
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setattr("ui.data.FIRST_START_ROWS", 2_000)
    monkeypatch.setattr("ui.data.FIRST_START_MONTHS", 1)
    at = new_app().run(timeout=300)
    assert not at.exception
    assert at.get("status")[0].label == "Sample dataset ready"
    assert any("sample data" in i.value for i in at.info)


# Loading and removing from the Data page. Each test writes into its own copy of the sample, so
# the other tests keep reading the session's sample as it was built.


@pytest.fixture
def writable_db(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "writable.duckdb"
    pristine_sample(db)
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setenv("FINOPS_IMPORT_ROOT", str(tmp_path))  # the server-path loader reads only under it
    return db


def data_page() -> AppTest:
    at = new_app().run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def load_path(at: AppTest, pattern: str) -> AppTest:
    at.text_input(key="data_path").set_value(pattern).run()
    at.button(key="data_load_path").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def exports(tmp_path: Path, bad: bool = False) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FOCUS_SAMPLE, folder / FOCUS_SAMPLE.name)
    if bad:
        (folder / "semicolons.csv").write_text("Cost;Date;Account\n1.5;2026-05-01;a\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_file_on_the_server_is_loaded_reported_and_listed_with_totals_equal_to_the_csv(
    writable_db: Path, tmp_path: Path
) -> None:
    folder = exports(tmp_path)
    at = load_path(data_page(), str(folder / FOCUS_SAMPLE.name))
    assert any("1 of 1 file loaded" in s.value for s in at.success)
    expected = "; ".join(
        f"{total.quantize(Decimal('0.01')):,} {currency}"
        for currency, total in sorted(csv_sum(FOCUS_SAMPLE, "BilledCost", by="BillingCurrency").items())
    )
    result = frame_with(at, "Result").iloc[0]
    assert result["File"] == f"exports/{FOCUS_SAMPLE.name}"  # named relative to the import folder
    assert (result["Result"], result["Format"]) == ("loaded", "FOCUS 1.0-1.4")
    assert (result["Rows read"], result["Rows loaded"], result["Rows skipped"]) == ("1,000", "1,000", "0")
    assert result["BilledCost"] == expected
    notes = frame_with(at, "Note")
    assert "removed the sample company: your own data replaces it" in set(notes["Detail"])
    sources = frame_with(at, "Loaded at (UTC)")  # the sample made way for the real data
    assert list(sources["Source"]) == [str(folder / FOCUS_SAMPLE.name)]
    assert (sources["Format"].iloc[0], sources["Rows"].iloc[0], sources["BilledCost"].iloc[0]) == (
        "FOCUS 1.0-1.4",
        1_000,
        expected,
    )
    assert not any("sample data" in i.value for i in at.info)
    assert at.sidebar.selectbox(key="filters_period")  # the sidebar now spans the loaded file's days
    at.switch_page("app_pages/explore.py").run()
    assert not at.exception and at.metric


@pytest.mark.slow
def test_a_batch_loads_the_good_files_and_lists_the_rejected_ones(writable_db: Path, tmp_path: Path) -> None:
    folder = exports(tmp_path, bad=True)
    at = load_path(data_page(), str(folder))
    assert any("1 of 2 files loaded; 1 rejected" in w.value for w in at.warning)
    result = frame_with(at, "Result").set_index("File")
    assert result.loc["exports/semicolons.csv", "Result"] == "rejected"
    assert result.loc["exports/semicolons.csv", "Rows loaded"] == ""  # no counts rather than zeros
    assert result.loc[f"exports/{FOCUS_SAMPLE.name}", "Rows loaded"] == "1,000"
    [error] = [c.value for c in at.code if "semicolons" in c.value]  # the one-line error, in full
    assert error.startswith("exports/semicolons.csv: ") and "not a cost export" in error
    assert "\n" not in error
    assert list(frame_with(at, "Loaded at (UTC)")["Source"]) == [str(folder / FOCUS_SAMPLE.name)]


@pytest.mark.slow
def test_the_same_file_again_changes_nothing_and_says_so(writable_db: Path, tmp_path: Path) -> None:
    folder = exports(tmp_path)
    at = load_path(data_page(), str(folder))
    at.button(key="data_load_path").click().run()
    result = frame_with(at, "Result").iloc[0]
    assert (result["Result"], result["Rows loaded"], result["Rows read"]) == ("unchanged", "0", "1,000")
    assert "the same content is already loaded; nothing changed" in set(frame_with(at, "Note")["Detail"])
    assert len(frame_with(at, "Loaded at (UTC)")) == 1


@pytest.mark.slow
def test_a_path_with_no_files_is_reported_in_one_line(writable_db: Path, tmp_path: Path) -> None:
    at = load_path(data_page(), str(tmp_path / "nowhere"))
    assert frame_with(at, "Result")["Result"].tolist() == ["rejected"]
    assert any(c.value.endswith("nowhere: no such file or folder") for c in at.code)
    assert set(frame_with(at, "Loaded at (UTC)")["Format"]) == {"Sample company"}  # nothing changed


@pytest.mark.slow
def test_a_source_is_removed_only_after_a_confirmation(writable_db: Path, tmp_path: Path) -> None:
    folder = exports(tmp_path)
    at = load_path(data_page(), str(folder))
    at.button(key="data_remove").click().run()
    assert any("Remove" in w.value and "load the file again" in w.value for w in at.warning)
    at.button(key="data_remove_cancel").click().run()
    assert len(frame_with(at, "Loaded at (UTC)")) == 1
    at.button(key="data_remove").click().run()
    at.button(key="data_remove_confirm").click().run()
    assert not at.exception
    assert any(s.value.startswith("Removed") for s in at.success)
    assert not [d for d in at.dataframe if "Result" in d.value.columns]  # the load report went with it
    assert any("Nothing is loaded" in i.value for i in at.info)
    assert at.sidebar.info[0].value == "No cost data is loaded."
    con = connect(writable_db)
    try:
        assert con.execute("SELECT count(*) FROM line_items").fetchone() == (0,)
    finally:
        con.close()
    ui_data._prepared.discard(str(writable_db))  # as if the app started again on the emptied database
    again = new_app().run()
    assert not again.exception and not again.get("status")  # no sample is built over a user's choice
    assert any("No cost data" in i.value for i in again.info)


@pytest.mark.slow
def test_removing_the_sample_removes_all_of_it(writable_db: Path) -> None:
    at = data_page()
    at.button(key="data_remove").click().run()
    assert any("the whole sample company" in w.value for w in at.warning)
    at.button(key="data_remove_confirm").click().run()
    assert not at.exception
    assert any("Nothing is loaded" in i.value for i in at.info)
    assert not any("sample data" in i.value for i in at.info)
    con = connect(writable_db)
    try:
        for table in ("sources", "line_items", "daily_costs", "budgets", "utilization"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    finally:
        con.close()


class _Upload:
    def __init__(self, name: str, content: bytes) -> None:
        self.name, self.content = name, content

    def getbuffer(self) -> memoryview:
        return memoryview(self.content)


def test_uploads_are_staged_under_their_original_names_then_discarded() -> None:
    uploads = [_Upload("march.csv", b"a"), _Upload("../../etc/march.csv", b"b"), _Upload("C:\\x\\april.csv.gz", b"c")]
    folder, paths = data_loads.stage_uploads(uploads)
    try:
        assert [p.name for p in paths] == ["march.csv", "march.csv", "april.csv.gz"]
        assert all(p.is_relative_to(folder) for p in paths) and paths[0] != paths[1]
        assert [p.read_bytes() for p in paths] == [b"a", b"b", b"c"]
        assert data_tables.shown_file(str(paths[1])) == "march.csv (uploaded)"
    finally:
        data_loads.discard(folder)
    assert not folder.exists()


def test_a_load_note_names_an_earlier_upload_by_its_name_not_the_servers_temp_folder() -> None:
    folder, paths = data_loads.stage_uploads([_Upload("ea-actual small.csv", b"a")])
    try:
        report = IngestReport(file=str(paths[0]), format="azure", replaced=[f"2023-09 from {paths[0]}"])
        report.fix(f"combined with the actual view already loaded from {paths[0]}, 11 rows")
        notes = data_tables.notes_frame([data_tables.Outcome(file=str(paths[0]), report=report)])
    finally:
        data_loads.discard(folder)
    details = notes.set_index("Note")["Detail"]
    assert details["replaced"] == "2023-09 from ea-actual small.csv (uploaded)"
    fixed = "combined with the actual view already loaded from ea-actual small.csv (uploaded), 11 rows"
    assert details["fixed"] == fixed
    assert not notes["Detail"].str.contains(str(folder), regex=False).any()
    on_server = "2023-09 from /exports/a.csv"
    assert data_tables.shown_paths(on_server) == on_server  # a file on the server keeps its path


def test_the_page_names_the_database_file_for_the_command_line(app_db: Path) -> None:
    at = new_app(page="app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"--db {app_db}" in at.code[0].value


@pytest.mark.slow
def test_the_remove_picker_shows_the_new_file_when_it_takes_over_the_samples_source_id(
    writable_db: Path, tmp_path: Path
) -> None:
    at = data_page()
    before = at.selectbox(key="data_remove_source")
    assert before.options[0].startswith("Sample company: all")
    folder = exports(tmp_path)
    at = load_path(at, str(folder / FOCUS_SAMPLE.name))
    picker = at.selectbox(key="data_remove_source")
    assert picker.options == [f"{folder / FOCUS_SAMPLE.name}: 1,000 rows, 2024-09, 2024-10"]
    assert picker.value == before.value  # the store reuses the id the sample's first source had...
    assert picker.proto.set_value and picker.proto.raw_value == picker.options[0]  # ...so the new label is sent
