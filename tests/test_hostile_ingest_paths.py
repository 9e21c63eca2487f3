"""Paths as users name them: a name with glob characters is that file; a file that changes while it
loads is stored with the hash of the bytes parsed; broken links are named per file; a killed
ingest's spill folder is cleaned; older AWS CURs get their publisher and invoice issuer."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from analytics.export import export_focus
from analytics.ingest import focus
from analytics.ingest.aws import AWS_ENTITY
from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from analytics.store import connect
from tests.focus_rows import row, write_csv
from tests.hostile_exports import CUR, load
from tests.realdata import read_rows, write_rows

# ---- a path is a literal file -------------------------------------------------------------------

GLOB_NAMES = ["glob[1].csv", "[abc].csv", "star*.csv", "what?.csv", "both[*].csv", "[!x].csv"]


@pytest.mark.parametrize("name", GLOB_NAMES)
def test_a_file_name_with_glob_characters_is_read_as_that_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str
) -> None:
    literal = write_csv(tmp_path / name, [row(BilledCost="100")])
    # Files the name would match as a pattern; none of them may be read in its place.
    for i, decoy in enumerate(["glob1.csv", "a.csv", "starX.csv", "what1.csv", "both1.csv", "y.csv"]):
        write_csv(tmp_path / decoy, [row(BilledCost=str(i + 1))])
    [report] = load(con, literal)
    assert report.status == "loaded" and report.file == str(literal)
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal(100),)


def test_glob1_and_glob_bracket_1_in_one_folder_each_load_once(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bracket = write_csv(tmp_path / "glob[1].csv", [row(BilledCost="10.01", BillingAccountId="a")])
    plain = write_csv(tmp_path / "glob1.csv", [row(BilledCost="20.02", BillingAccountId="b")])
    reports = load(con, bracket, plain)
    assert [(r.file, r.status) for r in reports] == [(str(bracket), "loaded"), (str(plain), "loaded")]
    sources = con.execute("SELECT x_SourceFile, count(*) FROM line_items GROUP BY 1 ORDER BY 1").fetchall()
    assert sources == sorted([(str(bracket), 1), (str(plain), 1)])
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("30.03"),)


def test_a_folder_holding_glob_named_files_loads_each_once(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "exports[2026]"
    folder.mkdir()
    write_csv(folder / "glob[1].csv", [row(BilledCost="1", BillingAccountId="a")])
    write_csv(folder / "glob1.csv", [row(BilledCost="2", BillingAccountId="b")])
    write_csv(folder / "glob*.csv", [row(BilledCost="4", BillingAccountId="c")])
    reports = ingest_paths(con, [str(folder)])
    assert sorted(Path(r.file).name for r in reports) == ["glob*.csv", "glob1.csv", "glob[1].csv"]
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal(7),)


def test_a_pattern_naming_no_file_is_still_a_glob(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    write_csv(tmp_path / "part-1.csv", [row(BilledCost="1", BillingAccountId="a")])
    write_csv(tmp_path / "part-2.csv", [row(BilledCost="2", BillingAccountId="b")])
    reports = ingest_paths(con, [str(tmp_path / "part-[0-9].csv")])
    assert [Path(r.file).name for r in reports] == ["part-1.csv", "part-2.csv"]


# ---- the hash and the rows come from the same bytes ---------------------------------------------


def test_a_file_changed_while_it_loads_is_stored_with_the_hash_of_what_was_parsed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "moving.csv", [row(BilledCost="1.00")])
    first = path.read_bytes()
    read_raw = focus.read_raw

    def rewrite_then_read(*args: object, **kwargs: object) -> list[str]:
        # The export is rewritten after its hash was taken and before its rows are parsed.
        write_csv(path, [row(BilledCost="2.00"), row(BilledCost="3.00")])
        return read_raw(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(focus, "read_raw", rewrite_then_read)
    [report] = ingest_paths(con, [str(path)])
    monkeypatch.undo()
    stored = con.execute("SELECT x_FileHash FROM sources").fetchall()
    rows = con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone()
    assert stored == [(hashlib.sha256(first).hexdigest(),)] and rows == (1, Decimal("1.00"))
    # The new content is a new file: it loads, replacing the earlier delivery of its period.
    [again] = ingest_paths(con, [str(path)])
    assert again.status == "loaded"
    assert con.execute("SELECT count(*), sum(BilledCost) FROM line_items").fetchone() == (2, Decimal("5.00"))
    assert con.execute("SELECT x_FileHash FROM sources").fetchall() == [
        (hashlib.sha256(path.read_bytes()).hexdigest(),)
    ]


def test_the_staged_copy_is_removed_after_loading_and_after_a_refusal(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    load(con, write_csv(tmp_path / "ok.csv", [row()]), write_csv(tmp_path / "bad.csv", [row(BilledCost="x")]))
    assert list(temp.iterdir()) == []


# ---- symlinks ----------------------------------------------------------------------------------


def test_a_symlink_loop_is_named_as_a_loop(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    loop = tmp_path / "loop.csv"
    os.symlink(loop, loop)
    good = write_csv(tmp_path / "good.csv", [row(BilledCost="5")])
    reports = load(con, loop, good)
    assert (
        reports[0].status == "rejected" and reports[0].error == f"{loop}: symlink loop (the link leads back to itself)"
    )
    assert reports[1].status == "loaded"


def test_a_two_link_loop_is_named_as_a_loop(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    os.symlink(b, a)
    os.symlink(a, b)
    con = connect(tmp_path / "db.duckdb")
    try:
        with pytest.raises(IngestError, match="a.csv: symlink loop"):
            ingest_paths(con, [str(a)])
    finally:
        con.close()


def test_a_glob_matching_a_dangling_symlink_refuses_that_file_and_loads_the_rest(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    dangling = tmp_path / "b-gone.csv"
    os.symlink(tmp_path / "deleted.csv", dangling)
    write_csv(tmp_path / "a-good.csv", [row(BilledCost="1.5", BillingAccountId="a")])
    write_csv(tmp_path / "c-good.csv", [row(BilledCost="2.5", BillingAccountId="c")])
    reports = load(con, Path(str(tmp_path / "*.csv")))
    assert [r.status for r in reports] == ["loaded", "rejected", "loaded"]
    assert (
        reports[1].error
        == f"{dangling}: dangling symlink (it points to {tmp_path / 'deleted.csv'}, which does not exist)"
    )
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal("4.0"),)


def test_a_folder_holding_a_dangling_symlink_names_it_and_loads_the_rest(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    os.symlink(folder / "nowhere.csv", folder / "link.csv")
    write_csv(folder / "real.csv", [row(BilledCost="3")])
    reports = load(con, folder)
    assert {Path(r.file).name: r.status for r in reports} == {"link.csv": "rejected", "real.csv": "loaded"}


def test_a_symlink_to_a_real_file_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    target = write_csv(tmp_path / "target.csv", [row(BilledCost="9")])
    link = tmp_path / "link.csv"
    os.symlink(target, link)
    [report] = load(con, link)
    assert report.status == "loaded"


def test_a_missing_file_in_a_batch_is_named_and_the_rest_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [row()])
    reports = load(con, tmp_path / "nope.csv", good)
    assert reports[0].error == f"{tmp_path / 'nope.csv'}: no such file or folder"
    assert reports[1].status == "loaded"


# ---- a killed ingest's spill folder ---------------------------------------------------------------


def ended_pid() -> int:
    """The pid of a process that has ended (pids are not reused this soon)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def stale_folders(db: Path, pid: int) -> list[Path]:
    """A spill folder and a work folder as a process killed mid-query and mid-write leaves them."""
    left = [db / "spill" / str(pid), db / "work" / str(pid)]
    for folder in left:
        folder.mkdir(parents=True)
        (folder / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 4096)
    (db / "work" / str(pid) / "next.duckdb").write_bytes(b"\0" * 4096)
    return left


def test_what_a_killed_process_left_is_removed_on_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    connect(db).close()
    left = stale_folders(db, ended_pid())
    con = connect(db, read_only=True)
    try:
        assert not any(folder.exists() for folder in left)
        # DuckDB can still spill afterwards.
        con.execute("SET memory_limit = '64MB'")
        con.execute("SET preserve_insertion_order = false")
        row_count = con.execute("SELECT count(*) FROM (SELECT DISTINCT i FROM range(4000000) t(i))").fetchone()
        assert row_count == (4_000_000,)
    finally:
        con.close()


def test_the_folders_of_a_process_still_running_are_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    connect(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from analytics.store import reader; import sys; "
            f"c = reader({str(db)!r}); print('open', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        left = stale_folders(db, holder.pid)
        connect(db).close()  # a write, which tidies with the lock held
        assert all(folder.exists() for folder in left)
    finally:
        holder.communicate("", timeout=30)


# ---- older AWS CURs: publisher and invoice issuer -----------------------------------------------

ENTITY_COLUMNS = ("bill/BillingEntity", "lineItem/LegalEntity", "bill/InvoicingEntity")


@pytest.mark.parametrize("dropped", [ENTITY_COLUMNS, ENTITY_COLUMNS[:2], ENTITY_COLUMNS[2:]])
def test_an_older_cur_exports_focus_with_publisher_and_invoice_issuer(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, dropped: tuple[str, ...]
) -> None:
    rows = [{k: v for k, v in r.items() if k not in dropped} for r in read_rows(CUR)]
    [report] = ingest_paths(con, [str(write_rows(tmp_path / "old-cur.csv", rows))])
    fixed = [f for f in report.fixes if AWS_ENTITY in f]
    assert len(fixed) == sum(c in dropped for c in ("lineItem/LegalEntity", "bill/InvoicingEntity"))
    out = tmp_path / "focus.parquet"
    export_focus(con, out)
    table = pq.read_table(out, columns=["PublisherName", "InvoiceIssuerName"])
    assert table.num_rows == report.rows_loaded > 0
    for column in ("PublisherName", "InvoiceIssuerName"):
        assert table.column(column).null_count == 0, column


# ---- the command line, end to end ---------------------------------------------------------------

PROJECT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, log: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINOPS_LOG": str(log)}
    command = [sys.executable, "-m", "analytics", *args]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.slow
def test_the_command_line_loads_glob_named_files_once_each_with_exact_totals(tmp_path: Path) -> None:
    db, log = tmp_path / "cli.duckdb", tmp_path / "cli.log"
    bracket = write_csv(tmp_path / "glob[1].csv", [row(BilledCost="10.10", BillingAccountId="a")])
    plain = write_csv(tmp_path / "glob1.csv", [row(BilledCost="0.05", BillingAccountId="b")])
    dangling = tmp_path / "gone.csv"
    os.symlink(tmp_path / "nowhere.csv", dangling)
    result = run_cli("ingest", str(bracket), str(plain), str(dangling), "--db", str(db), log=log)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"error: {dangling}: dangling symlink (it points to {tmp_path / 'nowhere.csv'}, which does not exist)"
    )
    assert "2 of 3 files loaded; 1 rejected" in result.stdout
    query = run_cli(
        "query", "--db", str(db), "--metric", "billed", "--group-by", "BillingAccountId", "--format", "json", log=log
    )
    assert sorted((r["BillingAccountId"], r["cost"]) for r in json.loads(query.stdout)) == [("a", 10.1), ("b", 0.05)]


def test_a_folder_with_a_link_back_to_itself_loads_each_file_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    os.symlink(folder, folder / "again")
    write_csv(folder / "one.csv", [row(BilledCost="6")])
    reports = ingest_paths(con, [str(folder)])
    assert [Path(r.file).name for r in reports] == ["one.csv"]
    assert con.execute("SELECT sum(BilledCost) FROM line_items").fetchone() == (Decimal(6),)
