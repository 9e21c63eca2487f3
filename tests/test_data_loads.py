"""The Data page loads files through analytics.ingest.run.ingest_paths, the command line's ingest:
the same files found, the same one-line errors, each outcome traced to the source holding its rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from analytics.engine import DuckDBEngine
from analytics.sources import list_sources
from tests.focus_rows import row, write_csv
from ui.data_loads import load_files


def test_a_folder_without_data_files_is_one_rejected_outcome_naming_every_format_looked_for(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    [outcome] = load_files(con, [str(folder)])
    assert outcome.rejected and outcome.report is None
    assert outcome.error == f"no CSV, CSV.gz, Parquet or JSON-lines files found in {folder}"


def test_a_batch_loads_the_good_file_rejects_the_bad_one_and_traces_each_to_its_source(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = write_csv(tmp_path / "good.csv", [row(BilledCost="1.25"), row(BilledCost="2.50")])
    bad = tmp_path / "semicolons.csv"
    bad.write_text("Cost;Date;Account\n1.5;2026-05-01;a\n", encoding="utf-8")
    progress: list[tuple[int, int]] = []
    outcomes = load_files(con, [str(good), str(bad)], progress=lambda done, total, _: progress.append((done, total)))
    by_file = {Path(o.file).name: o for o in outcomes}
    assert by_file["semicolons.csv"].rejected and str(bad) in (by_file["semicolons.csv"].error or "")
    loaded = by_file["good.csv"]
    assert not loaded.rejected and loaded.report is not None and loaded.report.rows_loaded == 2
    [source] = list_sources(DuckDBEngine(con))
    assert loaded.source_id == source["id"] and source["totals"] == {"USD": float(Decimal("3.75"))}
    assert progress == [(0, 2), (1, 2), (2, 2)]


def test_the_same_file_again_is_unchanged_and_traced_to_the_earlier_copy(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = write_csv(tmp_path / "good.csv", [row()])
    [first] = load_files(con, [str(good)])
    [again] = load_files(con, [str(good)])
    assert again.report is not None and again.report.status == "unchanged"
    assert again.source_id == first.source_id is not None
