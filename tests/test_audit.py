"""The audit log (issue 14, item 6): append-only, written whole by processes at once, kept by the
command line and the app, read back by `python -m analytics audit`, downloaded as inert CSV."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analytics import audit
from analytics.allocation.rules import load_rules
from analytics.cli import main
from analytics.store import DATA_DIR, reader
from tests.app_fixtures import PROJECT, new_app, pristine_sample
from tests.focus_rows import row, write_csv
from ui.audit import csv_since

NO_RULES = PROJECT / "tests" / "data" / "no-rules.yaml"
SHIPPED_RULES = DATA_DIR / "allocation.yaml"
ACTOR = f"cli:{getpass.getuser()}"

WRITER = """
import sys
from pathlib import Path
from analytics import audit
name, count, path = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
for n in range(count):
    audit.record(name, "test", {"n": n, "padding": name * 5000}, path)
"""


def source_ids(db: Path) -> dict[str, int]:
    con = reader(db)
    try:
        rows = con.execute("SELECT x_SourceFile, x_SourceId FROM sources").fetchall()
    finally:
        con.close()
    return {Path(r[0]).name: int(r[1]) for r in rows}


def write_log(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def entry_line(at: str, action: str, **detail: object) -> str:
    return json.dumps({"at": at, "actor": "cli:someone", "action": action, "detail": detail})


def test_entries_appended_by_two_processes_at_once_are_whole_lines(tmp_path: Path) -> None:
    path, count = tmp_path / "audit.jsonl", 300
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, str(count), str(path)], cwd=PROJECT)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 * count
    entries = [json.loads(line) for line in lines]  # a torn or interleaved line would not parse
    for name in ("a", "b"):
        mine = [e for e in entries if e["actor"] == name]
        assert [e["detail"]["n"] for e in mine] == list(range(count))
        assert all(e["detail"]["padding"] == name * 5000 for e in mine)


def test_a_cli_ingest_then_remove_each_leave_their_entry(tmp_path: Path, audit_log: Path) -> None:
    db = tmp_path / "x.duckdb"
    good = write_csv(tmp_path / "web.csv", [row(BilledCost="10.10")])
    bad = tmp_path / "semicolons.csv"
    bad.write_text("Cost;Date;Account\n1.5;2026-05-01;a\n", encoding="utf-8")
    assert main(["ingest", str(good), str(bad), "--db", str(db)]) == 2  # one file rejected
    source = source_ids(db)["web.csv"]
    (load,) = audit.read(path=audit_log).entries
    assert (load.actor, load.action) == (ACTOR, "load")
    assert [Path(f).name for f in load.detail["files"]] == ["web.csv", "semicolons.csv"]
    assert load.detail["statuses"] == ["loaded", "rejected"]
    assert load.detail["source_ids"] == [source, None]
    assert main(["remove", str(source), "--yes", "--db", str(db)]) == 0
    _, removal = audit.read(path=audit_log).entries
    assert (removal.actor, removal.action, removal.detail["source_id"]) == (ACTOR, "remove", source)
    assert [Path(f).name for f in removal.detail["files"]] == ["web.csv"]
    assert source_ids(db) == {}


def test_a_cli_allocate_records_the_rules_and_their_fingerprint(tmp_path: Path, audit_log: Path) -> None:
    db = tmp_path / "x.duckdb"
    assert main(["ingest", str(write_csv(tmp_path / "web.csv", [row()])), "--db", str(db)]) == 0
    assert main(["allocate", "--rules", str(NO_RULES), "--db", str(db)]) == 0
    assert main(["allocate", "--check", "--rules", str(NO_RULES), "--db", str(db)]) == 0  # changes nothing
    entries = audit.read(path=audit_log).entries
    assert [e.action for e in entries] == ["load", "allocation rules"]
    assert entries[1].actor == ACTOR
    assert entries[1].detail == {"rules": str(NO_RULES), "fingerprint": load_rules(NO_RULES).fingerprint()}


@pytest.mark.slow
def test_a_cli_showback_records_the_months_owner_and_output(tmp_path: Path, audit_log: Path) -> None:
    db, out = pristine_sample(tmp_path / "cli.duckdb"), tmp_path / "pack.xlsx"
    args = ["--month", "2026-04", "--through", "2026-05", "--by", "tag:team", "--out", str(out)]
    assert main(["showback", "--db", str(db), "--rules", str(NO_RULES), *args]) == 0
    (entry,) = audit.read(path=audit_log).entries
    assert (entry.actor, entry.action) == (ACTOR, "showback export")
    assert entry.detail == {"months": "2026-04 to 2026-05", "owner": "tag:team", "outputs": [str(out)]}


def test_audit_since_keeps_the_entries_of_that_day_and_later_as_json(
    audit_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        audit_log,
        [
            entry_line("2026-05-31T23:59:59+00:00", "load", files=["old.csv"]),
            entry_line("2026-06-01T00:00:00+00:00", "remove", source_id=3),
            entry_line("2026-06-02T08:00:00+00:00", "budgets", rows=4),
        ],
    )
    assert main(["audit", "--since", "2026-06-01", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [(e["at"][:10], e["action"], e["detail"]) for e in printed] == [
        ("2026-06-01", "remove", {"source_id": 3}),
        ("2026-06-02", "budgets", {"rows": 4}),
    ]
    assert main(["audit"]) == 0  # the table: every entry, its detail in columns
    table = capsys.readouterr().out
    assert "old.csv" in table and "budgets" in table and table.index("load") < table.index("budgets")


def test_a_bad_since_date_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "--since", "June"])
    assert exit_.value.code == 2
    assert "'June' is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_a_corrupted_line_is_skipped_and_reported(audit_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(
        audit_log,
        [
            entry_line("2026-06-01T00:00:00+00:00", "load", files=["a.csv"]),
            '{"at": "2026-06-01T00:00:01+00:00", "actor": "cli:x", "act',  # torn
            '{"at": "yesterday", "actor": "cli:x", "action": "load", "detail": {}}',  # not a time
            entry_line("2026-06-02T00:00:00+00:00", "remove", source_id=1),
        ],
    )
    log = audit.read(path=audit_log)
    assert ([e.action for e in log.entries], log.skipped) == (["load", "remove"], [2, 3])
    assert main(["audit", "--json"]) == 0
    captured = capsys.readouterr()
    assert [e["action"] for e in json.loads(captured.out)] == ["load", "remove"]
    assert captured.err.strip() == f"warning: {audit_log}: 2 line(s) skipped, not audit entries: line 2, 3"


def test_an_empty_log_says_so(audit_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.strip() == f"no audit entries in {audit_log}"


def test_an_unwritable_log_is_one_line_naming_the_file(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    with pytest.raises(audit.AuditError, match=f"^{blocked}/audit.jsonl: the audit log could not be written"):
        audit.record("cli:x", "load", {}, blocked / "audit.jsonl")


@pytest.mark.slow
def test_an_app_load_and_removal_are_recorded_for_the_local_user_and_download_as_inert_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path
) -> None:
    db = pristine_sample(tmp_path / "writable.duckdb")
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setenv("FINOPS_IMPORT_ROOT", str(tmp_path))
    write_csv(tmp_path / "=cmd.csv", [row(BilledCost="3.30")])
    at = new_app(page="app_pages/data.py").run()
    at.text_input(key="data_path").set_value("=cmd.csv").run()
    at.button(key="data_load_path").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (entry,) = audit.read(path=audit_log).entries
    assert (entry.actor, entry.action) == ("local user", "load")
    source = source_ids(db)["=cmd.csv"]
    assert entry.detail == {"files": ["=cmd.csv"], "statuses": ["loaded"], "source_ids": [source]}
    shown = [d.value for d in at.dataframe if "actor" in d.value.columns]
    assert len(shown) == 1 and list(shown[0]["files"]) == ["=cmd.csv"]
    downloaded = csv_since(audit.read(path=audit_log).entries, dt.date.fromisoformat(entry.at[:10]))
    rows = list(csv.DictReader(io.StringIO(downloaded.decode("utf-8"))))
    assert [(r["actor"], r["action"], r["files"]) for r in rows] == [("local user", "load", "'=cmd.csv")]
    assert csv_since(audit.read(path=audit_log).entries, dt.date.today() + dt.timedelta(days=2)).count(b"\n") == 1
    at.button(key="data_remove").click().run()  # the load replaced the sample: its file is the one source
    at.button(key="data_remove_confirm").click().run()
    assert not at.exception and any(s.value.startswith("Removed") for s in at.success)
    removal = audit.read(path=audit_log).entries[-1]
    assert (removal.actor, removal.action, removal.detail["source_id"]) == ("local user", "remove", source)
    assert [Path(f).name for f in removal.detail["files"]] == ["=cmd.csv"]


def test_an_unreadable_log_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FINOPS_AUDIT", str(tmp_path))  # a folder
    assert main(["audit"]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {tmp_path}: the audit log could not be read")


@pytest.mark.slow
def test_an_app_load_whose_entry_cannot_be_written_still_loads_and_the_data_page_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pristine_sample(tmp_path / "writable.duckdb")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setenv("FINOPS_IMPORT_ROOT", str(tmp_path))
    monkeypatch.setenv("FINOPS_AUDIT", str(blocked / "audit.jsonl"))
    write_csv(tmp_path / "web.csv", [row(BilledCost="3.30")])
    at = new_app(page="app_pages/data.py").run()
    at.text_input(key="data_path").set_value("web.csv").run()
    at.button(key="data_load_path").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "web.csv" in source_ids(db)
    errors = [e.value for e in at.error]
    written = f"{blocked}/audit.jsonl: the audit log could not be written ("
    assert len(errors) == 1 and errors[0].startswith(f"An action was done but not recorded: {written}")


def only_entry(path: Path) -> audit.Entry:
    """The one entry of the log: a second would mean the action was recorded twice (or another was)."""
    entries = audit.read(path=path).entries
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.slow
def test_saving_rules_on_the_allocation_page_records_the_rules_file_and_its_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path
) -> None:
    rules = tmp_path / "allocation.yaml"
    shutil.copy(SHIPPED_RULES, rules)
    monkeypatch.setenv("FINOPS_RULES", str(rules))
    monkeypatch.setenv("FINOPS_DB", str(pristine_sample(tmp_path / "writable.duckdb")))
    at = new_app(page="app_pages/allocation.py").run()
    text = rules.read_text(encoding="utf-8").replace("split: proportional ", "split: even        ")
    at.text_area(key="alloc_editor").set_value(text).run()
    at.button(key="alloc_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "split: even" in rules.read_text(encoding="utf-8")  # saved, so it must have been recorded
    entry = only_entry(audit_log)
    assert (entry.actor, entry.action) == ("local user", "allocation rules")
    assert entry.detail == {"rules": str(rules), "fingerprint": load_rules(rules).fingerprint()}
    assert entry.detail["fingerprint"] != load_rules(SHIPPED_RULES).fingerprint()  # the rules saved, not the old


@pytest.mark.slow
def test_saving_budgets_on_the_forecast_page_records_the_file_and_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path
) -> None:
    budgets = tmp_path / "budgets.csv"
    budgets.write_text(
        "owner_dimension,owner,month,amount,currency\n"
        "tag:team,ml,2026-06,8000,USD\ntag:team,search,2026-06,5000,USD\ntag:team,web,2026-07,3000,USD\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FINOPS_BUDGETS", str(budgets))
    monkeypatch.setenv("FINOPS_DB", str(pristine_sample(tmp_path / "writable.duckdb")))
    at = new_app(page="app_pages/forecast.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert audit.read(path=audit_log).entries == []  # loading the file on a visit is not a save
    at.button(key="forecast_save_budgets").click().run()  # the three rows loaded from the file, unedited
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == f"Saved to {budgets}." for s in at.success)
    entry = only_entry(audit_log)
    assert (entry.actor, entry.action) == ("local user", "budgets")
    assert entry.detail == {"file": str(budgets), "rows": 3}


@pytest.mark.slow
def test_building_a_showback_pack_records_its_months_owner_and_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(pristine_sample(tmp_path / "writable.duckdb")))
    at = new_app(page="app_pages/showback.py").run()
    at.selectbox(key="showback_first").set_value(dt.date(2026, 4, 1)).run()
    at.selectbox(key="showback_last").set_value(dt.date(2026, 5, 1)).run()
    at.selectbox(key="showback_by").set_value("ProviderName").run()
    at.button(key="showback_build_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = "showback-2026-04_2026-05-ProviderName.xlsx"
    assert [n for n, _ in at.session_state["showback_built"].values()] == [name]
    entry = only_entry(audit_log)
    assert (entry.actor, entry.action) == ("local user", "showback export")
    assert entry.detail == {
        "months": "2026-04 to 2026-05",
        "owner": "ProviderName",
        "outputs": [name],
        "scope": "everything",
        "role": "admin",
    }
