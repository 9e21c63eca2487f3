"""The Commitments page through AppTest: it runs, the widgets drive what it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analytics.commitments.optimise import MARKER_LABELS
from tests.app_fixtures import new_app


def _page(app_db: object) -> AppTest:
    at = new_app({"period": "last_90_days"})
    at.switch_page("app_pages/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_commitments_page_shows_coverage_utilisation_and_esr(app_db: object) -> None:
    at = _page(app_db)
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Coverage", "Utilisation", "ESR vs contracted", "ESR vs list"]
    assert all(m.value.endswith("%") for m in at.metric[:4])


def test_the_savings_table_lists_every_marker_and_the_custom_level(app_db: object) -> None:
    at = _page(app_db)
    tables = [d.value for d in at.dataframe if "Level" in d.value.columns]
    assert tables, "no savings table"
    assert list(tables[0]["Level"]) == [MARKER_LABELS[m] for m in ("lowest", "knee", "max", "conservative", "custom")]


def test_moving_the_slider_changes_the_custom_levels_figures(app_db: object) -> None:
    at = _page(app_db)
    slider = at.slider(key="commitments_level")
    before = [d.value for d in at.dataframe if "Level" in d.value.columns][0].iloc[-1]["Commitment /h"]
    slider.set_value(slider.max / 3).run()
    assert not at.exception
    after = [d.value for d in at.dataframe if "Level" in d.value.columns][0].iloc[-1]["Commitment /h"]
    assert before != after


def test_every_instrument_runs_without_error(app_db: object) -> None:
    at = _page(app_db)
    for kind in ("ri", "azure-ri", "azure-sp", "gcp-cud", "gcp-flex-cud", "ec2-instance-sp"):
        at.selectbox(key="commitments_type").set_value(kind).run()
        assert not at.exception, (kind, [e.value for e in at.exception])
