"""The sample companies the tests share are built once, kept on disk under a key that changes with the
generator's code, and handed out as copies (tests/sample_cache.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import sample_cache

AS_OF = dt.date(2026, 6, 15)


def _mini_project(root: Path) -> Path:
    """A project whose generator imports the store, which imports the schema; fx is not imported."""
    files = {
        "analytics/__init__.py": "",
        "analytics/sample/__init__.py": "from analytics.sample.build import build_sample\n",
        "analytics/sample/build.py": "from analytics import store\n\ndef build_sample():\n    from . import plan\n",
        "analytics/sample/plan.py": "X = 1\n",
        "analytics/store.py": "from analytics.schema import COLUMNS\n",
        "analytics/schema.py": "COLUMNS = ['BilledCost']\n",
        "analytics/fx.py": "RATES = {}\n",
        "data/fx_rates.csv": "valid_from,currency,usd_per_unit\n",
        "data/logs/finops.log": "a line\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_generators_sources_are_found_by_following_its_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sample_cache, "PROJECT", _mini_project(tmp_path))
    found = {str(p.relative_to(tmp_path)) for p in sample_cache.generator_sources()}
    assert found == {
        "analytics/__init__.py",
        "analytics/sample/__init__.py",
        "analytics/sample/build.py",
        "analytics/sample/plan.py",  # a relative import inside a function
        "analytics/store.py",
        "analytics/schema.py",  # imported by the store, not by the generator itself
    }


def test_the_real_generator_depends_on_the_store_the_schema_and_the_allocation() -> None:
    found = {p.relative_to(sample_cache.PROJECT).as_posix() for p in sample_cache.generator_sources()}
    assert {"analytics/sample/build.py", "analytics/store/__init__.py", "analytics/schema.py"} <= found
    assert "analytics/allocation/refresh.py" in found  # the build applies the rules last
    assert not any(name.startswith(("analytics/forecast/", "analytics/showback/")) for name in found)


def test_the_key_changes_with_the_code_the_shipped_data_the_rules_and_the_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _mini_project(tmp_path / "project")
    monkeypatch.setattr(sample_cache, "PROJECT", root)
    rules = tmp_path / "rules.yaml"
    rules.write_text("owner: tag:team\n")
    monkeypatch.setenv("FINOPS_RULES", str(rules))
    first = sample_cache.cache_key(rows=100)
    assert sample_cache.cache_key(rows=100) == first
    assert sample_cache.cache_key(rows=200) != first
    (root / "data" / "logs" / "finops.log").write_text("another line\n")  # not an input of the build
    (root / "analytics" / "fx.py").write_text("RATES = {'EUR': 1.1}\n")  # not imported by the generator
    assert sample_cache.cache_key(rows=100) == first
    changes = [
        (root / "analytics" / "schema.py", "COLUMNS = ['BilledCost', 'EffectiveCost']\n"),
        (root / "analytics" / "sample" / "plan.py", "X = 2\n"),
        (root / "data" / "fx_rates.csv", "valid_from,currency,usd_per_unit\n2026-01-01,EUR,1.1\n"),
        (rules, "owner: tag:owner\n"),
    ]
    seen = {first}
    for path, text in changes:
        path.write_text(text)
        key = sample_cache.cache_key(rows=100)
        assert key not in seen, path.name
        seen.add(key)


def _fake_build(builds: list[int], fail: bool = False) -> Callable[[Path, int | None, int, int, dt.date], None]:
    def build(target: Path, rows: int | None, months: int, seed: int, as_of: dt.date) -> None:
        builds.append(seed)
        time.sleep(0.2)  # long enough for the other threads to arrive while it builds
        if fail:
            raise RuntimeError("the build broke half way")
        target.write_bytes(f"sample {rows} {months} {seed} {as_of}".encode())

    return build


def test_workers_asking_at_once_share_one_build_and_each_gets_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sample_cache, "CACHE", tmp_path / "cache")
    builds: list[int] = []
    monkeypatch.setattr(sample_cache, "_build", _fake_build(builds))
    # Workers are processes; these threads stand in for them, and CPython 3.11's ast.parse, which
    # the key is computed with, is not safe to run in several threads at once.
    key = sample_cache.cache_key(rows=5)
    monkeypatch.setattr(sample_cache, "cache_key", lambda **params: key)
    targets = [tmp_path / f"worker-{i}.duckdb" for i in range(4)]
    threads = [
        threading.Thread(
            target=sample_cache.cached_sample,
            args=("t", target),
            kwargs={"rows": 5, "months": 1, "seed": 3, "as_of": AS_OF},
        )
        for target in targets
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [3]
    assert {t.read_bytes() for t in targets} == {b"sample 5 1 3 2026-06-15"}
    cached = next((tmp_path / "cache").glob("t-*.duckdb"))
    assert cached.stat().st_ino not in {t.stat().st_ino for t in targets}  # copies: a test may write to its own
    sample_cache.cached_sample("t", tmp_path / "later.duckdb", rows=5, months=1, seed=3, as_of=AS_OF)
    assert builds == [3]  # a later session reuses it


def test_a_build_that_fails_leaves_nothing_in_the_cache_and_the_next_one_builds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    killed = [cache / ".t-0123456789abcdef-99.building.duckdb", cache / ".t-0123456789abcdef-99.building.duckdb.wal"]
    for path in killed:  # what a run killed in the middle of a build leaves behind
        path.write_bytes(b"half")
    monkeypatch.setattr(sample_cache, "CACHE", cache)
    builds: list[int] = []
    monkeypatch.setattr(sample_cache, "_build", _fake_build(builds, fail=True))
    with pytest.raises(RuntimeError, match="half way"):
        sample_cache.cached_sample("t", tmp_path / "a.duckdb", rows=5, months=1, seed=3, as_of=AS_OF)
    assert sorted(p.name for p in cache.iterdir()) == ["t.lock"]
    monkeypatch.setattr(sample_cache, "_build", _fake_build(builds))
    sample_cache.cached_sample("t", tmp_path / "b.duckdb", rows=5, months=1, seed=3, as_of=AS_OF)
    assert builds == [3, 3] and (tmp_path / "b.duckdb").read_bytes() == b"sample 5 1 3 2026-06-15"


def test_a_new_key_replaces_the_stale_build_of_the_same_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setattr(sample_cache, "CACHE", cache)
    monkeypatch.setattr(sample_cache, "_build", _fake_build([]))
    sample_cache.cached_sample("t", tmp_path / "a.duckdb", rows=5, months=1, seed=3, as_of=AS_OF)
    sample_cache.cached_sample("other", tmp_path / "b.duckdb", rows=5, months=1, seed=3, as_of=AS_OF)
    sample_cache.cached_sample("t", tmp_path / "c.duckdb", rows=6, months=1, seed=3, as_of=AS_OF)
    builds = sorted(p.name.split("-")[0] for p in cache.glob("*.duckdb"))
    assert builds == ["other", "t"]
