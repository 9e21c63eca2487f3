"""No stored value may crash a page: a source whose dates are absurd (written around ingest's checks,
as a database from an older version may hold them), or an analytics function that fails, leaves
every page with at most one short error box, no traceback, and the Data page able to remove it."""

from __future__ import annotations

import datetime as dt
import glob
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.ingest.run import ingest_paths
from analytics.store import connect
from tests.app_fixtures import PROJECT, new_app
from tests.focus_rows import row, write_csv

PAGES = sorted(Path(p).relative_to(PROJECT).as_posix() for p in glob.glob(str(PROJECT / "app_pages" / "*.py")))
ABSURD = ["-0044-03-15 00:00:00", "0001-01-01 00:00:00", "9999-12-31 00:00:00"]


def _days(first: dt.date, count: int) -> list[dict[str, object]]:
    rows = []
    for i in range(count):
        day = first + dt.timedelta(days=i)
        month = day.replace(day=1)
        following = (month + dt.timedelta(days=32)).replace(day=1)
        rows.append(
            row(
                ChargePeriodStart=f"{day}T00:00:00Z",
                ChargePeriodEnd=f"{day + dt.timedelta(days=1)}T00:00:00Z",
                BillingPeriodStart=f"{month}T00:00:00Z",
                BillingPeriodEnd=f"{following}T00:00:00Z",
                BilledCost=str(10 + i % 7),
                EffectiveCost=str(8 + i % 5),
                Tags={"team": "web"},
            )
        )
    return rows


def stored_with_date(folder: Path, when: str) -> Path:
    """A database holding good.csv (60 days) and bad.csv, whose three rows were then moved to `when`
    directly in the store, bypassing ingest's date window."""
    rows = _days(dt.date(2026, 3, 1), 60)
    good, bad = write_csv(folder / "good.csv", rows), write_csv(folder / "bad.csv", rows[:3])
    path = folder / "hostile.duckdb"
    con = connect(path)
    try:
        reports = ingest_paths(con, [str(good), str(bad)], "auto", None, keep_going=True)
        assert [r.status for r in reports] == ["loaded", "loaded"]
        con.execute("UPDATE line_items SET ChargePeriodStart = ?::TIMESTAMP WHERE x_SourceFile LIKE '%bad.csv'", [when])
        con.execute(
            "UPDATE daily_costs SET ChargeDay = ?::TIMESTAMP::DATE WHERE x_SourceId = "
            "(SELECT x_SourceId FROM sources WHERE x_SourceFile LIKE '%bad.csv')",
            [when],
        )
    finally:
        con.close()
    return path


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "finops.log"
    monkeypatch.setenv("FINOPS_LOG", str(path))
    return path


def no_traceback(at: AppTest) -> None:
    texts = [e.value for e in (*at.error, *at.warning, *at.info, *at.markdown, *at.caption)]
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Traceback" in t or 'File "' in t for t in texts), texts


@pytest.mark.parametrize("when", ABSURD)
@pytest.mark.parametrize("page", PAGES)
def test_a_stored_date_outside_the_sane_window_breaks_no_page(
    page: str, when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(stored_with_date(tmp_path, when)))
    at = new_app(page=page).run()
    no_traceback(at)
    assert len(at.error) <= 1, [e.value for e in at.error]


def _failing(*args: object, **kwargs: object) -> object:
    raise OverflowError('date value out of range File "/srv/secret/analytics/queries.py", line 9')


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("data.py")])
def test_a_page_whose_analytics_fail_shows_one_error_box_naming_the_sources_and_how_to_remove_one(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(stored_with_date(tmp_path, "2026-03-02 00:00:00")))
    first = new_app(page=page).run()  # the warm-up after the first open fills caches before the failure
    monkeypatch.setattr("analytics.queries.spend", _failing)
    monkeypatch.setattr("analytics.forecast.series.spend", _failing)
    monkeypatch.setattr("analytics.anomalies.series.spend", _failing)
    at = new_app(page=page).run()
    assert not first.exception and not at.exception, [e.value for e in at.exception]
    boxes = [e.value for e in at.error]
    assert len(boxes) <= 1, boxes
    if boxes:
        assert "OverflowError: date value out of range" in boxes[0]
        assert "bad.csv" in boxes[0] and "good.csv" in boxes[0]
        assert "python -m analytics remove SOURCE_ID --yes" in boxes[0] and "**Data** page" in boxes[0]
        assert "/srv/secret" not in boxes[0].split("reference")[1]
        reference = boxes[0].split("reference `")[1].split("`")[0]
        log = log_file.read_text(encoding="utf-8")
        assert f"[{reference}]" in log and "Traceback" in log


@pytest.mark.parametrize("page", ["app_pages/explore.py", "app_pages/overview.py"])
def test_the_pages_built_on_spend_do_show_the_box_when_it_fails(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(stored_with_date(tmp_path, "2026-03-02 00:00:00")))
    monkeypatch.setattr("analytics.queries.spend", _failing)
    at = new_app(page=page).run()
    assert not at.exception
    assert len(at.error) == 1 and "could not be shown" in at.error[0].value


def test_the_data_page_lists_and_removes_a_source_while_the_analytics_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    db = stored_with_date(tmp_path, "-0044-03-15 00:00:00")
    monkeypatch.setenv("FINOPS_DB", str(db))
    monkeypatch.setattr("analytics.queries.spend", _failing)
    monkeypatch.setattr("analytics.forecast.series.spend", _failing)
    monkeypatch.setattr("analytics.anomalies.series.spend", _failing)
    at = new_app(page="app_pages/data.py").run()
    no_traceback(at)
    assert not at.error, [e.value for e in at.error]
    options = at.selectbox(key="data_remove_source").options
    assert any("bad.csv" in o for o in options), options
    at.selectbox(key="data_remove_source").select(next(o for o in options if "bad.csv" in o)).run()
    at.button(key="data_remove").click().run()
    at.button(key="data_remove_confirm").click().run()
    no_traceback(at)
    assert any(s.value.startswith("Removed") for s in at.success)
    con = connect(db)
    try:
        files = [r[0] for r in con.execute("SELECT x_SourceFile FROM sources").fetchall()]
        dates = con.execute("SELECT min(ChargePeriodStart), max(ChargePeriodStart) FROM line_items").fetchone()
    finally:
        con.close()
    assert [Path(f).name for f in files] == ["good.csv"]
    assert dates == (dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 29))


def test_the_error_box_shows_file_names_and_the_failure_as_text_never_markdown() -> None:
    from ui.boundary import failure_message

    exc = ValueError("**bold** [x](http://evil.example) :red[boo]\nsecond line with a path /srv/app.py")
    text = failure_message("The Explore page", exc, "abcd1234", [(7, "**team**[x](http://e).csv")])
    assert "`ValueError: **bold** [x](http://evil.example) :red[boo]`" in text
    assert "7: `**team**[x](http://e).csv`" in text
    assert "second line" not in text and "/srv/app.py" not in text


def test_streamlit_itself_never_sends_a_traceback_to_the_browser() -> None:
    import tomllib

    config = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] in ("type", "none")


@pytest.mark.parametrize("page", ["app_pages/data.py", "app_pages/explore.py", "app_pages/overview.py"])
@pytest.mark.parametrize("rate", ["inf", "1e-12", "nan"])
def test_a_bad_rates_file_is_named_once_and_the_data_page_still_works(
    page: str, rate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    rates = tmp_path / "fx_rates.csv"
    rates.write_text(f"valid_from,currency,usd_per_unit\n2026-01-01,EUR,{rate}\n", encoding="utf-8")
    monkeypatch.setenv("FINOPS_DB", str(stored_with_date(tmp_path, "2026-03-02 00:00:00")))
    monkeypatch.setattr("ui.data.fx_path", lambda: rates)
    at = new_app(page=page).run()
    no_traceback(at)
    boxes = [e.value for e in at.error]
    assert len(boxes) == 1 and f"{rates}, line 2, usd_per_unit: " in boxes[0] and rate in boxes[0], boxes
    if page.endswith("data.py"):
        assert any("bad.csv" in o for o in at.selectbox(key="data_remove_source").options)
        assert [h.value for h in at.subheader][:3] == ["What is loaded", "Data freshness", "Load cost exports"]


def test_an_allocation_that_fails_on_opening_leaves_the_data_page_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(stored_with_date(tmp_path, "2026-03-02 00:00:00")))

    def overflow(*args: object, **kwargs: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr("analytics.sources.is_current", lambda *args: False)  # the rules changed meanwhile
    monkeypatch.setattr("ui.data.refresh", overflow)  # so opening the store re-applies them first
    at = new_app(page="app_pages/data.py").run()
    no_traceback(at)
    assert any("bad.csv" in o for o in at.selectbox(key="data_remove_source").options)
    banner = [e.value for e in at.error if "allocation rules cannot be applied" in e.value]
    assert len(banner) == 1 and "OverflowError: date value out of range" in banner[0]
    reference = banner[0].split("(reference ")[1].split(",")[0]
    assert f"[{reference}] applying the allocation rules failed" in log_file.read_text(encoding="utf-8")
