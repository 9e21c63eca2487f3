"""`pytest -m "not slow"` is the quick subset: the families of many cases named in tests/conftest.py keep
their first cases in it and run whole in the full suite."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import conftest


@dataclass
class _Item:
    path: Path
    originalname: str
    markers: list[str] = field(default_factory=list)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)


def test_a_family_keeps_its_first_cases_in_the_quick_subset_and_marks_the_rest_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conftest, "FAMILIES", {("test_cli_remove.py", "test_each_case"): 2})
    items = [_Item(Path("tests/test_cli_remove.py"), "test_each_case") for _ in range(4)]
    items.insert(1, _Item(Path("tests/test_cli_remove.py"), "test_another"))
    items.append(_Item(Path("tests/test_other.py"), "test_each_case"))
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.markers for i in items] == [[], [], [], ["slow"], ["slow"], []]


@pytest.mark.parametrize(("module", "function"), sorted(conftest.FAMILIES))
def test_every_family_named_for_the_quick_subset_is_a_test_that_exists(module: str, function: str) -> None:
    tests = importlib.import_module(f"tests.{Path(module).stem}")
    assert callable(getattr(tests, function, None)), f"tests/conftest.py names {module}::{function}, which is gone"
