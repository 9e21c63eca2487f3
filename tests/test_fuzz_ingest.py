"""Seeded fuzz of ingest: real and generated exports of every format, mutated (columns dropped or
doubled, line endings, encodings, delimiters, quotes, extreme numbers, dates and strings, nested tags,
cut files, misleading suffixes, names a glob would misread). Each case either loads with the totals
the mutated file holds (read independently, tests/fuzz_oracle.py) or is refused in one line naming
the file, with the database exactly as it was; no traceback ever. One case in CLI_EVERY goes through
`python -m analytics ingest` beside a good file (exit code 2 on refusal, and the good file loads).

CI runs FUZZ_DEFAULT cases (seeds 0..159); `FINOPS_FUZZ_CASES=N` (or `pytest --fuzz-cases N`) runs N,
from seed `FINOPS_FUZZ_FIRST_SEED` (default 0). A case's id starts with its seed, and a seed always
builds the same bytes: `FINOPS_FUZZ_CASES=400 pytest tests/test_fuzz_ingest.py -n 0 -k "seed362-"`.
Failures found are kept as named cases in tests/test_fuzz_regressions.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.focus_rows import row, write_csv
from tests.fuzz_checks import attempt, attempt_cli, judge, resident_store
from tests.fuzz_mutations import BASES, BYTE_MUTATIONS, DIALECTS, NAMES, TABLE_MUTATIONS, Plan, build, plan
from tests.fuzz_oracle import holds
from tests.store_state import copy_store

FUZZ_DEFAULT = 160  # the first seeds that reach every base, mutation, dialect and name
CLI_EVERY = 30


def case_count(config: pytest.Config) -> int:
    option = config.getoption("fuzz_cases", default=None)
    return int(option or os.environ.get("FINOPS_FUZZ_CASES") or FUZZ_DEFAULT)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fuzz_plan" in metafunc.fixturenames:
        first = int(os.environ.get("FINOPS_FUZZ_FIRST_SEED") or 0)
        plans = [plan(seed) for seed in range(first, first + case_count(metafunc.config))]
        metafunc.parametrize("fuzz_plan", plans, ids=[p.id for p in plans])


@pytest.fixture(scope="module")
def resident_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resident_store(tmp_path_factory.mktemp("fuzz-resident"))


def _store(resident_db: Path, folder: Path) -> Path:
    db = folder / "store.duckdb"
    copy_store(resident_db, db)
    return db


def test_a_mutated_export_loads_with_exact_totals_or_is_refused_naming_the_file(
    fuzz_plan: Plan, resident_db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    case = build(fuzz_plan, tmp_path)
    db = _store(resident_db, tmp_path)
    if fuzz_plan.seed % CLI_EVERY == CLI_EVERY - 1:
        # every other CLI case names a good file too: a refusal must not stop the rest of the batch
        good = [row(BillingAccountId="companion", BilledCost="2.5")]
        with_companion = fuzz_plan.seed % (2 * CLI_EVERY) == CLI_EVERY - 1
        companion = write_csv(tmp_path / "companion.csv", good) if with_companion else None
        outcome = attempt_cli(case.path, db, tmp_path / "finops.log", companion)
    else:
        outcome = attempt(case.path, db)
        captured = capfd.readouterr()
        outcome.traceback = "Traceback" in captured.out + captured.err
    problems = judge(case, outcome)
    assert not problems, f"{fuzz_plan.id} ({'; '.join(case.done) or 'no table mutation'}): {problems}"


@pytest.mark.parametrize("name", sorted(BASES))
def test_every_unmutated_base_file_loads_with_the_totals_it_holds(name: str, resident_db: Path, tmp_path: Path) -> None:
    case = build(Plan(0, name, [], 0, True, "none"), tmp_path)
    held = holds(case)
    assert held.total is not None and held.rows > 0, held.problem
    outcome = attempt(case.path, _store(resident_db, tmp_path))
    assert outcome.status == "loaded", outcome.message
    assert judge(case, outcome) == []


def test_the_same_seed_builds_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for seed in range(40):
        a, b = build(plan(seed), first).path, build(plan(seed), second).path
        assert a.name == b.name
        if a.exists():  # not a broken link
            assert a.read_bytes() == b.read_bytes()


def test_the_fuzz_covers_every_base_and_mutation_in_its_default_cases() -> None:
    plans = [plan(seed) for seed in range(FUZZ_DEFAULT)]
    assert {p.base for p in plans} == set(BASES)
    assert {m for p in plans for m in p.table} == set(TABLE_MUTATIONS)
    assert {p.byte for p in plans} == set(BYTE_MUTATIONS)
    assert {p.dialect for p in plans if BASES[p.base].container == "csv"} == set(range(len(DIALECTS)))
    assert {p.name for p in plans} == set(NAMES)
