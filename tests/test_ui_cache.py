"""ui.cache: one helper caches every analytics call of the app, keyed on the call's arguments plus
the loaded data's version and the stamps of the files it reads (the FX table, any other), never on
the engine or the FX table themselves."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ui import cache
from ui import data as ui_data


class _Unhashable:
    """Stands for the engine and the FX table: Streamlit could not hash it (it holds a lock)."""

    def __init__(self, source: str = "") -> None:
        self.lock, self.source = threading.Lock(), source


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    rates = tmp_path / "fx_rates.csv"
    rates.write_text("valid_from,currency,usd_per_unit\n")
    state: dict[str, object] = {"version": "v1", "rates": rates}
    monkeypatch.setattr(ui_data, "engine", lambda: _Unhashable())
    monkeypatch.setattr(ui_data, "fx", lambda: _Unhashable(str(rates)))
    monkeypatch.setattr(ui_data, "db_key", lambda: state["version"])
    return state


def _touch(path: Path) -> None:
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))


def test_a_call_is_computed_once_per_arguments_and_again_after_a_write(world: dict[str, object]) -> None:
    calls: list[tuple[int, str]] = []

    @cache.cached(max_entries=8)
    def doubled(engine: object, amount: int, unit: str = "USD") -> str:
        calls.append((amount, unit))
        return f"{2 * amount} {unit}"

    assert doubled(1) == doubled(1) == "2 USD"
    assert doubled(1, unit="EUR") == "2 EUR" and doubled(2) == "4 USD"
    assert calls == [(1, "USD"), (1, "EUR"), (2, "USD")]
    world["version"] = "v2"  # what ui.data.changed() leads to: the data moved on
    assert doubled(1) == "2 USD" and calls[-1] == (1, "USD") and len(calls) == 4


def test_editing_the_exchange_rates_file_recomputes_what_was_converted(world: dict[str, object]) -> None:
    calls: list[int] = []

    @cache.cached_fx(max_entries=8)
    def converted(engine: object, fx: _Unhashable, amount: int) -> int:
        assert Path(fx.source) == world["rates"]
        calls.append(amount)
        return amount

    converted(5)
    converted(5)
    _touch(Path(str(world["rates"])))
    converted(5)
    assert calls == [5, 5]


def test_a_file_the_call_reads_joins_the_key(world: dict[str, object], tmp_path: Path) -> None:
    corrections = tmp_path / "commitments.csv"
    calls: list[bool] = []

    @cache.cached_fx(max_entries=8, files=lambda: (corrections,))
    def inventory(engine: object, fx: object) -> bool:
        calls.append(corrections.exists())
        return corrections.exists()

    assert inventory() is False and inventory() is False
    corrections.write_text("id\n")  # created while the app runs
    assert inventory() is True
    _touch(corrections)
    inventory()
    assert calls == [False, True, True]


def test_two_cached_functions_never_share_results(world: dict[str, object]) -> None:
    @cache.cached(max_entries=8)
    def first(engine: object, value: int) -> str:
        return f"first {value}"

    @cache.cached(max_entries=8)
    def second(engine: object, value: int) -> str:
        return f"second {value}"

    assert (first(1), second(1)) == ("first 1", "second 1")


def test_a_file_stamp_is_its_path_and_modification_time_and_zero_while_it_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    assert ui_data.file_stamp(path) == (str(path), 0.0)
    path.write_text("owner: tag:team\n")
    assert ui_data.file_stamp(path) == (str(path), path.stat().st_mtime)
