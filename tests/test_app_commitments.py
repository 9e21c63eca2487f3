"""The Commitments page through AppTest: it runs, the widgets drive what it shows."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.commitments.instruments import INSTRUMENTS
from analytics.commitments.optimise import MARKER_LABELS
from tests.app_fixtures import PROJECT, new_app


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


def _default_rates() -> dict[tuple[str, str, str], float]:
    """data/discount_rates.csv read with the csv module: (instrument, term, payment) -> rate."""
    with (PROJECT / "data" / "discount_rates.csv").open(encoding="utf-8", newline="") as handle:
        return {
            (r["instrument"], r["term_years"], r["payment"]): float(r["discount_rate"]) for r in csv.DictReader(handle)
        }


def _shown(at: AppTest, column: str) -> pd.DataFrame:
    [frame] = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


@pytest.mark.slow
def test_every_instrument_shows_its_recommendation_its_levels_and_the_rates_from_the_rates_file(
    app_db: object,
) -> None:
    at = _page(app_db)
    defaults = _default_rates()
    for kind in INSTRUMENTS:
        at.selectbox(key="commitments_type").set_value(kind).run()
        assert not at.exception, (kind, [e.value for e in at.exception])
        label = INSTRUMENTS[kind].label
        assert any(f"Coverage of the {label} families" in m.value for m in at.markdown), kind
        # The recommendation sentence and the levels table say the same: the maximum-savings and
        # the conservative levels, every marker listed and the user's own level last.
        [sentence] = [m.value.replace("\\$", "$") for m in at.markdown if m.value.startswith("**Recommendation:")]
        levels = _shown(at, "Level").set_index("Level")
        assert list(levels.index) == [MARKER_LABELS[m] for m in ("lowest", "knee", "max", "conservative", "custom")]
        best, safe = levels.loc[MARKER_LABELS["max"]], levels.loc[MARKER_LABELS["conservative"]]
        assert sentence.startswith(
            f"**Recommendation: {best['Commitment /h']}/h**, saving {best['Net savings /month']}"
        )
        assert f"(conservative: {safe['Commitment /h']}/h)" in sentence
        # Each family's discount is the rates file's row for the instrument, term and payment chosen.
        term, payment = str(at.radio(key="commitments_term").value), at.selectbox(key="commitments_payment").value
        rates = _shown(at, "discount")
        assert not rates.empty, kind
        for family, discount, source in rates[["family", "discount", "source"]].itertuples(index=False):
            assert INSTRUMENTS[kind].serves(family.split("|")[0]), (kind, family)
            row = source.removeprefix("default table (").removesuffix(")")
            assert source.startswith("default table (") and row.split(":")[0] == kind, source
            assert abs(discount - 100 * defaults[(row, term, payment)]) < 1e-9, (kind, family)  # shown in %


def test_opening_the_page_reads_the_commitment_inventory_once(app_db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # The inventory is the page's one query over every commitment line item (most of them, at 10M):
    # the table under Today and the plans share it rather than each running it.
    import streamlit as st

    from analytics.commitments import inventory as inventory_mod

    calls = []
    real = inventory_mod.inventory

    def counted(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inventory_mod, "inventory", counted)
    st.cache_data.clear()
    at = _page(app_db)
    assert [d.value for d in at.dataframe if "Commitment" in d.value.columns], "no inventory table"
    assert len(calls) == 1
