"""The Showback page through AppTest, on the session's sample company."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.app_fixtures import new_app
from tests.showback_helpers import table_rows

PAGE = "app_pages/showback.py"


@pytest.fixture
def app_db(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy: building a pack records it in the database."""
    monkeypatch.setenv("FINOPS_DB", str(sample_copy))
    return sample_copy


def open_page():
    at = new_app(page=PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_the_page_shows_the_owners_and_that_the_month_ties_out(app_db):
    at = open_page()
    assert next(m.value for m in at.metric if m.label == "Reconciliation difference") == "0.00"
    frame = at.dataframe[0].value
    assert list(frame.columns[:4]) == ["Owner", "Direct", "Shared received", "Total"]
    assert len(frame) >= 2


def test_choosing_another_owner_dimension_changes_the_summary(app_db):
    at = open_page()
    owners = set(at.dataframe[0].value["Owner"])
    at.selectbox(key="showback_by").set_value("ProviderName").run()
    assert not at.exception
    assert set(at.dataframe[0].value["Owner"]) != owners
    assert {"AWS", "Microsoft"} <= set(at.dataframe[0].value["Owner"])


def test_building_the_workbook_offers_a_pack_that_opens_in_excel_readers(app_db):
    at = open_page()
    at.button(key="showback_build_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("download_button")
    ((name, content),) = at.session_state["showback_built"].values()
    assert name.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames[0] == "Cover" and "Reconciliation" in wb.sheetnames
    _, rows = table_rows(wb["Summary"], "Owner")
    pack_total = sum(Decimal(str(r[3])) for r in rows if r[0] != "Total")
    shown = next(m.value for m in at.metric if m.label.startswith("Total ("))
    assert Decimal(shown.replace(",", "")) == pack_total.quantize(Decimal("0.01"))
