"""Writes are for admins only (issue 14): a user who is not an admin sees every page read-only, with
no control that would write (no button that saves or loads, no data editor, no file uploader), never a
server path or a file's contents, and the Showback pack they download leaves the store as it was.
The grant is monkeypatched (ui.identity.grant); single-user mode, the admin, is the other tests' case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import audit, store
from analytics.access import Grant, Scope
from analytics.ingest.run import ingest_paths
from tests.app_fixtures import PROJECT, new_app, pristine_sample
from tests.focus_rows import row, write_csv
from ui import identity
from ui.data_tables import sources_frame

VIEWER = Grant("viewer", Scope(True, ()), ("test",))
ANALYST = Grant("analyst", Scope(True, ()), ("test",))
AWS_ONLY = Grant("viewer", Scope(False, ((("ProviderName", ("AWS",)),),)), ("aws team",))

# Per page, the keys of the widgets that write (or lead to a write) as an admin sees them.
WRITE_KEYS = {
    "app_pages/data.py": {"data_remove", "data_load_uploads", "data_uploads_0", "audit_download", "unit_upload"},
    "app_pages/allocation.py": {"alloc_save", "alloc_preview", "alloc_discard", "alloc_editor", "alloc_dim_add"},
    "app_pages/forecast.py": {"forecast_save_budgets", "forecast_budgets"},
    "app_pages/unit_economics.py": {"unit_save_targets", "unit_upload"},
    "app_pages/rightsizing.py": {"rightsizing_upload", "rightsizing_sheet_upload"},
}
READ_ONLY_NOTE = {
    "app_pages/data.py": "load or remove data",
    "app_pages/allocation.py": "change the allocation rules",
    "app_pages/forecast.py": "change the budgets",
    "app_pages/unit_economics.py": "change the targets",
}
PAGES = [
    "app_pages/data.py",
    "app_pages/allocation.py",
    "app_pages/forecast.py",
    "app_pages/unit_economics.py",
    "app_pages/rightsizing.py",
    "app_pages/commitments.py",
    "app_pages/showback.py",
    "app_pages/overview.py",
    "app_pages/explore.py",
    "app_pages/anomalies.py",
]


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Callable[[Grant], None]:
    """Make every page run see `grant` as this session's (as a sign-in through the access rules would)."""

    def become(grant: Grant) -> None:
        monkeypatch.setattr(identity, "grant", lambda: grant)

    return become


@pytest.fixture
def store_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the sample for this test (FINOPS_DB), and its own audit log and targets file."""
    path = pristine_sample(tmp_path / "sample.duckdb")
    monkeypatch.setenv("FINOPS_DB", str(path))
    monkeypatch.setenv("FINOPS_AUDIT", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("FINOPS_UNIT_TARGETS", str(tmp_path / "unit_targets.csv"))
    monkeypatch.setenv("FINOPS_LOG", str(tmp_path / "finops.log"))
    return path


def opened(page: str) -> AppTest:
    at = new_app(page=page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keys(at: AppTest) -> set[str]:
    """The user keys of every button, download, text area, data editor and file uploader drawn."""
    found: set[str] = set()
    for kind in ("button", "download_button", "text_area", "file_uploader", "dataframe"):
        for element in at.get(kind):
            if kind == "dataframe" and element.proto.editing_mode == 0:  # a read-only table
                continue
            key = getattr(element, "key", None) or element.proto.id.rsplit("-", 1)[-1]
            found.add(str(key))
    return found


def editors(at: AppTest) -> list[object]:
    return [e for e in at.dataframe if e.proto.editing_mode != 0]


def shown_text(at: AppTest) -> str:
    """Everything a page says: its text elements and the cells of its tables."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "code", "text", "subheader", "metric"):
        for element in at.get(kind):
            parts.append(str(getattr(element, "value", "")))
    parts += [e.value.to_csv() for e in at.dataframe]
    return "\n".join(parts)


def notes(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if "Read-only: only an administrator can" in c.value]


def test_the_write_keys_the_viewer_tests_look_for_are_drawn_for_an_admin(store_copy, as_user):
    at = opened("app_pages/data.py")
    assert {"data_remove", "data_load_uploads", "data_uploads_0", "unit_upload", "rightsizing_upload"} <= keys(at)
    assert "Audit log" in [s.value for s in at.subheader]
    for page in ("app_pages/forecast.py", "app_pages/unit_economics.py"):
        at = opened(page)
        assert editors(at), page
    at = opened("app_pages/allocation.py")
    assert {"alloc_save", "alloc_preview", "alloc_editor"} <= keys(at)
    at = opened("app_pages/rightsizing.py")
    assert {"rightsizing_upload", "rightsizing_sheet_upload"} <= keys(at)
    assert not any(notes(opened(p)) for p in READ_ONLY_NOTE)


@pytest.mark.parametrize("page", PAGES)
def test_a_viewer_sees_the_page_with_no_control_that_writes(page, store_copy, as_user):
    as_user(VIEWER)
    at = opened(page)
    assert not at.error, [e.value for e in at.error]
    found = keys(at)
    assert not (found & set().union(*WRITE_KEYS.values())), found
    assert not editors(at)
    assert not at.get("file_uploader")
    assert not at.text_area
    labels = {b.label for b in at.button}
    assert not labels & {"Save and apply", "Save budgets", "Save targets", "Load", "Remove…", "Preview the effect"}
    if page in READ_ONLY_NOTE:
        assert f"Read-only: only an administrator can {READ_ONLY_NOTE[page]}." in " ".join(notes(at))


def test_an_analyst_may_bring_a_price_sheet_for_the_what_if_but_not_load_utilisation(store_copy, as_user):
    as_user(ANALYST)
    at = opened("app_pages/rightsizing.py")
    assert "rightsizing_sheet_upload" in keys(at)
    assert "rightsizing_upload" not in keys(at) and "rightsizing_load" not in keys(at)
    assert any("load utilisation metrics" in n for n in notes(at))


def test_a_viewer_sees_no_audit_log_no_database_path_and_is_told_the_mode(store_copy, as_user):
    as_user(VIEWER)
    at = opened("app_pages/data.py")
    titles = [s.value for s in at.subheader]
    assert "Audit log" not in titles and "Load cost exports" not in titles and "From the command line" not in titles
    text = shown_text(at)
    assert str(store_copy) not in text and str(store_copy.parent) not in text
    assert any("Single-user mode" in i.value for i in at.info)


def _server_file(folder: Path) -> Path:
    """A store at `folder` holding one FOCUS file loaded from a server folder (by its full path)."""
    exports = folder / "exports" / "aws"
    exports.mkdir(parents=True)
    month = dt.date(2026, 3, 1)
    rows = [
        row(
            ChargePeriodStart=f"{month + dt.timedelta(days=i)}T00:00:00Z",
            ChargePeriodEnd=f"{month + dt.timedelta(days=i + 1)}T00:00:00Z",
            BillingPeriodStart="2026-03-01T00:00:00Z",
            BillingPeriodEnd="2026-04-01T00:00:00Z",
            BilledCost="12.5",
            EffectiveCost="10",
        )
        for i in range(20)
    ]
    source = write_csv(exports / "acme-2026-03.csv", rows)
    path = folder / "server.duckdb"
    con = store.connect(path)
    try:
        (report,) = ingest_paths(con, [str(source)], "auto", None, keep_going=True)
        assert report.status == "loaded"
    finally:
        con.close()
    return path


def test_a_viewer_sees_a_source_by_its_file_name_where_an_admin_sees_its_path(tmp_path, monkeypatch, as_user):
    monkeypatch.setenv("FINOPS_DB", str(_server_file(tmp_path)))
    folder = str(tmp_path / "exports")
    admin = opened("app_pages/data.py")
    assert list(admin.dataframe[0].value["Source"]) == [str(tmp_path / "exports" / "aws" / "acme-2026-03.csv")]
    as_user(VIEWER)
    at = opened("app_pages/data.py")
    assert list(at.dataframe[0].value["Source"]) == ["acme-2026-03.csv"]
    assert folder not in shown_text(at)


def test_a_viewer_who_sees_everything_reads_the_rules_and_a_scoped_one_does_not(store_copy, as_user, monkeypatch):
    shipped = PROJECT / "data" / "allocation.yaml"
    monkeypatch.setenv("FINOPS_RULES", str(shipped))
    as_user(VIEWER)
    at = opened("app_pages/allocation.py")
    assert [c.value.strip() for c in at.code if c.language == "yaml"] == [shipped.read_text(encoding="utf-8").strip()]
    assert "Rules in force: `allocation.yaml`" in " ".join(c.value for c in at.caption)
    assert str(shipped.parent) not in shown_text(at)
    as_user(AWS_ONLY)
    at = opened("app_pages/allocation.py")
    assert not [c for c in at.code if c.language == "yaml"]
    assert "data-platform, analytics, ml" not in shown_text(at)
    assert any("shown only to those who see all spend" in c.value for c in at.caption)


def _packs(path: Path) -> int:
    con = store.reader(path)
    try:
        return int(con.execute("SELECT count(*) FROM showback_packs").fetchone()[0])
    finally:
        con.close()


def _entries(path: Path, action: str) -> list[audit.Entry]:
    return [e for e in audit.read(None, path).entries if e.action == action]


def test_a_viewers_pack_download_records_no_pack_and_leaves_the_store_generation_as_it_was(
    store_copy, as_user, tmp_path
):
    as_user(VIEWER)
    at = opened("app_pages/showback.py")
    before, packs = store.generations(store_copy), _packs(store_copy)
    at.button(key="showback_build_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("download_button")
    ((name, content),) = at.session_state["showback_built"].values()
    assert content[:2] == b"PK"
    assert store.generations(store_copy) == before
    assert _packs(store_copy) == packs
    (entry,) = _entries(tmp_path / "audit.jsonl", "showback export")
    assert entry.detail["role"] == "viewer" and entry.detail["scope"] == "everything"
    assert entry.detail["outputs"] == [name]


def test_an_admins_pack_is_recorded_for_change_detection_and_audited_with_its_scope(store_copy, tmp_path):
    at = opened("app_pages/showback.py")
    packs = _packs(store_copy)
    at.button(key="showback_build_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _packs(store_copy) == packs + 1
    (entry,) = _entries(tmp_path / "audit.jsonl", "showback export")
    assert entry.detail["role"] == "admin" and entry.detail["scope"] == "everything"


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch, as_user) -> None:
    """A session signed in through OIDC as ana@example.com, a viewer of AWS spend."""
    monkeypatch.setattr(identity, "auth_configured", lambda: True)
    monkeypatch.setattr(identity, "gate", lambda: None)
    monkeypatch.setattr(identity, "actor", lambda: "ana@example.com")
    as_user(AWS_ONLY)


def test_a_signed_in_users_view_of_a_month_range_is_audited_once_a_session(store_copy, signed_in, tmp_path):
    at = opened("app_pages/showback.py")
    at.run()
    at.run()
    views = _entries(tmp_path / "audit.jsonl", "showback view")
    assert len(views) == 1
    assert views[0].actor == "ana@example.com"
    assert views[0].detail["scope"] == "ProviderName = AWS" and views[0].detail["role"] == "viewer"
    first = at.selectbox(key="showback_first")
    assert len(first.options) > 1
    first.select_index(0 if first.index else 1).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    views = _entries(tmp_path / "audit.jsonl", "showback view")
    assert len(views) == 2 and views[0].detail["months"] != views[1].detail["months"]


def test_in_single_user_mode_opening_showback_is_not_audited(store_copy, tmp_path):
    opened("app_pages/showback.py")
    assert _entries(tmp_path / "audit.jsonl", "showback view") == []


def _failing(*args: object, **kwargs: object) -> object:
    raise OverflowError('date value out of range File "/srv/secret/analytics/queries.py", line 9')


def test_a_failing_page_tells_a_viewer_only_a_reference_and_an_admin_the_details(store_copy, monkeypatch, as_user):
    monkeypatch.setattr("analytics.queries.spend", _failing)
    admin = opened("app_pages/explore.py")
    assert len(admin.error) == 1 and "OverflowError" in admin.error[0].value
    as_user(VIEWER)
    at = opened("app_pages/explore.py")
    (box,) = [e.value for e in at.error]
    reference = box.split("`")[1]
    assert box == f"Something went wrong (reference `{reference}`)."
    assert f"[{reference}]" in (store_copy.parent / "finops.log").read_text(encoding="utf-8")


def test_a_broken_rates_file_is_not_quoted_to_a_viewer(store_copy, monkeypatch, as_user, tmp_path):
    rates = tmp_path / "secret-rates.csv"
    rates.write_text("valid_from,currency,usd_per_unit\nroot:x:0:0:root,EUR,abc\n", encoding="utf-8")
    monkeypatch.setattr("ui.data.fx_path", lambda: rates)
    admin = opened("app_pages/explore.py")
    assert any("secret-rates.csv" in e.value for e in admin.error)
    assert any("root:x" in e.value for e in opened("app_pages/data.py").error)
    as_user(VIEWER)
    at = opened("app_pages/explore.py")
    assert at.error and "reference" in at.error[0].value
    assert "root:x" not in shown_text(at) and "secret-rates" not in shown_text(at)
    at = opened("app_pages/data.py")
    assert any("exchange-rate file cannot be used" in e.value for e in at.error)
    assert "root:x" not in shown_text(at) and "secret-rates" not in shown_text(at)


def test_a_broken_budgets_file_is_not_quoted_to_a_viewer(store_copy, monkeypatch, as_user, tmp_path):
    budgets = tmp_path / "budgets.csv"
    budgets.write_text(
        "owner_dimension,owner,month,amount,currency\ntag:team,root:x:0:0,2026-06,not a number,USD\n", encoding="utf-8"
    )
    monkeypatch.setenv("FINOPS_BUDGETS", str(budgets))
    admin = opened("app_pages/forecast.py")
    assert "not a number" in shown_text(admin)
    as_user(VIEWER)
    for page in ("app_pages/forecast.py", "app_pages/overview.py"):
        at = opened(page)
        assert "budgets file cannot be used" in shown_text(at)
        assert "root:x" not in shown_text(at) and "not a number" not in shown_text(at)


def test_without_paths_a_source_is_its_file_name_and_its_notes_name_no_server_folder():
    entry = {
        "id": 3,
        "provider": ["AWS"],
        "format": "focus",
        "source": "/srv/exports/aws/march.csv",
        "billing_periods": ["2026-03"],
        "rows": 20,
        "totals": {"USD": 250.0},
        "ingested_at": "2026-03-31T10:00:00",
        "report": {"warnings": ["the earlier copy /srv/exports/aws/old/march.csv replaced"], "fixes": []},
    }
    staged = dict(entry, source="/tmp/finops-upload-ab12/april.csv", report={})
    admin = sources_frame([entry, staged])
    assert list(admin["Source"]) == ["/srv/exports/aws/march.csv", "april.csv (uploaded)"]
    shown = sources_frame([entry, staged], paths=False)
    assert list(shown["Source"]) == ["march.csv", "april.csv (uploaded)"]
    assert shown["Fixes and warnings"][0] == "warning: the earlier copy march.csv replaced"
    assert "/srv" not in shown.to_csv()
    scoped = sources_frame([entry, staged], paths=False, notes=False)  # notes speak of whole files
    assert list(scoped["Fixes and warnings"]) == ["(for administrators)"] * 2


def test_a_viewer_is_told_an_administrator_corrects_commitments_not_which_file_to_edit(store_copy, as_user):
    admin = " ".join(c.value for c in opened("app_pages/commitments.py").caption)
    assert "correct them in `data/commitments.csv`" in admin
    as_user(VIEWER)
    text = " ".join(c.value for c in opened("app_pages/commitments.py").caption)
    assert "an administrator corrects them" in text and "commitments.csv" not in text
