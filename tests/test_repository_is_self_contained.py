"""A clone of the repository on its own passes its tests: no test reads a path outside the repository.

Two checks: the source of every file under tests/ (and bench/ and tools/) is scanned for paths
that leave the checkout (a sibling `../shared` folder, an absolute home or work directory,
`Path(__file__)` climbed above the repository root), and every module under tests/ is imported and
each path it holds at module level must resolve inside the repository (system tools, such as
Debian's Chromium, excepted: they are programs the test runs, see tests/tools.py, not data it
reads)."""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests import realdata, tools

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# This file spells the forbidden paths in its own checks, so the scan skips it.
SUFFIXES = {".py", ".yaml", ".toml", ".cfg", ".ini"}
# The tests, and the benchmarks and tools a developer runs to reproduce the figures and the conformance.
SCANNED = sorted(
    p
    for folder in (TESTS, ROOT / "bench", ROOT / "tools")
    for p in folder.rglob("*")
    if p.suffix in SUFFIXES and p != Path(__file__).resolve()
)

SHARED = "the shared folder beside the checkout"
OUTSIDE = "an absolute path outside the repository"
FORBIDDEN = [
    (re.compile(r"\.\.[/\\]+shared\b"), "a sibling ../shared folder"),
    (re.compile(r"\bshared[/\\](?:realdata|reference|DESIGN)"), SHARED),
    (re.compile(r"""["']shared["']\s*/\s*["'](?:realdata|reference|DESIGN)"""), SHARED),
    (re.compile(r"\b(?:PROJECT|ROOT|REPO)\.parents?\b"), "a path above the repository root"),
    (re.compile(r"""["']/work/"""), OUTSIDE),  # where checkouts live on the machine this project grew on
    # An absolute or home path handed to something that opens or walks it (a string that merely
    # looks like a path, such as a fake traceback line a test checks is not shown, is not read).
    (
        re.compile(r"""(?:Path|open|[Gg]lob|walk|listdir|copy\w*|connect)\(\s*r?["'](?!/usr/|/bin/|/dev/null)[/~]"""),
        OUTSIDE,
    ),
    (re.compile(r"\bPath\.home\(\)|\bexpanduser\("), "a path in the home directory"),
]
# Path(__file__)[.resolve()][.parent...][.parents[N]][.parent...]: how far up it climbs.
CLIMB = re.compile(
    r"Path\(__file__\)(?:\.resolve\(\)|\.absolute\(\))?(?P<before>(?:\.parent\b(?!s))*)"
    r"(?:\.parents\[(?P<n>\d+)\])?(?P<after>(?:\.parent\b(?!s))*)"
)


def leaving_paths(source: str, file: Path, root: Path = ROOT) -> list[str]:
    """Each place in `source` (the text of `file`) that names a path outside `root`, as `line: why`."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        for pattern, why in FORBIDDEN:
            if pattern.search(line):
                found.append(f"{file.name}:{number}: {why}: {line.strip()}")
        for climb in CLIMB.finditer(line):
            steps = climb["before"].count(".parent") + climb["after"].count(".parent")
            steps += int(climb["n"]) + 1 if climb["n"] is not None else 0
            reached = file.resolve().parents[steps - 1] if 0 < steps <= len(file.resolve().parents) else None
            if steps and (reached is None or not reached.is_relative_to(root)):
                found.append(f"{file.name}:{number}: Path(__file__) climbs above the repository: {line.strip()}")
    return found


def test_no_test_benchmark_or_tool_source_names_a_path_outside_the_repository() -> None:
    assert len(SCANNED) > 40 and {p.parent.name for p in SCANNED} >= {"tests", "bench", "tools"}
    problems = [p for file in SCANNED for p in leaving_paths(file.read_text(encoding="utf-8"), file)]
    assert not problems, "tests must read only files inside the repository:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "line",
    [
        'REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"',
        'DATA = Path(__file__).parent.parent.parent / "data"',
        'DATA = Path(__file__).resolve().parents[1].parent / "elsewhere"',
        'SAMPLE = PROJECT.parent / "shared" / "realdata" / "focus.csv"',
        'DESIGN = "../shared/DESIGN.md"',
        'EXPORT = Path("/work/shared/realdata/focus/focus-1.0-sample.csv")',
        'CUR = Path("/home/me/exports/cur.csv")',
        'CUR = Path("~/exports/cur.csv").expanduser()',
        "CUR = Path.home() / 'cur.csv'",
        'with open("/tmp/exports/cur.csv") as handle:',
        "con = duckdb.connect('/srv/finops/finops.duckdb', read_only=True)",
    ],
)
def test_the_scan_catches_a_test_path_that_leaves_the_repository(line: str) -> None:
    assert leaving_paths(line, TESTS / "test_new.py") != []


@pytest.mark.parametrize(
    "line",
    [
        "PROJECT = Path(__file__).resolve().parents[1]",
        'NO_RULES = Path(__file__).parent / "data" / "no-rules.yaml"',
        'REALDATA = Path(__file__).resolve().parent / "data" / "real"',
        'uploads = [_Upload("../../etc/march.csv", b"b")]  # a hostile upload name, not a path read',
        'CHROMIUM = Path("/usr/bin/chromium")',
        'assert "/srv/secret" not in text  # a string the page must not show, not a path read',
    ],
)
def test_the_scan_lets_a_path_inside_the_repository_pass(line: str) -> None:
    assert leaving_paths(line, TESTS / "test_new.py") == []


def _test_modules() -> Iterator[ModuleType]:
    """Every module under tests/, as the test run imports it (pytest's own name when it already has)."""
    by_file = {Path(m.__file__).resolve(): m for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
    for file in sorted(TESTS.glob("*.py")):
        yield by_file.get(file) or importlib.import_module(f"tests.{file.stem}")


def _paths(value: object, depth: int = 0) -> Iterable[Path]:
    if isinstance(value, Path):
        yield value
    elif isinstance(value, str) and value.startswith(("/", "~")) and len(value) > 1 and "\n" not in value:
        yield Path(value)
    elif isinstance(value, dict) and depth < 2:
        for item in value.values():
            yield from _paths(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)) and depth < 2:
        for item in value:
            yield from _paths(item, depth + 1)


def paths_outside(modules: Iterable[ModuleType], root: Path = ROOT) -> list[str]:
    """Module-level paths (Path values, absolute path strings, in containers too) outside `root`."""
    allowed = {_absolute(p) for p in tools.SYSTEM_TOOLS}
    return [
        f"{module.__name__}.{name} = {path}"
        for module in modules
        for name, value in vars(module).items()
        if not name.startswith("__")
        for path in _paths(value)
        if _absolute(path) not in allowed and not _absolute(path).is_relative_to(root)
    ]


def _absolute(path: Path) -> Path:
    """Absolute and without `..`, but symbolic links left alone: a virtualenv's python is a link to
    the system's, and is still the repository's."""
    return Path(os.path.normpath(path.expanduser().absolute()))


def test_every_path_a_test_module_holds_is_inside_the_repository() -> None:
    modules = list(_test_modules())
    assert len(modules) > 40
    outside = paths_outside(modules)
    assert not outside, "tests must read only files inside the repository:\n" + "\n".join(outside)


def test_the_runtime_check_catches_a_module_path_outside_the_repository() -> None:
    module = ModuleType("tests.test_new")
    module.EXPORTS = {"cur": ROOT.parent / "shared" / "realdata" / "aws-cur" / "cur.csv"}  # type: ignore[attr-defined]
    module.INSIDE = ROOT / "tests" / "data"  # type: ignore[attr-defined]
    assert paths_outside([module]) == [f"tests.test_new.EXPORTS = {ROOT.parent / 'shared/realdata/aws-cur/cur.csv'}"]


def test_the_real_exports_are_in_the_repository_each_with_its_licence_and_source() -> None:
    assert realdata.REALDATA.is_relative_to(ROOT) and realdata.FOCUS_SAMPLE.is_file()
    readme = (realdata.REALDATA / "README.md").read_text(encoding="utf-8")
    files = [p for p in realdata.REALDATA.rglob("*") if p.is_file() and p.name != "README.md"]
    data = [p for p in files if not p.name.startswith("LICENSE")]
    assert len(data) >= 11
    for file in data:
        top = realdata.REALDATA / file.relative_to(realdata.REALDATA).parts[0]
        assert any(p.name.startswith("LICENSE") for p in top.iterdir()), f"{top.name}/ has no licence file"
        assert file.name in readme, f"README.md in {realdata.REALDATA.name}/ does not name {file.name}"
    for licence in {p.name for p in files if p.name.startswith("LICENSE")}:
        assert licence in readme, f"README.md does not name the licence file {licence}"


def test_the_readme_points_only_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    problems = leaving_paths(readme, ROOT / "README.md")
    assert not problems, "\n".join(problems)
    assert (ROOT / "docs" / "architecture.md").is_file() and "docs/architecture.md" in readme
