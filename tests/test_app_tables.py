"""Every table on every page, through AppTest on the session's sample: one way to write numbers
(analytics.formatting), and never a literal None, nan or NaT in a cell."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analytics.formatting import DASH, TABLE_FORMATS
from tests.app_fixtures import PROJECT, new_app
from tests.store_state import copy_store
from tests.test_forecast_company import company_db  # noqa: F401

PAGES = sorted(p.relative_to(PROJECT).as_posix() for p in (PROJECT / "app_pages").glob("*.py"))
LITERALS = {"None", "nan", "NaN", "NaT", "<NA>", "none", "null"}


def _config(proto: object) -> dict[str, dict]:
    raw = getattr(proto, "columns", "") or "{}"
    columns = json.loads(raw)
    return {str(k).removeprefix("name:"): v for k, v in columns.items()}  # keys are "name:<column>"


def _problems(page: str, number: int, frame: pd.DataFrame, config: dict[str, dict], placeholder: str) -> list[str]:
    found = []
    for column in frame.columns:
        where = f"{page} table {number} column {column!r}"
        settings = config.get(str(column), {})
        values = frame[column]
        if values.isna().any():
            if placeholder != DASH:
                found.append(f"{where}: a missing value is shown as {placeholder or 'None'!r}, not {DASH!r}")
            if not settings.get("help"):
                found.append(f"{where}: has missing values but no help saying why")
        shown = {str(v) for v in values.dropna() if isinstance(v, str)}
        if literal := shown & LITERALS:
            found.append(f"{where}: shows the literal {sorted(literal)}")
        if pd.api.types.is_float_dtype(values):
            fmt = (settings.get("type_config") or {}).get("format")
            if fmt not in TABLE_FORMATS:
                many = [v for v in values.dropna() if not math.isclose(v, round(v, 2))]
                example = values.dropna().head(1).tolist()
                found.append(
                    f"{where}: numbers written with format {fmt!r} (e.g. {example}; {len(many)} with >2 decimals)"
                )
    return found


@pytest.mark.slow
@pytest.mark.parametrize("period", ["default", "all"])
@pytest.mark.parametrize("page", PAGES)
def test_every_table_writes_numbers_one_way_and_never_shows_none(app_db: Path, page: str, period: str) -> None:
    # "all": every day of the sample, so pages that list events (Anomalies) have rows to show.
    at = new_app(page=page, query={} if period == "default" else {"period": period}).run()
    assert not at.exception, [e.value for e in at.exception]
    if page.endswith("forecast.py"):
        assert at.dataframe, f"{page}: no table to check"
    problems: list[str] = []
    for number, table in enumerate(at.dataframe):
        problems += _problems(page, number, table.value, _config(table.proto), table.proto.placeholder)
    for number, static in enumerate(at.table):  # st.table: written out by the page, cell by cell
        problems += _static_problems(page, number, static.value)
    assert problems == [], "\n".join(problems)


def _static_problems(page: str, number: int, frame: pd.DataFrame) -> list[str]:
    found = []
    for column in frame.columns:
        where = f"{page} static table {number} column {column!r}"
        if frame[column].isna().any() or {str(v) for v in frame[column]} & LITERALS:
            found.append(f"{where}: shows None, nan or NaT")
        if pd.api.types.is_float_dtype(frame[column]):
            found.append(f"{where}: raw numbers, not written by analytics.formatting")
    return found


@pytest.mark.slow
def test_the_anomaly_tables_of_the_sample_company_write_numbers_one_way(
    company_db: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The small session sample has no anomaly over the $50 gate; the default company has open ones.
    copy = tmp_path / "company.duckdb"
    copy_store(company_db, copy)  # the app opens its database read-write
    monkeypatch.setenv("FINOPS_DB", str(copy))
    at = new_app({"period": "last_90_days"}, page="app_pages/anomalies.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe) >= 2  # the events and one event's root cause
    problems: list[str] = []
    for number, table in enumerate(at.dataframe):
        problems += _problems("anomalies", number, table.value, _config(table.proto), table.proto.placeholder)
    assert problems == [], "\n".join(problems)
