"""One ingest attempt, in process or through the CLI, and the judgement of its outcome for the fuzz
test and its regression cases: loaded with what the file holds, or refused in one line naming the
file with the store untouched, and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from analytics.ingest.report import IngestError
from analytics.ingest.run import ingest_paths
from analytics.store import connect, reader
from tests.focus_rows import row, write_csv
from tests.fuzz_mutations import Case
from tests.fuzz_oracle import Holds, holds
from tests.store_state import db_fingerprint, fingerprint

PROJECT = Path(__file__).resolve().parents[1]
CENT = Decimal("0.01")
UNFORESEEN = ": could not be loaded ("  # analytics.ingest.run.ingest_file's message for an unexpected exception


def resident_store(folder: Path) -> Path:
    """A store already holding one source, so a refusal can be seen to leave it untouched."""
    db = folder / "resident.duckdb"
    con = connect(db)
    try:
        resident = write_csv(folder / "resident.csv", [row(BillingAccountId="resident", BilledCost="1.25")] * 3)
        [report] = ingest_paths(con, [str(resident)])
        assert report.status == "loaded", report.error
    finally:
        con.close()
    return db


@dataclass
class Outcome:
    status: str  # loaded | refused | crashed | unchanged | skipped | exit <code>
    message: str = ""  # the refusal, or what escaped
    total: Decimal = Decimal(0)  # Σ BilledCost of the new source
    rows: int = 0
    notes: list[str] = field(default_factory=list)  # the report's fixes and warnings
    store_changed: bool = False  # when not loaded
    traceback: bool = False


def attempt(path: Path, db: Path) -> Outcome:
    """`ingest_paths` on one file, as the app and the CLI call it."""
    con = connect(db)
    try:
        before = fingerprint(con)
        try:
            [report] = ingest_paths(con, [str(path)])
        except IngestError as exc:
            return Outcome("refused", str(exc), store_changed=fingerprint(con) != before)
        except Exception as exc:  # noqa: BLE001 - any other exception is the finding
            return Outcome("crashed", f"{type(exc).__name__}: {str(exc)[:300]}")
        if report.status != "loaded":
            return Outcome(report.status, report.error or "", store_changed=fingerprint(con) != before)
        stored = _of_file(con, path)
        if stored is None:
            return Outcome("lost", "reported loaded, but no source holds the file")
        return Outcome("loaded", total=stored[0], rows=stored[1], notes=[*report.fixes, *report.warnings])
    finally:
        con.close()


def _of_file(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[Decimal, int] | None:
    """Σ BilledCost and rows stored from `path`; None when no source came from it."""
    found = con.execute("SELECT max(x_SourceId) FROM sources WHERE x_SourceFile = ?", [str(path)]).fetchone()
    if not found or found[0] is None:
        return None
    total, rows = con.execute(
        "SELECT COALESCE(sum(BilledCost), 0), count(*) FROM line_items WHERE x_SourceId = ?", [found[0]]
    ).fetchone()  # type: ignore[misc]
    return Decimal(str(total)), int(rows)


def _old_rows(con: duckdb.DuckDBPyConnection, before: int) -> tuple[object, ...]:
    """Count and hash of the line items of the sources that were there before (ids up to `before`)."""
    return con.execute("SELECT count(*), sum(hash(t)) FROM line_items t WHERE x_SourceId <= ?", [before]).fetchone()  # type: ignore[return-value]


def attempt_cli(path: Path, db: Path, log: Path, companion: Path | None = None) -> Outcome:
    """`python -m analytics ingest PATH [COMPANION] --db DB`: exit 2 and one `error:` line naming PATH
    when it is refused; the store byte-for-byte as it was (db_fingerprint), or, with a good companion
    file in the same call, the companion loaded and the earlier sources' rows untouched."""
    fingerprint_before = db_fingerprint(db)
    con = reader(db)
    try:
        (last,) = con.execute("SELECT max(x_SourceId) FROM sources").fetchone()  # type: ignore[misc]
        before = _old_rows(con, last)
    finally:
        con.close()
    files = [str(path), *([str(companion)] if companion else [])]
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "ingest", *files, "--db", str(db)],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, env={**os.environ, "FINOPS_LOG": str(log)},
    )  # fmt: skip
    traceback = "Traceback" in result.stdout + result.stderr
    con = reader(db)
    try:
        ours = _of_file(con, path)
        good = _of_file(con, companion) if companion else None
        old_rows_kept = _old_rows(con, last) == before
    finally:
        con.close()
    if companion and good is None:
        return Outcome("companion lost", f"the good file in the same call was not loaded: {result.stderr[-300:]}")
    if result.returncode == 2:
        message = result.stderr.strip().removeprefix("error: ")
        changed = ours is not None or not old_rows_kept
        if companion is None:
            changed = db_fingerprint(db) != fingerprint_before
        return Outcome("refused", message, store_changed=changed, traceback=traceback)
    if result.returncode != 0 or ours is None:
        return Outcome(f"exit {result.returncode}", result.stderr.strip()[-300:], traceback=traceback)
    notes = [line for line in result.stdout.splitlines() if line.strip().startswith(("fixed:", "note:"))]
    return Outcome("loaded", total=ours[0], rows=ours[1], notes=notes, traceback=traceback)


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def loaded_problems(family: str, held: Holds, outcome: Outcome) -> list[str]:
    """What is wrong with a file that loaded: it must hold what was stored."""
    if held.total is None:
        return [f"loaded although the file cannot be read independently: {held.problem}"]
    problems = []
    if _cents(outcome.total) != _cents(held.total):
        problems.append(f"stored Σ BilledCost {outcome.total} but the file holds {held.total}")
    if family == "focus" and outcome.rows != held.rows:
        problems.append(f"stored {outcome.rows} rows but the file holds {held.rows}")
    if held.dates_outside:
        problems.append(f"loaded dates outside 2000..2100: {held.dates_outside[:2]}")
    if held.short_rows and not outcome.notes:
        problems.append(f"rows {held.short_rows[:3]} lost fields and loaded without a word")
    return problems


def refused_problems(path: Path, message: str, must_load: bool) -> list[str]:
    problems = []
    if "\n" in message.strip():
        problems.append(f"a refusal of more than one line: {message[:300]!r}")
    if path.name not in message:
        problems.append(f"the refusal does not name the file: {message[:200]!r}")
    if must_load:
        problems.append(f"a valid file was refused: {message[:200]!r}")
    if UNFORESEEN in message:
        # ingest's last-resort wording: the error was not foreseen, so the message names no row or column
        problems.append(f"an error nobody foresaw: {message[:300]!r}")
    return problems


def judge(case: Case, outcome: Outcome) -> list[str]:
    """Everything wrong with this outcome for this case (empty: as the README promises)."""
    problems = ["a traceback was printed"] if outcome.traceback else []
    if outcome.status == "loaded":
        return problems + loaded_problems(case.family, holds(case), outcome)
    if outcome.status == "refused":
        problems += refused_problems(case.path, outcome.message, case.must_load)
    elif outcome.status in ("unchanged", "skipped"):
        pass
    else:
        problems.append(f"{outcome.status}: {outcome.message}")
    if outcome.store_changed:
        problems.append(f"{outcome.status}, yet the database changed")
    return problems
